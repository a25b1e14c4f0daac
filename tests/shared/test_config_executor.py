import pytest

from shared.config import ConfigError, Settings


def test_executor_concurrency_default_and_garbage() -> None:
    assert Settings.from_env({}).executor_concurrency == 512
    assert Settings.from_env({"VIGIL_EXECUTOR_CONCURRENCY": "64"}).executor_concurrency == 64
    for garbage in ("0", "lots", "-5", "1e9"):
        with pytest.raises(ConfigError, match="VIGIL_EXECUTOR_CONCURRENCY"):
            Settings.from_env({"VIGIL_EXECUTOR_CONCURRENCY": garbage})


def test_spill_settings_default_and_garbage() -> None:
    default = Settings.from_env({})
    assert (default.spill_after_s, default.spill_memory_batches) == (5.0, 200)
    chosen = Settings.from_env({"VIGIL_SPILL_AFTER": "0.5", "VIGIL_SPILL_MEMORY_BATCHES": "10"})
    assert (chosen.spill_after_s, chosen.spill_memory_batches) == (0.5, 10)
    for garbage in ("0", "soon", "-1", "nan", "1e9", ""):
        with pytest.raises(ConfigError, match="VIGIL_SPILL_AFTER"):
            Settings.from_env({"VIGIL_SPILL_AFTER": garbage})
    for garbage in ("0", "many", "-5", "2.5", "1e9", ""):
        with pytest.raises(ConfigError, match="VIGIL_SPILL_MEMORY_BATCHES"):
            Settings.from_env({"VIGIL_SPILL_MEMORY_BATCHES": garbage})
