import pytest

from shared.config import ConfigError, Settings


def test_executor_concurrency_default_and_garbage() -> None:
    assert Settings.from_env({}).executor_concurrency == 512
    assert Settings.from_env({"VIGIL_EXECUTOR_CONCURRENCY": "64"}).executor_concurrency == 64
    for garbage in ("0", "lots", "-5", "1e9"):
        with pytest.raises(ConfigError, match="VIGIL_EXECUTOR_CONCURRENCY"):
            Settings.from_env({"VIGIL_EXECUTOR_CONCURRENCY": garbage})
