"""Feeds and badges of a public status page: RSS 2.0, Atom and shields.io-like SVG.

All of them are made from the page's cached JSON (`api.routes.public`), so they are as
fresh as the page and cost no query of their own on a hit; a rendered feed or badge is kept
per version (ETag) of the page, so a crowd of badge readers renders it once.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from typing import Annotated, Any, Literal
from xml.sax.saxutils import escape

import orjson
from fastapi import APIRouter, Path, Query, Request, Response

from api import page_access, public_periods
from api.public_cache import cache_control
from api.routes import public
from api.schemas import ErrorOut, Responses

router = APIRouter(prefix=public.router.prefix, tags=["public"])
MAX_RENDERED = 20_000  # feeds and badges kept, of every page's current version
PERIODS = public_periods.PERIODS  # days of bars the figure covers
Period = Literal["24h", "7d", "30d", "90d", "365d"]
Kind = Literal["status", "uptime", "response_time"]
COLOURS = {
    "up": "#2e7d32",
    "degraded": "#b26a00",
    "down": "#c62828",
    "maintenance": "#1565c0",
    "pending": "#616161",
}
NOT_FOUND: Responses = {404: {"model": ErrorOut}}


def _answers(media_type: str) -> dict[int | str, dict[str, Any]]:
    """What the OpenAPI document says of a route answering `media_type` (not JSON)."""
    return {
        200: {"content": {media_type: {"schema": {"type": "string"}}}},
        **NOT_FOUND,
        401: {"model": ErrorOut, "description": "a private page, without its ?token="},
    }


class _Page:
    """The page's cached answer; its JSON parsed only when a rendering is not kept (parsing
    ~180 kB for each badge would cost more than all the rest of its answer)."""

    def __init__(self, etag: bytes, body: bytes, private: bool) -> None:
        self.etag, self._body = etag, body
        self._parsed: dict[str, Any] | None = None
        self.private = private

    def json(self) -> dict[str, Any]:
        if self._parsed is None:
            self._parsed = orjson.loads(self._body)
        return self._parsed


async def _page(request: Request) -> _Page | None:
    """The page from the page's cache; None if there is no such page; a 401 if it is
    private and the URL lacks its feed token."""
    app, slug = request.app, request.path_params["slug"]
    answer = await app.state.public_cache.get(slug, lambda: public._answer(app, slug))
    if answer.status != 200 or answer.etag is None:
        return None
    if not page_access.allowed(request, answer.guard, feeds_only=True):
        raise page_access.locked()
    return _Page(answer.etag, answer.body, answer.guard is not None)


def _kept(request: Request, key: tuple[Any, ...], make: Any) -> bytes | None:
    """The rendering `make()` of this version of the page (None: nothing to show)."""
    kept = getattr(request.app.state, "public_rendered", None)
    if kept is None:
        kept = request.app.state.public_rendered = {}
    if key not in kept:
        if len(kept) >= MAX_RENDERED:
            kept.clear()
        kept[key] = make()
    return kept[key]


def _send(request: Request, body: bytes, media_type: str, private: bool) -> Response:
    ttl = int(request.app.state.settings.public_cache_ttl_s)
    if private:  # the token is in the URL: no shared cache keeps it, no search engine
        return Response(
            body,
            media_type=media_type,
            headers={
                "cache-control": f"private, max-age={ttl}",
                "x-robots-tag": "noindex, nofollow",
            },
        )
    return Response(
        body, media_type=media_type, headers={"cache-control": cache_control(ttl).decode()}
    )


def _missing() -> Response:
    return Response(public.NOT_FOUND.body, status_code=404, media_type="application/json")


# --- feeds ---------------------------------------------------------------------------


def _entries(page: dict[str, Any]) -> list[dict[str, str]]:
    """Incidents and maintenance windows, newest first, as feed entries."""
    names = {m["id"]: m["name"] for g in page["groups"] for m in g["monitors"]}
    entries = []
    for incident in page["incidents"]:
        name = names.get(incident["monitor_id"], "")
        title = incident["title"] or f"{name}: {incident['severity']}"
        words = [incident["message"] or ""] + [u["message"] for u in incident["updates"]]
        state = "resolved" if incident["resolved_at"] else "ongoing"
        entries.append(
            {
                "id": f"incident-{incident['id']}",
                "title": f"{title} ({state})",
                "text": "\n".join(w for w in words if w),
                "at": incident["resolved_at"] or incident["started_at"],
            }
        )
    for window in page["maintenance"]:
        entries.append(
            {
                "id": f"maintenance-{window['starts_at']}-{window['title']}",
                "title": f"Maintenance: {window['title']}",
                "text": f"{window['starts_at']} – {window['ends_at']}",
                "at": window["starts_at"],
            }
        )
    return sorted(entries, key=lambda e: e["at"], reverse=True)


def _link(request: Request, slug: str) -> str:
    return f"{request.app.state.settings.public_url.rstrip('/')}/s/{slug}"


def rss(page: dict[str, Any], link: str) -> bytes:
    items = "".join(
        f"<item><title>{escape(e['title'])}</title><link>{escape(link)}</link>"
        f'<guid isPermaLink="false">{escape(link)}#{escape(e["id"])}</guid>'
        f"<pubDate>{format_datetime(datetime.fromisoformat(e['at']))}</pubDate>"
        f"<description>{escape(e['text'])}</description></item>"
        for e in _entries(page)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(page['title'])}</title><link>{escape(link)}</link>"
        f"<description>{escape(page['title'])}</description>"
        f"<lastBuildDate>{format_datetime(datetime.fromisoformat(page['generated_at']))}"
        f"</lastBuildDate>{items}</channel></rss>"
    ).encode()


def atom(page: dict[str, Any], link: str) -> bytes:
    entries = "".join(
        f"<entry><id>{escape(link)}#{escape(e['id'])}</id><title>{escape(e['title'])}</title>"
        f'<updated>{e["at"]}</updated><link href="{escape(link)}"/>'
        f"<summary>{escape(e['text'])}</summary></entry>"
        for e in _entries(page)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>'
        f'<feed xmlns="http://www.w3.org/2005/Atom"><id>{escape(link)}</id>'
        f"<title>{escape(page['title'])}</title><updated>{page['generated_at']}</updated>"
        f'<link href="{escape(link)}"/><author><name>{escape(page["title"])}</name>'
        f"</author>{entries}</feed>"
    ).encode()


FEEDS = {"rss": (rss, "application/rss+xml"), "atom": (atom, "application/atom+xml")}


async def _feed(request: Request, slug: str, kind: str) -> Response:
    found = await _page(request)
    if found is None:
        return _missing()
    make, media_type = FEEDS[kind]
    body = _kept(request, (found.etag, kind), lambda: make(found.json(), _link(request, slug)))
    assert body is not None
    return _send(request, body, media_type, found.private)


@router.get(
    "/status-pages/{slug}/feed.rss",
    responses=_answers("application/rss+xml"),
    response_class=Response,
    response_description="the page's incidents and maintenance as RSS 2.0",
)
async def page_rss(
    slug: public.Slug, request: Request, token: page_access.TokenQ = None
) -> Response:
    return await _feed(request, slug, "rss")


@router.get(
    "/status-pages/{slug}/feed.atom",
    responses=_answers("application/atom+xml"),
    response_class=Response,
    response_description="the page's incidents and maintenance as Atom",
)
async def page_atom(
    slug: public.Slug, request: Request, token: page_access.TokenQ = None
) -> Response:
    return await _feed(request, slug, "atom")


# --- badges --------------------------------------------------------------------------


def uptime(bars: list[dict[str, Any]], days: int) -> float | None:
    """The mean of the last `days` daily uptimes of these bars (days without checks left
    out); None if none of them had a check."""
    known = [u for bar in bars for u in bar["uptime"][-days:] if u is not None]
    return sum(known) / len(known) if known else None


def _text_width(text: str) -> int:
    return 7 * len(text) + 10  # Verdana 11 px averages ~7 px a character


def badge(label: str, value: str, colour: str) -> bytes:
    """A flat two-part badge like shields.io's, with its words as the accessible name."""
    left, right = _text_width(label), _text_width(value)
    width = left + right
    label, value = escape(label), escape(value)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" '
        f'role="img" aria-label="{label}: {value}"><title>{label}: {value}</title>'
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif"'
        f' font-size="11"><text x="{left / 2}" y="14">{label}</text>'
        f'<text x="{left + right / 2}" y="14">{value}</text></g></svg>'
    ).encode()


def response_ms(bars: list[dict[str, Any]], period: str) -> float | None:
    """The mean response time of these bars' monitors over `period` (each monitor's mean
    weighted by its checks); None if none has a timed check in it (or the page is shorter)."""
    known = [
        p
        for bar in bars
        if (p := (bar.get("periods") or {}).get(period))
        and p["response_ms"] is not None
        and p["checks"]
    ]
    checks = sum(p["checks"] for p in known)
    return sum(p["response_ms"] * p["checks"] for p in known) / checks if checks else None


def _response_badge(bars: list[dict[str, Any]], period: str) -> bytes:
    figure = response_ms(bars, period)
    if figure is None:
        return badge(f"response {period}", "no data", COLOURS["pending"])
    # shields.io's response-time scale: under 300 ms is good, over a second is bad.
    colour = (
        COLOURS["up"]
        if figure < 300
        else (COLOURS["degraded"] if figure < 1000 else COLOURS["down"])
    )
    return badge(f"response {period}", f"{figure:.0f} ms", colour)


def _badge_for(
    statuses: list[str], bars: list[dict[str, Any]], kind: str, period: str, days: int
) -> bytes:
    if kind == "status":
        status = public._overall(statuses)
        return badge("status", status, COLOURS[status])
    if kind == "response_time":
        return _response_badge(bars, period)
    # A period longer than the page's bars has no figure (not a shorter one's under its name).
    figure = uptime(bars, PERIODS[period]) if PERIODS[period] <= days else None
    if figure is None:
        return badge(f"uptime {period}", "no data", COLOURS["pending"])
    colour = (
        COLOURS["up"]
        if figure >= 0.99
        else (COLOURS["degraded"] if figure >= 0.95 else COLOURS["down"])
    )
    return badge(f"uptime {period}", f"{figure * 100:.2f}%", colour)


def _badge_of(page: dict[str, Any], monitor_id: int | None, kind: str, period: str) -> bytes | None:
    """The badge of the page, or of one of its monitors (None if it has no such monitor)."""
    statuses = [
        m["status"]
        for g in page["groups"]
        for m in g["monitors"]
        if monitor_id is None or m["id"] == monitor_id
    ]
    if not statuses and monitor_id is not None:
        return None
    bars = [b for b in page["bars"] if monitor_id is None or b["monitor_id"] == monitor_id]
    return _badge_for(statuses, bars, kind, period, page.get("history_days", 90))


KindQ = Annotated[
    Kind, Query(description=("status, or uptime or mean response time over `period`"))
]
PeriodQ = Annotated[Period, Query()]


@router.get(
    "/status-pages/{slug}/badge.svg",
    responses=_answers("image/svg+xml"),
    response_class=Response,
    response_description="an SVG badge of the whole page",
)
async def page_badge(
    slug: public.Slug,
    request: Request,
    kind: KindQ = "status",
    period: PeriodQ = "30d",
    token: page_access.TokenQ = None,
) -> Response:
    found = await _page(request)
    if found is None:
        return _missing()
    body = _kept(
        request, (found.etag, kind, period), lambda: _badge_of(found.json(), None, kind, period)
    )
    assert body is not None
    return _send(request, body, "image/svg+xml", found.private)


@router.get(
    "/status-pages/{slug}/monitors/{monitor_id}/badge.svg",
    responses=_answers("image/svg+xml"),
    response_class=Response,
    response_description="an SVG badge of one monitor of the page",
)
async def monitor_badge(
    slug: public.Slug,
    request: Request,
    monitor_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    kind: KindQ = "status",
    period: PeriodQ = "30d",
    token: page_access.TokenQ = None,
) -> Response:
    found = await _page(request)
    if found is None:
        return _missing()
    body = _kept(
        request,
        (found.etag, monitor_id, kind, period),
        lambda: _badge_of(found.json(), monitor_id, kind, period),
    )
    return _missing() if body is None else _send(request, body, "image/svg+xml", found.private)
