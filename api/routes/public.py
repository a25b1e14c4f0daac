"""GET /public/status-pages/{slug}: a status page for anyone, no token, cached.

A page is the newest state of each test (`test_state`), its maintenance windows, and the
history (`api.public_history`: the page's 30, 90 or 365 daily bars per monitor, figures per period,
SLA verdicts, incidents with their updates).
Each refresh reads the states, today's counts and the history's watermark; the closed
days are kept per page for the UTC day and rebuilt only when the watermark moves. The
page is rendered to JSON bytes with an ETag once per refresh and served from
`api.public_cache` (refreshed in the background once warm).
"""

from __future__ import annotations

import hashlib
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import or_, select
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection

from api import page_access, public_history, public_posted
from api.public_cache import Answer, Asked, cache_control
from api.public_history import History
from api.resource_schemas import SLUG_PATTERN
from api.routes import PREFIX
from api.schemas import ErrorOut
from api.status import MISCONFIGURED, PENDING, monitor_status, state_label
from shared.tables import (
    maintenance_windows,
    monitors,
    status_announcements,
    status_page_monitors,
    status_pages,
    test_state,
    tests,
)

router = APIRouter(prefix=f"{PREFIX}/public", tags=["public"])
PAGES = f"{PREFIX}/public/status-pages/"  # the cache's key is what follows

UPCOMING = timedelta(days=7)  # maintenance shown ahead of time
MAX_HISTORIES = 10_000  # pages whose closed days are kept
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=63)]
spm = status_page_monitors
mw = maintenance_windows
ann = status_announcements

NOT_FOUND = Answer(404, b'{"detail": "status page not found"}', [])
BUSY = b'{"detail": "too many requests at once; try again shortly"}'


async def _answer(app: Any, slug: str) -> Answer:
    """The page if this cell has it; else a redirect to the cell that has, if any."""
    found = await _page(app, slug)
    if found is not None or app.state.directory is None:
        return found or NOT_FOUND
    cell = await app.state.directory.locate_slug(slug)
    if cell is None or cell.name == app.state.settings.cell:
        return NOT_FOUND
    location = f"{cell.api_url}{PAGES}{slug}".encode()
    return Answer(307, b"", [(b"location", location)])


def _histories(app: Any) -> dict[str, History] | None:
    """The closed days kept per slug; None with the cache off (every answer from scratch)."""
    if app.state.settings.public_cache_ttl_s <= 0:
        return None
    kept = getattr(app.state, "public_histories", None)
    if kept is None:
        kept = app.state.public_histories = {}
    return kept


@dataclass(frozen=True)
class _Live:
    """What every refresh reads: the page, its monitors' states, the windows, today."""

    page: Any
    states: list[Any]
    windows: list[Any]
    monitor_ids: tuple[int, ...]
    today: dict[int, Any]
    watermark: public_history.Watermark
    announcements: Sequence[Any]
    manual: list[dict[str, Any]]  # the owner's manual incidents (api.public_posted)
    targets: dict[int, float | None]  # SLA target per monitor: its own, else the page's


def utc_now() -> datetime:
    """The page's clock (a test moves it to the next day)."""
    return datetime.now(UTC)


async def _page(app: Any, slug: str) -> Answer | None:
    histories = _histories(app)
    now = utc_now()
    async with app.state.engine.connect() as conn:
        live = await _live(conn, slug, now)
        if live is None:
            return None
        kept = histories.get(slug) if histories is not None else None
        build = None
        days = live.page.history_days
        if kept is None or not kept.fits(now.date(), live.monitor_ids, live.watermark, days):
            build = await public_history.read(conn, live.monitor_ids, now, live.watermark, days)

    def render() -> tuple[History, Answer]:
        history = build() if build is not None else kept
        assert history is not None
        body = orjson.dumps(
            {
                **_render(live.page, live.states, live.windows, now),
                "announcements": [
                    {
                        "message": a.message,
                        "starts_at": a.starts_at.isoformat(),
                        "ends_at": a.ends_at.isoformat(),
                    }
                    for a in live.announcements
                ],
                "manual_incidents": live.manual,
                **public_history.with_today(history, live.today, now, live.targets),
            }
        )
        etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
        guard = page_access.guard_of(live.page)
        return history, Answer(200, body, [], etag, _gzip(body), guard)

    # A rebuild of the closed days is ~10 ms of Python, the assembly of a page a few: in a
    # thread, so the event loop goes on answering cached pages meanwhile.
    history, answer = await anyio.to_thread.run_sync(render)
    if histories is not None and history is not kept:
        if len(histories) >= MAX_HISTORIES:
            histories.clear()
        histories[slug] = history
    return answer


def _gzip(body: bytes) -> bytes:
    """~180 kB of bars compress to ~6 kB in ~2 ms (zlib lets go of the GIL meanwhile)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    return packer.compress(body) + packer.flush()


async def _live(conn: AsyncConnection, slug: str, now: datetime) -> _Live | None:
    page = (await conn.execute(select(status_pages).where(status_pages.c.slug == slug))).first()
    if page is None:
        return None
    states = (
        await conn.execute(
            select(
                spm.c.monitor_id,
                monitors.c.name,
                spm.c.group_name,
                spm.c.position,
                test_state.c.status,
                test_state.c.error_kind,
                spm.c.sla_target,
            )
            .join(monitors, monitors.c.id == spm.c.monitor_id)
            .outerjoin(tests, (tests.c.monitor_id == monitors.c.id) & tests.c.enabled)
            .outerjoin(test_state, test_state.c.test_id == tests.c.id)
            .where(spm.c.page_id == page.id)
            .order_by(spm.c.position, monitors.c.name, spm.c.monitor_id)
        )
    ).all()
    # A recurring window is read whatever its first times: its occurrence decides.
    windows = public_posted.windows(
        (
            await conn.execute(
                select(
                    mw.c.title,
                    mw.c.starts_at,
                    mw.c.ends_at,
                    mw.c.monitor_id,
                    mw.c.recurrence,
                    mw.c.timezone,
                ).where(
                    or_(
                        mw.c.status_page_id == page.id,
                        mw.c.monitor_id.in_(
                            select(spm.c.monitor_id).where(spm.c.page_id == page.id)
                        ),
                    ),
                    or_(
                        mw.c.recurrence.is_not(None),
                        (mw.c.ends_at > now) & (mw.c.starts_at < now + UPCOMING),
                    ),
                )
            )
        ).all(),
        now,
        UPCOMING,
    )
    states = [*states, *await _tagged(conn, page, {r.monitor_id for r in states})]
    announced = (
        await conn.execute(
            select(ann.c.message, ann.c.starts_at, ann.c.ends_at)
            .where(ann.c.page_id == page.id, ann.c.ends_at > now, ann.c.starts_at <= now)
            .order_by(ann.c.starts_at, ann.c.id)
        )
    ).all()
    monitor_ids = tuple(dict.fromkeys(r.monitor_id for r in states))
    today, mark = await public_history.today_and_watermark(
        conn, monitor_ids, now.date(), page.history_days
    )
    manual = await public_posted.incidents(conn, page.id, now)
    targets: dict[int, float | None] = {}
    for row in states:
        targets.setdefault(
            row.monitor_id, page.sla_target if row.sla_target is None else row.sla_target
        )
    return _Live(page, states, windows, monitor_ids, today, mark, announced, manual, targets)


async def _tagged(conn: AsyncConnection, page: Any, placed: set[int]) -> list[Any]:
    """The rows of the monitors the page's groups select by tag (those not placed on the
    page one by one), by name, each in the first group whose tag it carries."""
    if not page.group_tags:
        return []
    tag_of = {g: page.group_tags[g] for g in page.groups if g in page.group_tags}
    rows = (
        await conn.execute(
            select(
                monitors.c.id.label("monitor_id"),
                monitors.c.name,
                monitors.c.tags,
                test_state.c.status,
            )
            .outerjoin(tests, (tests.c.monitor_id == monitors.c.id) & tests.c.enabled)
            .outerjoin(test_state, test_state.c.test_id == tests.c.id)
            .where(
                monitors.c.account_id == page.account_id,
                monitors.c.tags.overlap(list(tag_of.values())),
            )
            .order_by(monitors.c.name, monitors.c.id)
        )
    ).all()
    out = []
    for row in rows:
        if row.monitor_id in placed:
            continue
        group = next(g for g, tag in tag_of.items() if tag in row.tags)
        out.append(_Tagged(row.monitor_id, row.name, group, row.status))
    return out


@dataclass(frozen=True)
class _Tagged:
    """A monitor on the page through its group's tag, shaped like a placed one's row."""

    monitor_id: int
    name: str
    group_name: str
    status: int | None
    error_kind: str | None = None
    sla_target: float | None = None  # only the page's target applies


def _render(page: Any, states: list[Any], windows: list[Any], now: datetime) -> dict[str, Any]:
    in_maintenance = {w["monitor_id"] for w in windows if w["phase"] == "in_progress"}
    whole_page = any(w["monitor_id"] is None and w["phase"] == "in_progress" for w in windows)
    per_monitor: dict[int, dict[str, Any]] = {}
    test_states: dict[int, list[str | None]] = defaultdict(list)
    for row in states:
        per_monitor.setdefault(
            row.monitor_id, {"id": row.monitor_id, "name": row.name, "group": row.group_name}
        )
        test_states[row.monitor_id].append(
            None if row.status is None else state_label(row.status, row.error_kind)
        )
    groups: dict[str | None, list[dict[str, Any]]] = {None: []}
    groups.update({name: [] for name in page.groups})
    for monitor_id, monitor in per_monitor.items():
        maintained = whole_page or monitor_id in in_maintenance
        status = "maintenance" if maintained else _public(monitor_status(test_states[monitor_id]))
        groups.setdefault(monitor.pop("group"), []).append({**monitor, "status": status})
    return {
        "slug": page.slug,
        "title": page.title,
        "logo_url": page.logo_url,
        "language": page.language,
        "visibility": page.visibility,
        "history_days": page.history_days,
        "sla_target": page.sla_target,
        "accent_color": page.accent_color,
        "footer_links": page.footer_links,
        "favicon_url": page.favicon_url,
        "status": _overall([m["status"] for ms in groups.values() for m in ms]),
        "groups": [{"name": name, "monitors": ms} for name, ms in groups.items() if ms],
        "maintenance": [
            {**w, "starts_at": w["starts_at"].isoformat(), "ends_at": w["ends_at"].isoformat()}
            for w in windows
        ],
        "generated_at": now.isoformat(),
    }


def _public(status: str) -> str:
    # A misconfigured test is the account's to fix, not news for its visitors: the page does
    # not know how the service is, as before a first check.
    return PENDING if status == MISCONFIGURED else status


def _overall(statuses: list[str]) -> str:
    for worst in ("down", "degraded", "maintenance", "pending"):
        if worst in statuses:
            return worst
    return "up"


@router.get(
    "/status-pages/{slug}",
    responses={
        401: {
            "model": ErrorOut,
            "description": (
                "a private page, asked without a valid "
                "access token (X-Vigil-Page-Access) or "
                "feed token (?token=)"
            ),
        },
        404: {"model": ErrorOut},
        503: {"model": ErrorOut},
    },
    response_description="the page, its groups and the state of each monitor",
)
async def public_status_page(
    slug: Slug, request: Request, token: page_access.TokenQ = None
) -> Response:
    app = request.app
    try:
        answer = await app.state.public_cache.get(slug, lambda: _answer(app, slug))
    except PoolTimeout:
        # More misses than connections for longer than the pool waits (a cache turned off
        # under a crowd): say so, and when to come back, rather than fail with a 500.
        return Response(
            BUSY, status_code=503, media_type="application/json", headers={"Retry-After": "1"}
        )
    if not page_access.allowed(request, answer.guard):
        return page_access.refused(answer.guard)  # type: ignore[arg-type]
    ttl = int(app.state.settings.public_cache_ttl_s)
    # A private page is the visitor's to keep, not a shared cache's, and no search engine's.
    private = answer.guard is not None
    status, headers, body = answer.head(
        f"private, max-age={ttl}".encode() if private else cache_control(ttl),
        Asked.of(request.scope),
    )
    response = Response(body, status_code=status)
    response.raw_headers = [*headers, page_access.NOINDEX] if private else headers
    return response


class _Route:
    """What the metrics middleware needs of a route: its path template."""

    path = f"{PAGES}{{slug}}"


ROUTE = _Route()
