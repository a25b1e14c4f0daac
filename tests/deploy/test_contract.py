"""The checks the deployment tests rely on, shown to refuse what they must."""

from __future__ import annotations

import pytest

from tests.deploy import contract

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "image, pinned",
    [
        ("vigil:0.1.0", True),
        ("postgres:16.6-bookworm", True),
        ("ghcr.io/cloudnative-pg/postgresql:16.6", True),
        ("busybox@sha256:" + "a" * 64, True),
        ("rabbitmq", False),
        ("rabbitmq:latest", False),
        ("localhost:5000/vigil", False),
        ("python:slim", False),
        ("vigil:", False),
    ],
)
def test_an_image_is_pinned_only_to_a_version_or_digest(image: str, pinned: bool) -> None:
    assert contract.is_pinned(image) is pinned


@pytest.mark.parametrize(
    "argv, real",
    [
        (["api"], True),
        (["executor", "--region", "eu-west"], True),
        (["migrate"], True),
        (["notifer"], False),
        (["executor", "--regoin", "x"], False),
        ([], False),
    ],
)
def test_a_command_is_real_only_if_the_cli_parses_it(argv: list[str], real: bool) -> None:
    assert contract.is_vigil_command(argv) is real


def test_the_settings_are_read_from_the_code_and_secrets_found() -> None:
    known = contract.known_variables()
    assert {"VIGIL_DATABASE_URL", "VIGIL_NOTIFY_TIMEOUT", "VIGIL_SMTP_URL_FILE"} <= known
    assert {
        "VIGIL_DATABASE_URL",
        "VIGIL_AMQP_URL",
        "VIGIL_SECRET_KEY",
        "VIGIL_SMTP_URL",
    } <= contract.secret_variables()
    assert "VIGIL_CELL" not in contract.secret_variables()


def test_an_environment_with_unknown_names_or_plain_secrets_is_refused() -> None:
    problems = contract.check_environment(
        {
            "VIGIL_CEL": "a",
            "VIGIL_SECRET_KEY": "x",
            "VIGIL_API_URL": "http://u:pw@api:8100",
            "VIGIL_CELL": "a",
            "VIGIL_AMQP_URL_FILE": "/run/secrets/amqp-url",
        }
    )
    assert len(problems) == 3
    assert any("VIGIL_CEL " in p for p in problems)
    assert any("VIGIL_SECRET_KEY is a secret" in p for p in problems)
    assert any("VIGIL_API_URL holds a password" in p for p in problems)
