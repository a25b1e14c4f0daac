"""The Compose files of a centre and a region: valid against the compose-spec schema, and every
command, setting, secret, health check, volume and image what Vigil and Compose expect."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from tests.deploy import contract

pytestmark = pytest.mark.unit
COMPOSE = contract.DEPLOY / "compose"
FILES = ("compose.yaml", "region.yaml")
# The one-shot services: they run to their end, so Compose has nothing to health-check.
ONE_SHOT = {"migrate"}


def _load(name: str) -> dict:
    return yaml.safe_load((COMPOSE / name).read_text())  # anchors and merge keys resolved


def _vigil_services(doc: dict) -> dict[str, dict]:
    return {n: s for n, s in doc["services"].items() if s["image"].startswith("vigil:")}


@pytest.mark.parametrize("name", FILES)
def test_it_fits_the_compose_specification(name: str) -> None:
    # The compose-spec's own JSON schema (schemas/SOURCES.md), the one `docker compose` uses.
    schema = json.loads((contract.ROOT / "tests/deploy/schemas/compose-spec.json").read_text())
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(_load(name))]
    assert errors == []


def test_a_misspelt_key_is_refused_by_the_schema() -> None:
    schema = json.loads((contract.ROOT / "tests/deploy/schemas/compose-spec.json").read_text())
    doc = _load("compose.yaml")
    doc["services"]["api"]["helthcheck"] = doc["services"]["api"].pop("healthcheck")
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(doc)]
    assert any("helthcheck" in e for e in errors)


def test_the_centre_has_every_component() -> None:
    services = _load("compose.yaml")["services"]
    assert {
        "postgres",
        "rabbitmq",
        "migrate",
        "api",
        "scheduler",
        "processor",
        "notifier",
        "executor",
        "frontend",
    } <= set(services)
    for name, service in _vigil_services(_load("compose.yaml")).items():
        if name not in ONE_SHOT:
            assert (
                service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
            ), name


@pytest.mark.parametrize("name", FILES)
def test_every_command_is_a_vigil_subcommand(name: str) -> None:
    for service_name, service in _vigil_services(_load(name)).items():
        assert contract.is_vigil_command(service["command"]), (service_name, service["command"])


@pytest.mark.parametrize("name", FILES)
def test_every_vigil_health_check_is_a_vigil_health_command(name: str) -> None:
    checks = [
        (n, s["healthcheck"]["test"])
        for n, s in _vigil_services(_load(name)).items()
        if s["command"][0] in contract.HEALTH_COMPONENTS
    ]
    assert checks
    for service_name, test in checks:
        assert test[:3] == ["CMD", "vigil", "health"], service_name
        assert contract.is_vigil_command(test[2:]), (service_name, test)


def test_the_api_and_frontend_are_checked_on_their_own_health_endpoints() -> None:
    services = _vigil_services(_load("compose.yaml"))
    for component, path in contract.HTTP_HEALTH.items():
        service = services[component]
        port = service["environment"][f"VIGIL_{component.upper()}_PORT"]
        test = service["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-c"], component
        assert f"http://127.0.0.1:{port}{path}" in test[3], component


@pytest.mark.parametrize("name", FILES)
def test_every_long_running_service_has_a_health_check(name: str) -> None:
    for service_name, service in _load(name)["services"].items():
        if service_name not in ONE_SHOT:
            assert service["healthcheck"]["test"][0] == "CMD", service_name


@pytest.mark.parametrize("name", FILES)
def test_settings_are_known_and_secrets_come_from_the_services_own_secrets(name: str) -> None:
    for service_name, service in _load(name)["services"].items():
        env = {k: str(v) for k, v in service.get("environment", {}).items()}
        assert contract.check_environment(env) == [], service_name
        given = {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])}
        for var, path in env.items():
            if var.endswith("_FILE"):
                assert path.startswith("/run/secrets/"), (service_name, var)
                assert path.removeprefix("/run/secrets/") in given, (service_name, var)
        # Nothing else of the environment may carry a password either (POSTGRES_PASSWORD...).
        assert not [k for k in env if "PASSWORD" in k and not k.endswith("_FILE")], service_name


@pytest.mark.parametrize("name", FILES)
def test_volumes_are_named_and_declared(name: str) -> None:
    doc = _load(name)
    for service_name, service in doc["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in doc["volumes"], (service_name, volume)
    declared = {s for n in doc.get("secrets", {}) for s in [n]}
    used = {
        s if isinstance(s, str) else s["source"]
        for service in doc["services"].values()
        for s in service.get("secrets", [])
    }
    assert used <= declared


@pytest.mark.parametrize("name", FILES)
def test_every_image_is_pinned_and_vigil_is_this_version(name: str) -> None:
    for service_name, service in _load(name)["services"].items():
        assert contract.is_pinned(service["image"]), (service_name, service["image"])
    for service in _vigil_services(_load(name)).values():
        assert service["image"] == f"vigil:{contract.project_version()}"


def test_a_region_publishes_no_port_but_management_on_loopback() -> None:
    # A region needs nothing open towards it: its broker opens the shovels to the centre.
    for service in _load("region.yaml")["services"].values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port


@pytest.mark.lint
def test_make_secrets_writes_every_file_the_compose_files_read(tmp_path) -> None:
    import shutil
    import subprocess

    folder = tmp_path / "compose"
    folder.mkdir()
    shutil.copy(COMPOSE / "make-secrets.sh", folder)
    secrets = folder / "secrets"

    def run(*args: str) -> dict[str, str]:
        subprocess.run(
            ["bash", str(folder / "make-secrets.sh"), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return {p.name: p.read_text() for p in secrets.iterdir()}

    first = run()
    run("region")
    assert {k: v for k, v in run().items() if k in first} == first  # kept, never rewritten
    for name in FILES:
        for secret in _load(name)["secrets"].values():
            assert (folder / secret["file"]).is_file(), secret["file"]
    read = {p.name: p.read_text().strip() for p in secrets.iterdir()}
    assert f":{read['postgres-password']}@postgres:" in read["database-url"]
    broker_password = read["rabbitmq-user.conf"].split("default_pass = ")[1].split()[0]
    assert f":{broker_password}@rabbitmq:" in read["amqp-url"]
    assert (secrets.stat().st_mode & 0o777) == 0o700
