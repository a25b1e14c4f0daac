"""Public status pages at /s/<slug>: no log-in, cached, in the visitor's language.

The API's public endpoint is already cached on its side; a small in-process TTL cache here
saves the round trip for a page many visitors open at once. The HTML itself is rendered
per request, because it depends on the visitor's language.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_percent
from flask_babel import gettext as _

from frontend import charts, page_access, page_brand, public_figures
from frontend.api_client import ApiError, BadResponse, NotFound, Unauthorized
from frontend.auth import api
from frontend.formatting import moment
from shared import names

bp = Blueprint("public", __name__)

SLUG = re.compile(names.SLUG_PATTERN)
LABEL = SLUG  # one part of a host name: the same shape
CACHE_TTL_S = 30.0
CACHE_MAX = 1000  # pages kept; beyond it, the cache starts over
REFRESH_S = 60
# A public page's HTML: a browser or a proxy may keep it but must ask before showing it
# again, so nobody is shown a page from a copy kept before it was made private.
PUBLIC_CACHE_CONTROL = "public, no-cache"
HISTORY_DAYS, DEFAULT_HISTORY_DAYS = names.HISTORY_DAYS, names.DEFAULT_HISTORY_DAYS
STATUSES = ("up", "down", "degraded", "maintenance", "pending")


class TtlCache:
    """slug -> (expires, API body); thread-safe, bounded, and a miss is never an error."""

    def __init__(self, ttl_s: float = CACHE_TTL_S, size: int = CACHE_MAX) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._items: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, dict[str, Any] | None]:
        with self._lock:
            hit = self._items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, key: str, value: dict[str, Any] | None) -> None:
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[key] = (time.monotonic() + self.ttl_s, value)


def fetch_page(slug: str, cache: TtlCache) -> dict[str, Any] | None:
    """The API's public page (None: no such page; page_access.locked(...): a private page
    the visitor has no access to). A visitor with an access cookie reads the page past the
    shared cache: what they see is theirs, not every visitor's.

    The cache keeps a page's content with its ETag, and every hit asks the API whether it
    still holds (If-None-Match): a 304, answered by the API's own cache without a body, lets
    the kept copy be shown; a page made private since answers 401 and the visitor gets the
    form, at once, whichever frontend or API process the owner's change went through. No
    answer (a timeout, a 5xx) shows no kept content either. What holds nothing of a page's
    (no such page, a locked page) is served from the cache within its TTL unasked."""
    access = page_access.headers(slug)
    if access:
        return _read(slug, access, None)[0]
    found, kept = cache.get(slug)
    if found and kept is not None and not kept["content"]:
        return kept["page"]
    etag = kept["etag"] if found and kept is not None else None
    body, etag = _read(slug, {}, etag)
    if body is None and etag is not None and kept is not None:
        body = kept["page"]  # 304: the kept copy is the API's current one
    content = body is not None and not page_access.is_locked(body)
    # A 404 is cached too: a typo'd slug costs the API once per TTL.
    cache.put(slug, {"page": body, "etag": etag if content else None, "content": content})
    return body


def _read(
    slug: str, headers: dict[str, str], etag: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    """(the page or None if there is none, its ETag); (None, etag) for a 304."""
    try:
        return api().revalidate(f"/public/status-pages/{slug}", etag, headers)
    except NotFound:
        return None, None
    except Unauthorized as exc:  # private, and no (or no longer a valid) access token
        return page_access.locked(exc.visibility), None


@bp.get("/s/<slug>")
def show(slug: str) -> ResponseReturnValue:
    if not SLUG.match(slug):
        abort(404)
    return _page(slug)


@bp.before_app_request
def custom_domain() -> ResponseReturnValue | None:
    """`/` on a custom domain mapped to a status page is that page; on any other host
    (the frontend's own names too) `/` goes on to its usual view."""
    if request.path != "/" or request.method not in ("GET", "HEAD"):
        return None
    host = domain_of(request.host)
    slug = slug_of(host, current_app.extensions["vigil_domain_cache"]) if host else None
    return _page(slug) if slug else None


def domain_of(host: str) -> str | None:
    """The request's host name if it could be a custom domain: no IP address, no
    "localhost", no port, two labels at least; None for anything else."""
    name = host.lower().rsplit(":", 1)[0] if not host.startswith("[") else ""
    name = name.removesuffix(".")
    labels = name.split(".")
    if (
        len(name) > 253
        or len(labels) < 2
        or not all(LABEL.match(x) for x in labels)
        or labels[-1].isdigit()
    ):
        return None  # malformed, a single label such as localhost, or an IPv4 address
    return name


def slug_of(host: str, cache: TtlCache) -> str | None:
    """The slug of the status page mapped to the host, asked of the API and cached briefly
    (unknown hosts too, so a stream of made-up Host headers costs the API once each per
    TTL); an API that cannot answer is not cached, and the usual view is served."""
    found, body = cache.get(host)
    if not found:
        try:
            # A domain of another cell's page answers a 307 to that cell's API.
            body = api().send("GET", f"/public/domains/{host}", None, follow_redirects=True)
        except NotFound:
            body = None
        except ApiError:
            return None
        cache.put(host, body)
    slug = (body or {}).get("slug")
    return slug if isinstance(slug, str) and SLUG.match(slug) else None


def _page(slug: str) -> ResponseReturnValue:
    page = fetch_page(slug, current_app.extensions["vigil_public_cache"])
    if page is None:
        abort(404)
    if page_access.is_locked(page):
        return page_access.password_form(slug, mode=page["needs"], email="")
    # A visitor whose browser names none of our languages reads the page's own.
    g.fallback_language = page.get("language")
    private = page_access.is_private(page)
    shown = view(page)
    html = render_template(
        "status_page.html", **shown, refresh_s=REFRESH_S, slug=slug, private=private
    )
    response = Response(html)
    if shown["brand_style"] or shown["favicon"]:
        response.headers["Content-Security-Policy"] = page_brand.csp(
            page_brand.CSP, shown["brand_style"], (shown["favicon"] or ("", None))[1]
        )
    if private:  # the visitor's own, for no shared cache and no search engine
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Robots-Tag"] = page_access.NOINDEX
    else:  # stored, but asked again before each use: the page may be made private any time
        response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    return response


def view(page: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, with the API's shapes checked."""
    if not isinstance(page.get("title"), str) or not isinstance(page.get("groups"), list):
        raise BadResponse("public page has no title or groups")
    bars = _bars(page.get("bars"))
    stored_days = page.get("history_days")
    days = stored_days if stored_days in HISTORY_DAYS else DEFAULT_HISTORY_DAYS
    per_monitor = {b.get("monitor_id"): b for b in page.get("bars") or [] if isinstance(b, dict)}
    groups: list[dict[str, Any]] = []
    for group in page["groups"]:
        if not isinstance(group, dict) or not isinstance(group.get("monitors"), list):
            raise BadResponse("public page group is malformed")
        monitors = [
            {
                **m,
                "status": _status(m.get("status")),
                "bars": bars.get(m.get("id")),
                "days": days,
                "figures": public_figures.figures(per_monitor.get(m.get("id"), {})),
                "sla": public_figures.sla(per_monitor.get(m.get("id"), {}), days),
            }
            for m in group["monitors"]
            if isinstance(m, dict)
        ]
        groups.append({"name": group.get("name"), "monitors": monitors})
    incidents = [i for i in page.get("incidents") or [] if isinstance(i, dict)]
    names = {m["id"]: m.get("name") for g in groups for m in g["monitors"] if "id" in m}
    for incident in incidents:
        incident["monitor_name"] = names.get(incident.get("monitor_id"), "")
        incident["started"] = moment(incident.get("started_at"))
        incident["resolved"] = moment(incident.get("resolved_at"))
        incident["updates"] = [
            dict(u, at=moment(u.get("created_at")))
            for u in incident.get("updates") or []
            if isinstance(u, dict)
        ]
    maintenance = [
        dict(w, starts=moment(w.get("starts_at")), ends=moment(w.get("ends_at")))
        for w in page.get("maintenance") or []
        if isinstance(w, dict)
    ]
    return {
        "posted": posted(page, names),
        "title": page["title"],
        "logo_url": page.get("logo_url"),
        "status": _status(page.get("status")),
        "groups": groups,
        "active": [i for i in incidents if i["resolved"] is None],
        "past": [i for i in incidents if i["resolved"] is not None],
        "maintenance": maintenance,
        "generated": moment(page.get("generated_at")),
        "announcements": announcements(page),
        "brand_style": page_brand.style(page),
        "footer_links": page_brand.footer_links(page),
        "favicon": page_brand.favicon(page),
    }


def posted(page: dict[str, Any], names: dict[Any, Any]) -> list[dict[str, Any]]:
    """The team's manual incidents, with the names of the monitors they touch."""
    shown = []
    for item in page.get("manual_incidents") or []:
        if not isinstance(item, dict):
            continue
        shown.append(
            dict(
                item,
                started=moment(item.get("started_at")),
                resolved=moment(item.get("resolved_at")),
                affected=[
                    dict(a, name=names.get(a.get("monitor_id"), ""))
                    for a in item.get("affected") or []
                    if isinstance(a, dict)
                ],
                updates=[
                    dict(u, at=moment(u.get("created_at")))
                    for u in item.get("updates") or []
                    if isinstance(u, dict)
                ],
            )
        )
    return shown


def announcements(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's live banners: their text and until when."""
    return [
        {"message": a["message"], "ends": moment(a.get("ends_at"))}
        for a in page.get("announcements") or []
        if isinstance(a, dict) and isinstance(a.get("message"), str)
    ]


def _bars(raw: Any) -> dict[Any, Any]:
    """monitor id -> the SVG of its daily bars (30, 90 or 365), each day with its tooltip."""
    out = {}
    for entry in raw or []:
        days = _days(entry) if isinstance(entry, dict) else None
        if days is None:
            continue
        bars = [
            charts.Bar(str(d.get("status", "none")), _tooltip(d))
            for d in days
            if isinstance(d, dict)
        ]
        out[entry.get("monitor_id")] = charts.uptime_bars(
            bars, _("Uptime over the last %(days)s days", days=len(bars))
        )
    return out


def _days(entry: dict[str, Any]) -> list[Any] | None:
    """A monitor's days: the API sends parallel arrays from `first_day` (small on the wire);
    a list of day objects is read too."""
    if isinstance(entry.get("days"), list):
        return list(entry["days"])
    uptime, status = entry.get("uptime"), entry.get("status")
    if not (isinstance(uptime, list) and isinstance(status, list) and len(uptime) == len(status)):
        return None
    try:
        first = date.fromisoformat(str(entry.get("first_day")))
    except ValueError:
        return None
    return [
        {"day": (first + timedelta(days=i)).isoformat(), "uptime": u, "status": st}
        for i, (u, st) in enumerate(zip(uptime, status, strict=True))
    ]


def _tooltip(day: dict[str, Any]) -> str:
    try:
        when = format_date(date.fromisoformat(str(day.get("day"))), "medium")
    except ValueError:
        when = ""
    uptime = day.get("uptime")
    if not isinstance(uptime, int | float) or isinstance(uptime, bool):
        return _("%(day)s: no data", day=when)
    return _("%(day)s: %(uptime)s uptime", day=when, uptime=format_percent(uptime, "#,##0.##%"))


def _status(raw: Any) -> str:
    return raw if raw in STATUSES else "pending"
