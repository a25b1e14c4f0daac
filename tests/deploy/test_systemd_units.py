"""The systemd units: `systemd-analyze verify` (Debian's systemd) finds nothing, and they hold
what the issue asks of them: every component, a target for a cell, the hardening."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy import contract, units

CELL = (
    "vigil-migrate.service",
    "vigil@scheduler.service",
    "vigil@processor.service",
    "vigil@notifier.service",
    "vigil@api.service",
    "vigil@frontend.service",
    "vigil-executor@local.service",
)
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "PrivateTmp": "yes",
    "ReadWritePaths": "/var/lib/vigil",
}


def _root(tmp_path: Path, unit_dir: Path) -> Path:
    """A file-system root with the units installed and `vigil` where they expect it, beside
    the machine's own system units (so After=network-online.target and such resolve)."""
    systemd = shutil.which("systemd-analyze")
    if systemd is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd")
    root = tmp_path / "root"
    etc = root / "etc/systemd/system"
    etc.mkdir(parents=True)
    shutil.copytree("/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    for unit in unit_dir.iterdir():
        if unit.suffix in (".service", ".target"):
            shutil.copy(unit, etc / unit.name)
    for name in CELL:
        if "@" in name:  # systemd-analyze verifies instances, not templates
            template = name.split("@")[0] + "@.service"
            (etc / name).symlink_to(template)
    vigil = root / units.INSTALLED_VIGIL.lstrip("/")
    vigil.parent.mkdir(parents=True)
    shutil.copy(Path(sys.executable).parent / "vigil", vigil)  # this checkout's console script
    return root


def _verify(root: Path) -> subprocess.CompletedProcess[str]:
    names = ["vigil-cell.target", *CELL]
    return subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", "--man=no", *names],
        cwd=root / "etc/systemd/system",
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.lint
def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    run = _verify(_root(tmp_path, units.UNITS))
    # It exits 0 on an unknown key or a bad value too: any word from it is a finding.
    assert (run.returncode, run.stdout + run.stderr) == (0, "")


@pytest.mark.lint
def test_verify_does_report_a_misspelt_directive(tmp_path: Path) -> None:
    broken = tmp_path / "units"
    shutil.copytree(units.UNITS, broken)
    path = broken / "vigil@.service"
    path.write_text(path.read_text().replace("ProtectSystem=strict", "ProtectSystm=strict"))
    run = _verify(_root(tmp_path, broken))
    assert "ProtectSystm" in run.stderr


@pytest.mark.unit
def test_the_cell_target_starts_every_component_including_the_notifier() -> None:
    wanted = [u.name for u in units.wanted_by_target()]
    assert sorted(wanted) == sorted(CELL)
    commands = {u.argv()[1] for u in units.wanted_by_target()}
    assert commands == {
        "migrate",
        "scheduler",
        "processor",
        "notifier",
        "api",
        "frontend",
        "executor",
    }


@pytest.mark.unit
def test_every_unit_runs_a_real_vigil_command_as_vigil_hardened() -> None:
    for unit in units.wanted_by_target():
        argv = unit.argv()
        assert argv[0] == units.INSTALLED_VIGIL and contract.is_vigil_command(argv[1:]), argv
        assert unit.values("Service", "User") == ["vigil"], unit.name
        assert unit.values("Service", "EnvironmentFile") == [units.ENV_FILE], unit.name
        for key, value in HARDENING.items():
            assert unit.values("Service", key) == [value], (unit.name, key)


@pytest.mark.unit
def test_components_start_after_migrations() -> None:
    for unit in units.wanted_by_target():
        if unit.name != "vigil-migrate.service" and "executor" not in unit.name:
            assert "vigil-migrate.service" in unit.values("Unit", "Requires"), unit.name
            assert "vigil-migrate.service" in unit.values("Unit", "After"), unit.name


@pytest.mark.unit
def test_the_environment_file_example_is_known_settings_with_secrets_in_files() -> None:
    env = units.env_file(units.ENV_EXAMPLE.read_text())
    assert contract.check_environment(env) == []
    assert {"VIGIL_DATABASE_URL_FILE", "VIGIL_AMQP_URL_FILE", "VIGIL_SECRET_KEY_FILE"} <= set(env)


@pytest.mark.unit
@pytest.mark.parametrize("doc", ["README.md", "deploy/README.md", "docs/OPERATING.md"])
def test_the_docs_name_every_unit_of_the_cell(doc: str) -> None:
    # The docs once listed the units to enable without vigil@notifier: a cell that sent no alert.
    text = (contract.ROOT / doc).read_text()
    for unit in units.wanted_by_target():
        assert unit.name.removesuffix(".service") in text, (doc, unit.name)
