"""The plan and the outcome as the user reads them."""

from __future__ import annotations

import json
from typing import Any

from ascode.apply import Outcome
from ascode.plan import Step

SIGN = {"create": "+", "update": "~", "adopt": "=", "delete": "-"}


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def plan(steps: list[Step]) -> str:
    if not steps:
        return "No changes: the account matches the files."
    lines = []
    for step in steps:
        lines.append(f"{SIGN[step.action]} {step.action} {step.kind} {step.key}")
        if step.action != "create":
            lines += [f"    {c.field}: {_short(c.old)} -> {_short(c.new)}" for c in step.changes]
    counts = {a: sum(s.action == a for s in steps) for a in SIGN}
    lines.append("Plan: " + ", ".join(f"{n} to {a}" for a, n in counts.items() if n))
    return "\n".join(lines)


def outcome(result: Outcome, total: int) -> str:
    lines = [f"applied: {s.action} {s.kind} {s.key}" for s in result.done]
    if result.failed is None:
        lines.append(f"Applied {len(result.done)} of {total} changes.")
        return "\n".join(lines)
    step = result.failed
    where = step.obj.at() if step.obj else f"{step.kind} {step.key!r}"
    lines.append(f"FAILED: {step.action} {where}: {result.error}")
    lines.append(
        f"{len(result.done)} of {total} changes were applied before it; the rest "
        "were not. Fix the file and run apply again: it plans from what is there."
    )
    return "\n".join(lines)
