"""The settings table is the one description of the configuration: it builds `Settings`,
refuses bad values naming the variable, and generates docs/CONFIGURATION.md."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from ops.configdoc import markdown
from shared.config import VARIABLES, ConfigError, Settings

pytestmark = pytest.mark.unit
DOC = Path(__file__).resolve().parents[2] / "docs" / "CONFIGURATION.md"


def test_the_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == markdown(), "run: vigil config docs > " + str(DOC)


def test_the_table_names_every_setting_once() -> None:
    assert sorted(v.field for v in VARIABLES) == sorted(f.name for f in fields(Settings))
    assert len({v.env for v in VARIABLES}) == len(VARIABLES)


@pytest.mark.parametrize(
    "var", [v for v in VARIABLES if v.kind in ("int", "float")], ids=lambda v: v.env
)
def test_numbers_out_of_bounds_or_not_numbers_are_refused_by_name(var) -> None:
    assert var.high is not None
    for bad in ("twelve", str(var.high * 2 + 1)):
        with pytest.raises(ConfigError, match=var.env):
            Settings.from_env({var.env: bad})


@pytest.mark.parametrize("var", [v for v in VARIABLES if v.secret], ids=lambda v: v.env)
def test_every_secret_can_come_from_a_file(var, tmp_path: Path) -> None:
    value = {
        "smtp": "smtp://u:p@127.0.0.1:2525",
        "management": "http://u:p@127.0.0.1:1",
        "amqp": "amqp://u:p@127.0.0.1:5672/x,amqp://u:p@127.0.0.2:5672/x",
    }.get(var.kind, "postgresql://u:p@127.0.0.1/x")
    secret = tmp_path / "secret"
    secret.write_text(value + "\n")
    settings = Settings.from_env({f"{var.env}_FILE": str(secret)})
    assert getattr(settings, var.field) == value
    assert settings.public()[var.field] == "***"


def test_a_missing_secret_file_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="VIGIL_SECRET_KEY_FILE"):
        Settings.from_env({"VIGIL_SECRET_KEY_FILE": "/nonexistent/key"})


def test_derived_defaults_follow_what_they_derive_from() -> None:
    s = Settings.from_env({"VIGIL_API_PORT": "9123", "VIGIL_STATE_DIR": "/var/lib/vigil"})
    assert s.api_url == s.ping_url == "http://127.0.0.1:9123"
    assert s.regions_file == "/var/lib/vigil/regions.json"
