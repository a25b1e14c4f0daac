"""Uptime Kuma status pages (as `GET /api/status-page/<slug>` answers them) to the
`status_pages` section: slug, title, logo, groups in Kuma's order, and each group's monitors
by the key the backup's monitor got."""

from __future__ import annotations

import re
from typing import Any

from ascode.importers.common import Result
from shared.names import MAX_GROUP_NAME, MAX_PAGE_GROUPS

_NOT_SLUG = re.compile(r"[^a-z0-9-]+")
_KUMA_DEFAULT_ICON = "/icon.svg"
_BLANK_CSS = re.compile(r"\s+")  # Kuma's default custom CSS is an empty `body {}`
# Page settings Vigil has no place for: Kuma's config field -> what it is.
_NO_PLACE = {
    "description": "description",
    "footerText": "footer text",
    "customCSS": "custom CSS",
    "analyticsId": "analytics",
    "googleAnalyticsId": "analytics",
}  # 1.x; 2.x says analyticsId


def _slug(kuma_slug: str, note: list[str]) -> str:
    """Kuma's slug as a Vigil slug (a DNS label of 3 to 63 characters)."""
    slug = _NOT_SLUG.sub("-", kuma_slug.strip().lower()).strip("-")[:63].strip("-")
    if len(slug) < 3:
        slug = f"{slug or 'kuma'}-status"
    if slug != kuma_slug:
        note.append(
            f"slug {kuma_slug!r} became {slug!r} (a Vigil slug is a lower-case DNS "
            "label of 3 to 63 characters)"
        )
    return slug


def _logo(icon: str | None, note: list[str]) -> str | None:
    if not icon or icon == _KUMA_DEFAULT_ICON:
        return None
    if icon.startswith("https://"):
        return icon
    note.append(
        f"logo {icon[:80]!r} is a file on the Kuma server: put it on an https URL and set logo_url"
    )
    return None


def _groups(
    page: dict[str, Any], keys: dict[int, str], note: list[str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Group names in Kuma's order and the page's monitors with their group and position."""
    groups: list[str] = []
    entries: list[dict[str, Any]] = []
    placed: set[str] = set()
    for i, group in enumerate(
        sorted(page["publicGroupList"], key=lambda g: float(g.get("weight") or 0))
    ):
        name = str(group.get("name") or "").strip()[:MAX_GROUP_NAME] or f"Group {i + 1}"
        if name in groups:
            note.append(f"two groups are named {name!r}: their monitors are in one")
        elif len(groups) == MAX_PAGE_GROUPS:
            note.append(
                f"group {name!r}: a page takes {MAX_PAGE_GROUPS} groups; its monitors "
                "are on the page without a group"
            )
            name = ""
        else:
            groups.append(name)
        for m in group.get("monitorList") or []:
            key = keys.get(m["id"])
            if key is None:
                note.append(
                    f"monitor {m.get('name')!r} (id {m['id']}) was not imported, so "
                    "it is not on the page"
                )
            elif key in placed:
                note.append(f"monitor {m.get('name')!r} is in two groups: kept in the first")
            else:
                placed.add(key)
                entries.append({"monitor": key, "group": name or None, "position": len(entries)})
    return groups, entries


def _unsupported(page: dict[str, Any], note: list[str]) -> None:
    config = page["config"]
    for field, what in _NO_PLACE.items():
        value = config.get(field)
        if value and not (field == "customCSS" and _BLANK_CSS.sub("", value) == "body{}"):
            note.append(f"its {what} has no place on a Vigil page")
    incidents = page.get("incidents") or ([page["incident"]] if page.get("incident") else [])
    if incidents:
        note.append(
            f"{len(incidents)} pinned incident(s) not carried over: post them on the Vigil page"
        )
    if page.get("maintenanceList"):
        note.append(
            f"{len(page['maintenanceList'])} maintenance(s) not carried over: add them "
            "to the file's maintenance section"
        )


def convert(page: dict[str, Any], keys: dict[int, str], out: Result) -> None:
    """Adds the page to `out.status_pages`; `keys` maps Kuma monitor ids to the file's keys."""
    config = page["config"]
    note: list[str] = []
    slug = _slug(config["slug"], note)
    groups, entries = _groups(page, keys, note)
    body: dict[str, Any] = {
        "key": out.key(slug, "status-page"),
        "slug": slug,
        "title": config["title"].strip()[:200] or slug,
    }
    logo = _logo(config.get("icon"), note)
    if logo:
        body["logo_url"] = logo
    body["groups"] = groups
    body["monitors"] = entries
    _unsupported(page, note)
    out.status_pages.append(body)
    out.skipped += [f"status page {config['slug']!r}: {n}" for n in note]
