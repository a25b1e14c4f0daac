"""One notification channel: its delivery attempts, a test button, the monitors it alerts for.

The API lists attempts newest first on request (`order=newest`) and says what each told
(`event`, `incident_id`) and a hook's `exit_code` and `output`: the page reads one page of
the newest and parses nothing. A test notification is queued by the API and sent by the
notifier; the view waits a moment for its first attempt so the flash can say how it went.
"""

from __future__ import annotations

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

ATTEMPTS_SHOWN = 50  # one page of the API's newest
TEST_WAIT_S = 4.0  # how long the test button waits for the notifier's first attempt
TEST_POLL_S = 0.25
CHANNELS_CHECKED_MAX = 50  # the monitor page asks this many channels whether they alert
LINK_FIELDS = ("monitor_id",)


def _events() -> dict[str, str]:
    """The API's `event` values in the request's language; "other" (or a value this
    frontend does not know) shows the key."""
    return {
        "test": _("Test notification"),
        "cert_expiring": _("Certificate expiry notice"),
        "incident_opened": _("Incident opened"),
        "incident_changed": _("Incident changed"),
        "incident_resolved": _("Incident resolved"),
        "incident_reminder": _("Reminder"),
    }


def _path(cid: int, tail: str = "") -> str:
    return f"/notification-channels/{cid}{tail}"


def newest_attempts(cid: int) -> tuple[list[dict[str, Any]], bool]:
    """The channel's newest attempts, newest first, and whether older ones exist."""
    body = call("GET", _path(cid, "/attempts"), params={"order": "newest", "limit": ATTEMPTS_SHOWN})
    found = [a for a in body.get("items") or [] if isinstance(a, dict)]
    return found, bool(body.get("next"))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def shown(attempt: dict[str, Any]) -> dict[str, Any]:
    """An attempt as the table shows it: its time, the event it told, a hook's exit code."""
    label = _events().get(str(attempt.get("event")))
    exit_code = _int(attempt.get("exit_code"))
    output = attempt.get("output")
    return {
        **attempt,
        "at": moment(attempt.get("attempted_at")),
        "label": label or str(attempt.get("key") or ""),
        "incident_id": _int(attempt.get("incident_id")),
        "exit_code": exit_code,
        "output": output if exit_code is not None and isinstance(output, str) else "",
    }


@bp.get("/channels/<int:cid>")
@login_required
def show(cid: int) -> ResponseReturnValue:
    return _view(cid, forms.read({}, LINK_FIELDS, {}))


def _view(cid: int, link: forms.Form) -> ResponseReturnValue:
    channel = call("GET", _path(cid))
    rows, more = newest_attempts(cid)
    linked = items(_path(cid, "/monitors"))
    taken = {m.get("monitor_id") for m in linked}
    offered = [m for m in items("/monitors") if m.get("id") not in taken]
    html = render_template(
        "channel.html",
        channel=channel,
        cid=cid,
        attempts=[shown(a) for a in rows],
        more=more,
        linked=linked,
        offered=offered,
        link=link,
    )
    return private_page(html, 200 if link.ok else 422)


@bp.post("/channels/<int:cid>/test")
@login_required
def send_test(cid: int) -> ResponseReturnValue:
    try:
        key = str(call("POST", _path(cid, "/test")).get("key") or "")
    except ApiUnavailable:
        flash(
            _("The test notification could not be queued just now. Please try again in a moment.")
        )
    except Refused as exc:
        flash(exc.detail or _("The monitoring service refused this change."))
    else:
        flash(_outcome(_first_attempt(cid, key)))
    return redirect(url_for("channels.show", cid=cid))


def _first_attempt(cid: int, key: str) -> dict[str, Any] | None:
    """The first attempt at the test's fresh key, looked for among the newest (if more than
    a page of other attempts came in meanwhile, the flash just says it is queued)."""
    deadline = time.monotonic() + current_app.config.get("VIGIL_TEST_WAIT_S", TEST_WAIT_S)
    while key:
        rows, _more = newest_attempts(cid)
        found = [a for a in rows if a.get("key") == key]
        if found or time.monotonic() >= deadline:
            return found[-1] if found else None  # newest first: the last is the first try
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
    return remove(
        _path(cid, f"/monitors/{mid}"), _("Changes saved."), url_for("channels.show", cid=cid)
    )


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
