"""The fake API's checks of a status page's branding, as the real API words them: the
fields each 422 names are the real API's (tests/frontend/test_fake_contract.py)."""

from __future__ import annotations

import re
from typing import Any

from shared import names


def _error(loc: list[Any], msg: str) -> dict[str, Any]:
    return {"type": "value_error", "loc": loc, "msg": f"Value error, {msg}"}


def _scheme(url: Any, schemes: tuple[str, ...]) -> bool:
    return isinstance(url, str) and url.lower().startswith(tuple(f"{s}://" for s in schemes))


def errors(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The 422 errors of a status page body's branding fields (those sent only)."""
    out = []
    accent = data.get("accent_color")
    if accent is not None and not (
        isinstance(accent, str) and re.match(names.ACCENT_COLOR_PATTERN, accent)
    ):
        out.append(
            {
                "type": "string_pattern_mismatch",
                "loc": ["body", "accent_color"],
                "msg": f"String should match pattern '{names.ACCENT_COLOR_PATTERN}'",
            }
        )
    favicon = data.get("favicon_url")
    if favicon is not None and not _scheme(favicon, ("https",)):
        out.append(_error(["body", "favicon_url"], "must start with https://"))
    links = data.get("footer_links")
    if isinstance(links, list) and len(links) > names.MAX_FOOTER_LINKS:
        out.append(
            {
                "type": "too_long",
                "loc": ["body", "footer_links"],
                "msg": f"List should have at most {names.MAX_FOOTER_LINKS} items",
            }
        )
    elif isinstance(links, list):
        for i, link in enumerate(links):
            label = link.get("label") if isinstance(link, dict) else None
            if not isinstance(label, str) or not 0 < len(label) <= names.MAX_FOOTER_LABEL:
                out.append(_error(["body", "footer_links", i, "label"], "label is too long"))
            if not _scheme(link.get("url") if isinstance(link, dict) else None, ("http", "https")):
                out.append(
                    _error(["body", "footer_links", i, "url"], "scheme must be one of http, https")
                )
    return out
