"""What the deployment files must agree with: the `vigil` command line, the settings it reads,
and the project's version. Read from the code itself, so a recipe cannot drift from it."""

from __future__ import annotations

import contextlib
import io
import re
import tomllib
from pathlib import Path

from ops.cli import parser
from shared.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# An image reference pinned to a version: a tag with a digit in it (never `latest`), or a digest.
_PINNED = re.compile(r"^[a-z0-9./_-]+(:[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*)?(@sha256:[0-9a-f]{64})?$")
# A URL with a password in it: a secret that should have come from a *_FILE.
_CREDENTIALS = re.compile(r"://[^/@\s]*:[^/@\s]+@")


class _Recorder(dict):
    """An empty environment that remembers every variable the settings ask it for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):  # type: ignore[override]
        self.asked.add(key)
        return default


def known_variables() -> set[str]:
    """Every VIGIL_* variable Settings.from_env reads (secrets with and without _FILE)."""
    env = _Recorder()
    Settings.from_env(env)
    return env.asked


def secret_variables() -> set[str]:
    """The variables that hold a secret: those the settings also read from NAME_FILE."""
    asked = known_variables()
    return {
        name[: -len("_FILE")]
        for name in asked
        if name.endswith("_FILE") and name[: -len("_FILE")] in asked
    }


def is_vigil_command(argv: list[str]) -> bool:
    """Whether `vigil ARGV...` parses: a real subcommand with arguments it accepts."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # argparse's usage text is no news here
            parser().parse_args(argv)
    except SystemExit:
        return False
    return True


# What `vigil health` probes (issue 17: the side ports of the long-lived asyncio components);
# the API and the frontend are probed on their own HTTP health endpoints instead.
HEALTH_COMPONENTS = ("executor", "processor", "scheduler", "notifier")
HTTP_HEALTH = {"api": "/api/v1/health", "frontend": "/healthz"}


def is_pinned(image: str) -> bool:
    if not _PINNED.match(image):
        return False
    return "@sha256:" in image or ":" in image.rsplit("/", 1)[-1]


def has_credentials(value: str) -> bool:
    return bool(_CREDENTIALS.search(value))


def project_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["version"]


def check_environment(env: dict[str, str]) -> list[str]:
    """What is wrong with the VIGIL_* settings a recipe gives one process (empty: nothing)."""
    known, secrets = known_variables(), secret_variables()
    problems = [
        f"{k} is not a setting of shared/config.py"
        for k in env
        if k.startswith("VIGIL_") and k not in known
    ]
    problems += [f"{k} is a secret: give it as {k}_FILE" for k in env if k in secrets]
    problems += [
        f"{k} holds a password in a URL"
        for k, v in env.items()
        if isinstance(v, str) and has_credentials(v)
    ]
    return problems
