"""The systemd units read as systemd reads them, enough to run what they start: sections of
`Key=Value` lines (a key may repeat), template instances (%i), EnvironmentFile= then
Environment=, ExecStart= split into an argv."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from tests.deploy.contract import DEPLOY

UNITS = DEPLOY / "systemd"
ENV_EXAMPLE = UNITS / "vigil.env.example"
INSTALLED_VIGIL = "/opt/vigil/.venv/bin/vigil"  # where the units expect the installed command
ENV_FILE = "/etc/vigil/vigil.env"  # where they expect the environment file


def parse(text: str) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def env_file(text: str) -> dict[str, str]:
    """An EnvironmentFile: KEY=VALUE lines, comments and blank lines skipped."""
    pairs = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and line[0] not in "#;":
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip().strip('"')
    return pairs


@dataclass(frozen=True)
class Unit:
    name: str  # e.g. vigil@api.service
    sections: dict[str, dict[str, list[str]]]
    instance: str

    def values(self, section: str, key: str) -> list[str]:
        found = []
        for value in self.sections.get(section, {}).get(key, []):
            found += (
                value.replace("%i", self.instance).split()
                if key in ("Wants", "Requires", "After")
                else [value.replace("%i", self.instance)]
            )
        return found

    def argv(self) -> list[str]:
        (line,) = self.values("Service", "ExecStart")
        return shlex.split(line)

    def environment(self, env_files: dict[str, dict[str, str]]) -> dict[str, str]:
        """Environment= first, then each EnvironmentFile= over it (systemd's order)."""
        env: dict[str, str] = {}
        for assignment in self.values("Service", "Environment"):
            for pair in shlex.split(assignment):
                key, _, value = pair.partition("=")
                env[key] = value
        for path in self.values("Service", "EnvironmentFile"):
            env.update(env_files[path.lstrip("-")])
        return env


def load(name: str) -> Unit:
    """A unit by name; `vigil@api.service` is read from the template `vigil@.service`."""
    stem, dot, suffix = name.rpartition(".")
    prefix, at, instance = stem.partition("@")
    path = UNITS / (f"{prefix}@.{suffix}" if at else name)
    return Unit(name, parse(path.read_text()), instance)


def wanted_by_target(target: str = "vigil-cell.target") -> list[Unit]:
    return [load(name) for name in load(target).values("Unit", "Wants")]
