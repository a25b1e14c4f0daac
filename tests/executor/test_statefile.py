from pathlib import Path

from executor import statefile
from executor.holdings import Position
from shared.messages import TestSpec


def _spec(i: int, cell: str = "a") -> TestSpec:
    return TestSpec(i, cell, "eu", "http", 60, 5.0, {"url": f"https://x{i}.example/"}, 3)


def test_round_trip_per_cell(tmp_path: Path) -> None:
    path = statefile.path_for(str(tmp_path / "deep" / "dir"), "eu", "node/1")
    held = {"a": (Position("g1", 7), [_spec(1), _spec(2)]), "b": (Position("g2", 1), [])}
    statefile.save(path, "eu", held)
    assert statefile.load(path, "eu") == held
    assert not list(path.parent.glob("*.tmp")) and "/" not in path.name


def test_missing_file_is_nothing(tmp_path: Path) -> None:
    assert statefile.load(tmp_path / "none.msgpack", "eu") == {}


def test_garbage_or_another_region_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "state.msgpack"
    for garbage in (b"\xc1\xc1 not msgpack", b"\x93\x01\x02\x03", b"\x81\xa1v\x01"):
        path.write_bytes(garbage)
        assert statefile.load(path, "eu") == {}
        assert path.with_suffix(".bad").exists() and not path.exists()
    statefile.save(path, "us", {"a": (Position("g", 1), [_spec(1)])})
    assert statefile.load(path, "eu") == {}
