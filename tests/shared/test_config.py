import pytest

from shared.config import ConfigError, Settings


def test_defaults_work_on_a_developer_machine() -> None:
    s = Settings.from_env({})
    assert s.cell == "a" and s.api_port == 8100 and s.frontend_port == 8080
    assert s.database_url.startswith("postgresql://")
    assert s.allow_private_targets is False


@pytest.mark.parametrize(("name", "value"), [
    ("VIGIL_API_PORT", "eighty"), ("VIGIL_API_PORT", "70000"),
    ("VIGIL_ALLOW_PRIVATE_TARGETS", "maybe"), ("VIGIL_CELL", "Cell A!"),
    ("VIGIL_SCHEDULER_POLL", "soon"), ("VIGIL_LOG_FORMAT", "xml"),
    ("VIGIL_MIN_INTERVAL", "0"), ("VIGIL_SECRET_KEY_FILE", "/nonexistent/secret"),
    ("VIGIL_PROCESSOR_WRITERS", "0"), ("VIGIL_PROCESSOR_GROUP_ROWS", "lots"),
    ("VIGIL_RESULTS_RETENTION_DAYS", "-1"), ("VIGIL_BATCH_ID_RETENTION_DAYS", "0"),
])
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_secret_from_file(tmp_path) -> None:
    path = tmp_path / "key"
    path.write_text("s3cret\n")
    assert Settings.from_env({"VIGIL_SECRET_KEY_FILE": str(path)}).secret_key == "s3cret"


def test_public_view_masks_secrets() -> None:
    public = Settings.from_env({"VIGIL_SECRET_KEY": "s3cret"}).public()
    assert "s3cret" not in repr(public) and public["cell"] == "a"
