"""The placement policy: fill each open cell to capacity, in name order, then the next."""

from __future__ import annotations

from shared.directory import Cell, choose_cell


def cell(name: str, load: int, capacity: int = 2, is_open: bool = True) -> Cell:
    return Cell(name, f"http://{name}", "postgresql://x/y", capacity, is_open, load)


def test_the_first_cell_with_room_by_name() -> None:
    assert choose_cell([cell("b", 0), cell("a", 1)]).name == "a"
    assert choose_cell([cell("b", 0), cell("a", 2)]).name == "b"


def test_closed_cells_take_nobody() -> None:
    assert choose_cell([cell("a", 0, is_open=False), cell("b", 1)]).name == "b"
    assert choose_cell([cell("a", 0, is_open=False)]) is None
    assert choose_cell([]) is None


def test_when_all_are_full_the_least_full_takes_it() -> None:
    assert choose_cell([cell("a", 5), cell("b", 3, capacity=3)]).name == "b"
