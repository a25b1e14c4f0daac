"""One notification channel: its delivery attempts, a test button, the monitors it alerts for.

The API lists attempts oldest first, a page at a time; the page shows the newest, so it
reads to the last page (bounded). A test notification is queued by the API and sent by the
notifier; the view waits a moment for its first attempt so the flash can say how it went.
"""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend import forms
from frontend.api_client import ApiUnavailable, NotFound, Refused
from frontend.auth import login_required
from frontend.formatting import moment
from frontend.manage import call, private_page
from frontend.resources import items, remove, submit

bp = Blueprint("channels", __name__)

ATTEMPTS_PAGE = 200
ATTEMPTS_PAGES_MAX = 10  # 2,000 attempts read at most to find the newest
ATTEMPTS_SHOWN = 50
TEST_WAIT_S = 4.0  # how long the test button waits for the notifier's first attempt
TEST_POLL_S = 0.25
CHANNELS_CHECKED_MAX = 50  # the monitor page asks this many channels whether they alert
HOOK = re.compile(r"hook (\S+) exit (-?\d+)(?:: (.*))?", re.DOTALL)
LINK_FIELDS = ("monitor_id",)


def _path(cid: int, tail: str = "") -> str:
    return f"/notification-channels/{cid}{tail}"


def attempts(cid: int, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Every attempt after the cursor (all, without one), oldest first, and the cursor of
    the last page read: reading again from it sees only that page and anything newer."""
    found: list[dict[str, Any]] = []
    last = cursor
    for _page in range(ATTEMPTS_PAGES_MAX):
        params = {"limit": ATTEMPTS_PAGE, **({"cursor": cursor} if cursor else {})}
        body = call("GET", _path(cid, "/attempts"), params=params)
        found.extend(a for a in body.get("items") or [] if isinstance(a, dict))
        last, cursor = cursor, body.get("next")
        if not isinstance(cursor, str) or not cursor:
            break
    return found, last


def shown(attempt: dict[str, Any]) -> dict[str, Any]:
    """An attempt as the table shows it: its time, the event it told, a hook's exit code."""
    out = {**attempt, "at": moment(attempt.get("attempted_at"))}
    out.update(event(str(attempt.get("key") or "")))
    hook = HOOK.fullmatch(str(attempt.get("error") or attempt.get("detail") or ""))
    if hook:
        out["exit_code"], out["output"] = int(hook.group(2)), hook.group(3) or ""
    return out


def event(key: str) -> dict[str, Any]:
    """What a delivery key says was told: a test, a certificate notice, or an incident's
    opening, change, end or reminder (the notifier's key formats)."""
    parts = key.split("/")
    if parts[0] == "test":
        return {"event": _("Test notification"), "incident_id": None}
    if parts[0] == "cert":  # cert/<cell>/<test>/<expiry day>
        return {"event": _("Certificate expiry notice"), "incident_id": None}
    if parts[0] == "incident" and len(parts) >= 4 and parts[2].isdigit():
        labels = {"opened": _("Incident opened"), "changed": _("Incident changed"),
                  "resolved": _("Incident resolved"), "reminder": _("Reminder")}
        return {"event": labels.get(parts[3], parts[3]), "incident_id": int(parts[2])}
    return {"event": key, "incident_id": None}


@bp.get("/channels/<int:cid>")
@login_required
def show(cid: int) -> ResponseReturnValue:
    return _view(cid, forms.read({}, LINK_FIELDS, {}))


def _view(cid: int, link: forms.Form) -> ResponseReturnValue:
    channel = call("GET", _path(cid))
    rows, _cursor = attempts(cid)
    newest = [shown(a) for a in reversed(rows[-ATTEMPTS_SHOWN:])]
    linked = items(_path(cid, "/monitors"))
    taken = {m.get("monitor_id") for m in linked}
    offered = [m for m in items("/monitors") if m.get("id") not in taken]
    html = render_template("channel.html", channel=channel, cid=cid, attempts=newest,
                           total=len(rows), linked=linked, offered=offered, link=link)
    return private_page(html, 200 if link.ok else 422)


@bp.post("/channels/<int:cid>/test")
@login_required
def send_test(cid: int) -> ResponseReturnValue:
    _before, cursor = attempts(cid)
    try:
        key = str(call("POST", _path(cid, "/test")).get("key") or "")
    except ApiUnavailable:
        flash(_("The test notification could not be queued just now. "
                "Please try again in a moment."))
    except Refused as exc:
        flash(exc.detail or _("The monitoring service refused this change."))
    else:
        flash(_outcome(_first_attempt(cid, key, cursor)))
    return redirect(url_for("channels.show", cid=cid))


def _first_attempt(cid: int, key: str, cursor: str | None) -> dict[str, Any] | None:
    deadline = time.monotonic() + current_app.config.get("VIGIL_TEST_WAIT_S", TEST_WAIT_S)
    while key:
        rows, _last = attempts(cid, cursor)
        found = next((a for a in rows if a.get("key") == key), None)
        if found is not None or time.monotonic() >= deadline:
            return found
        time.sleep(TEST_POLL_S)
    return None


def _outcome(attempt: dict[str, Any] | None) -> str:
    if attempt is None:
        return _("Test notification queued; its outcome will appear in the list below.")
    error = str(attempt.get("error") or "")
    if attempt.get("outcome") == "sent":
        return _("Test notification sent.")
    if attempt.get("outcome") == "retry":
        return _("The test notification failed and will be retried: %(error)s", error=error)
    return _("The test notification failed: %(error)s", error=error)


@bp.post("/channels/<int:cid>/monitors")
@login_required
def link(cid: int) -> ResponseReturnValue:
    form = forms.read(request.form, LINK_FIELDS, {})
    mid = forms.ident(form.values["monitor_id"])
    if mid is None:
        form.add("monitor_id", _("Choose one of the offered monitors."))
    body = {"monitor_id": mid or 0}
    if submit(form, LINK_FIELDS, "POST", _path(cid, "/monitors"), body) is None:
        return _view(cid, form)
    flash(_("Changes saved."))
    return redirect(url_for("channels.show", cid=cid))


@bp.post("/channels/<int:cid>/monitors/<int:mid>/delete")
@login_required
def unlink(cid: int, mid: int) -> ResponseReturnValue:
    return remove(_path(cid, f"/monitors/{mid}"), _("Changes saved."),
                  url_for("channels.show", cid=cid))


def alerting_for(mid: int) -> list[dict[str, Any]]:
    """The channels that alert for a monitor. The API links them from the channel's side
    only, so each channel is asked (the first CHANNELS_CHECKED_MAX)."""
    found = []
    for channel in items("/notification-channels")[:CHANNELS_CHECKED_MAX]:
        try:
            linked = items(_path(int(channel.get("id") or 0), "/monitors"))
        except NotFound:
            continue  # deleted in between
        if any(m.get("monitor_id") == mid for m in linked):
            found.append(channel)
    return found
