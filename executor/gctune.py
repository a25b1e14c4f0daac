"""Garbage-collector settings for a process that holds many tests and checks thousands a second.

The held tests are a large, long-lived heap, and every check allocates a burst of
short-lived objects: with CPython's default thresholds the collector keeps walking the
long-lived heap and costs about a third of the CPU at 3,000 checks a second (see
docs/PERFORMANCE.md). Younger collections run less often, and what is held at start is
frozen out of the collector's sight.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 50, 100)


def tune() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
