"""The pure parts of `vigil region`: shovel definitions, secrets, the regions file."""

import pytest

from ops import regions
from shared.config import ConfigError


def test_both_shovels_are_opened_from_the_region_and_confirm() -> None:
    region = regions.Region("eu", "MGMT", "CENTRE", vhost="/")
    shovels = regions.shovels(region, "amqp://vigil:pw@centre.example:5672/prod")
    down, up = shovels["vigil-eu-down"], shovels["vigil-eu-up"]
    assert (
        down["src-uri"]
        == up["dest-uri"]
        == ("amqp://vigil:pw@centre.example:5672/prod?heartbeat=10")
    )
    assert down["dest-uri"] == up["src-uri"] == "amqp://"  # the region's own node
    assert (down["src-queue"], down["dest-exchange"]) == (
        "vigil.assignments.eu",
        "vigil.assignments",
    )
    assert (up["src-queue"], up["dest-exchange"]) == ("vigil.uplink", "vigil.up")
    for s in (down, up):
        assert s["ack-mode"] == "on-confirm" and s["reconnect-delay"] == 5
        assert "dest-exchange-key" not in s  # the routing key travels with the message


def test_a_heartbeat_in_the_url_is_kept_and_a_vhost_is_quoted() -> None:
    assert regions.with_heartbeat("amqp://h/v?heartbeat=3") == "amqp://h/v?heartbeat=3"
    assert regions.local_uri("eu/1") == "amqp:///eu%2F1"


def test_secrets_come_from_the_environment_or_a_file(tmp_path) -> None:
    path = tmp_path / "url"
    path.write_text("amqp://secret\n")
    assert regions.read_secret({"X_FILE": str(path)}, "X") == "amqp://secret"
    assert regions.read_secret({"X": "amqp://y"}, "X") == "amqp://y"
    with pytest.raises(ConfigError, match="X is not set"):
        regions.read_secret({}, "X")
    with pytest.raises(ConfigError, match="X_FILE"):
        regions.read_secret({"X_FILE": str(tmp_path / "missing")}, "X")


def test_the_regions_file_round_trips_and_refuses_garbage(tmp_path) -> None:
    path = str(tmp_path / "sub" / "regions.json")
    assert regions.load(path) == {}
    saved = {"eu": regions.Region("eu", "M", "C", buffer_bytes=1 << 20)}
    regions.save(path, saved)
    assert regions.load(path) == saved
    for garbage in ("not json", '{"regions": [1]}', '{"regions": {"eu": {"nam": 1}}}', "[]"):
        (tmp_path / "bad.json").write_text(garbage)
        with pytest.raises(ConfigError, match="regions file"):
            regions.load(str(tmp_path / "bad.json"))
