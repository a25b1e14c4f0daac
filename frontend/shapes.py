"""The parts of an API answer the frontend reads, each as its expected JSON type or empty.

The API's contract says what each field holds; a field that is missing or malformed is read
as empty rather than trusted, so a page shows less instead of failing.
"""

from __future__ import annotations

from typing import Any


def as_dict(value: object) -> dict[str, Any]:
    """`value` when it is a JSON object, else {}."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """`value` when it is a JSON array, else []."""
    return value if isinstance(value, list) else []


def as_str(value: object) -> str:
    """`value` when it is a JSON string, else ""."""
    return value if isinstance(value, str) else ""
