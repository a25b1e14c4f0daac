"""The scheduler's picture of the cell's enabled tests, kept in memory and changed row by row.

Pure, so it is tested alone: `replace` takes a full read, `apply` the rows written and the
tests deleted since the last read, and answers which (region, test) entries changed, so the
scheduler tells the nodes about those alone.

A row that cannot become a spec (a config that is not a JSON object, or that the wire cannot
carry) is left out and logged once: one bad row must not stop every node's assignments.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import msgpack

from shared.heartbeat import KIND as HEARTBEAT
from shared.messages import TestSpec

log = logging.getLogger(__name__)

Specs = tuple[TestSpec, ...]
Changed = dict[str, set[int]]  # region -> test ids whose spec there changed


class Row(Protocol):
    """A row of `tests` as the scheduler reads it (scheduler/changes.py COLUMNS)."""

    id: int
    kind: str
    regions: Sequence[str]
    interval_s: int
    timeout_s: float
    config: Any
    version: int
    enabled: bool


def problem(config: Any) -> str | None:
    """Why a config cannot be sent to an executor, or None."""
    if not isinstance(config, dict):
        return f"config is a JSON {type(config).__name__}, not an object"
    try:
        msgpack.packb(config)
    except Exception as e:  # e.g. an integer wider than 64 bits: the wire cannot carry it
        return f"config cannot be encoded: {e}"
    return None


class TestView:
    __test__ = False  # not a pytest class, despite the name

    def __init__(self, cell: str) -> None:
        self.cell = cell
        self.regions: dict[str, dict[int, TestSpec]] = {}  # what each region must run
        self._specs: dict[int, Specs] = {}  # test -> its spec in each region
        self.rejected: dict[int, str] = {}  # test -> why it is left out

    def specs(self, row: Row) -> Specs:
        """The row's spec in each of its regions; none if it is disabled or unusable, or a
        heartbeat (its job calls it: no region runs it)."""
        if not row.enabled or row.kind == HEARTBEAT:
            self._reject(row.id, None)
            return ()
        reason = problem(row.config)
        self._reject(row.id, reason)
        if reason is not None:
            return ()
        # A spec per region, each naming them all only when there are several (a
        # single-region spec stays as it always was on the wire); built directly, not by a
        # dataclasses.replace each: a full read makes 180,000.
        regions = tuple(dict.fromkeys(row.regions))
        several = regions if len(regions) > 1 else ()
        return tuple(
            TestSpec(
                row.id,
                self.cell,
                region,
                row.kind,
                row.interval_s,
                row.timeout_s,
                row.config,
                row.version,
                several,
            )
            for region in regions
        )

    def replace(self, rows: Iterable[Row]) -> None:
        """A full read: every enabled test."""
        self.regions, self._specs = {}, {}
        still: dict[int, str] = {}
        for row in rows:
            if specs := self.specs(row):
                self._put(row.id, specs)
            elif row.id in self.rejected:
                still[row.id] = self.rejected[row.id]
        self.rejected = still  # the others were deleted or disabled meanwhile

    def apply(self, rows: Iterable[Row], deleted: Iterable[int]) -> Changed:
        """Rows written and tests deleted since the last read; what changed where."""
        changed: Changed = {}
        for test_id in deleted:
            self._reject(test_id, None)
            self._set(test_id, (), changed)
        for row in rows:
            self._set(row.id, self.specs(row), changed)
        return changed

    def _set(self, test_id: int, specs: Specs, changed: Changed) -> None:
        old = self._specs.get(test_id, ())
        if old == specs:  # a row read again, or a write that changed nothing we send
            return
        for spec in old:
            del self.regions[spec.region][test_id]
            changed.setdefault(spec.region, set()).add(test_id)
        self._specs.pop(test_id, None)
        if specs:
            self._put(test_id, specs)
            for spec in specs:
                changed.setdefault(spec.region, set()).add(test_id)

    def _put(self, test_id: int, specs: Specs) -> None:
        self._specs[test_id] = specs
        for spec in specs:
            self.regions.setdefault(spec.region, {})[test_id] = spec

    def _reject(self, test_id: int, reason: str | None) -> None:
        """Log a test left out when it first is (or for a new reason), and when it is back."""
        before = self.rejected.get(test_id)
        if reason == before:
            return
        if reason is None:
            del self.rejected[test_id]
            log.info("test usable again", extra={"test_id": test_id})
            return
        self.rejected[test_id] = reason
        log.warning(
            "test left out: its row cannot be sent", extra={"test_id": test_id, "reason": reason}
        )

    def __len__(self) -> int:
        return len(self._specs)
