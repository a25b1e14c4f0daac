"""Status pages (and the monitors on them), notification channels, maintenance windows.

Each is a list with a create form and a delete button; a status page also has an edit form
and its monitors. Every form shows the API's 422s beside its fields (`forms.api_errors`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend import forms, shapes, zones
from frontend.api_client import ApiUnavailable, Invalid, NotFound, Refused
from frontend.auth import cell_api_url, login_required
from frontend.formatting import moment
from frontend.i18n import LANGUAGES
from frontend.manage import call, private_page
from shared import names

bp = Blueprint("resources", __name__)

PAGE_FIELDS = (
    "slug",
    "title",
    "language",
    "groups",
    "group_tags",
    "logo_url",
    "custom_domain",
    "visibility",
    "password",
    "rotate_feed_token",
    "allowed_domains",
    "history_days",
    "sla_target",
    "accent_color",
    "footer_links",
    "favicon_url",
)
VISIBILITIES = ("public", "password", "email_domain")
LINK_FIELDS = ("monitor_id", "group", "monitor_sla_target")  # a monitor added to a page
HISTORY_DAYS = tuple(map(str, names.HISTORY_DAYS))  # the lengths a page offers (the API's)
CHANNEL_KINDS = {  # kind -> its config fields, as api.channels takes them
    "email": ("to",),
    "webhook": ("url", "secret"),
    "slack": ("url",),
    "teams": ("url",),
    "discord": ("url",),
    "mattermost": ("url",),
    "telegram": ("chat_id", "token"),
}
CHANNEL_FIELDS = ("name", "kind", "to", "url", "secret", "chat_id", "token")
WINDOW_FIELDS = ("title", "zone", "starts_at", "ends_at", "target", "repeat")
# The form's repeat choices as rules of shared/recurrence: each occurrence on the first
# start's weekday (or day of the month) at its wall-clock time in the form's zone.
REPEATS = {"weekly": "FREQ=WEEKLY", "monthly": "FREQ=MONTHLY"}


def items(path: str) -> list[dict[str, Any]]:
    body = call("GET", path, params={"limit": 200})
    return [i for i in body.get("items") or [] if isinstance(i, dict)]


def submit(
    form: forms.Form, fields: tuple[str, ...], method: str, path: str, body: dict[str, Any]
) -> dict[str, Any] | None:
    """Send the form's body; None (with the errors on the form) when the API refuses it."""
    if not form.ok:
        return None
    try:
        return call(method, path, json=body)
    except Invalid as exc:
        forms.api_errors(form, exc.errors, fields)
    except Refused as exc:
        form.add(forms.GENERAL, exc.detail or _("The monitoring service refused this change."))
    return None


def remove(path: str, message: str, back: str) -> ResponseReturnValue:
    try:
        call("DELETE", path)
    except NotFound:
        pass
    flash(message)
    return redirect(back)


# Status pages -------------------------------------------------------------------------


def _page_body(
    form: forms.Form,
    stored_domain: str | None = None,
    stored_tags: bool = False,
    stored: dict[str, Any] | None = None,
) -> dict[str, Any]:
    v = form.values
    for name in ("slug", "title"):
        if not v[name]:
            form.add(name, _("This field is required."))
    groups = [g.strip() for g in v["groups"].split(",") if g.strip()]
    body: dict[str, Any] = {
        "slug": v["slug"].lower(),
        "title": v["title"],
        "language": v["language"],
        "groups": groups,
        "logo_url": v["logo_url"] or None,
    }
    # Sent only when there is one to set or clear: an API without the field refuses it.
    if v["custom_domain"] or stored_domain:
        body["custom_domain"] = v["custom_domain"].lower().removesuffix(".") or None
    if v["group_tags"] or stored_tags:
        body["group_tags"] = _group_tags(form)
    body.update(_visibility(form, (stored or {}).get("visibility") or "public"))
    body.update(_history_body(form, stored or {}))
    body.update(_brand_body(form, stored or {}))
    return body


def _brand_body(form: forms.Form, stored: dict[str, Any]) -> dict[str, Any]:
    """The page's accent colour, footer links and favicon, each sent when set or cleared.
    Footer links are one a line: the label, then the address."""
    v = form.values
    body: dict[str, Any] = {}
    accent = v["accent_color"].strip()
    if accent and not re.match(names.ACCENT_COLOR_PATTERN, accent):
        form.add("accent_color", _("Write a colour as # and six hex digits, e.g. #1d4ed8."))
    elif accent or stored.get("accent_color"):
        body["accent_color"] = accent or None
    links = []
    for line in (x.strip() for x in v["footer_links"].splitlines()):
        if not line:
            continue
        label, _space, url = line.rpartition(" ")
        if not label.strip():
            form.add("footer_links", _("Write each link as its label, then its address."))
            continue
        links.append({"label": label.strip(), "url": url})
    if links or stored.get("footer_links"):
        body["footer_links"] = links
    favicon = v["favicon_url"].strip()
    if favicon or stored.get("favicon_url"):
        body["favicon_url"] = favicon or None
    return body


def _history_body(form: forms.Form, stored: dict[str, Any]) -> dict[str, Any]:
    """The page's days of bars and SLA target, each sent only when set or changed."""
    v = form.values
    body: dict[str, Any] = {}
    if v["history_days"] not in HISTORY_DAYS:
        form.add("history_days", _("Choose one of the offered lengths."))
    elif v["history_days"] != "90" or stored.get("history_days", 90) != 90:
        body["history_days"] = int(v["history_days"])
    if v["sla_target"].strip():
        body["sla_target"] = forms.decimal(form, "sla_target", v["sla_target"].strip())
    elif stored.get("sla_target") is not None:
        body["sla_target"] = None
    return body


def _visibility(form: forms.Form, stored: str) -> dict[str, Any]:
    """Who may read the page, as the API takes it: sent when it is or was private (an API
    without the field refuses it), the password only when one was typed (as typed: a
    password's spaces are its own), the feed token's rotation only when asked, the allowed
    domains when there are some or the page signs visitors in."""
    out: dict[str, Any] = {}
    visibility = form.values["visibility"] or "public"
    if visibility != "public" or stored != "public":
        out["visibility"] = visibility
    password = request.form.get("password", "")
    if password:
        out["password"] = password
    if form.values["rotate_feed_token"]:
        out["rotate_feed_token"] = True
    domains = [d.strip() for d in form.values["allowed_domains"].split(",") if d.strip()]
    if domains or visibility == "email_domain" or stored == "email_domain":
        out["allowed_domains"] = domains
    return out


def _group_tags(form: forms.Form) -> dict[str, str]:
    """ "Website=web, API=backend" as {group: tag}; an item without "=" is marked."""
    out = {}
    for item in (i.strip() for i in form.values["group_tags"].split(",")):
        if not item:
            continue
        group, eq, tag = item.partition("=")
        if not eq:
            form.add("group_tags", _("Write each as group=tag, e.g. Website=web."))
            continue
        out[group.strip()] = tag.strip()
    return out


@bp.route("/status-pages", methods=["GET", "POST"])
@login_required
def status_pages() -> ResponseReturnValue:
    form = forms.read(
        request.form if request.method == "POST" else {},
        PAGE_FIELDS,
        {"language": "en", "history_days": "90"},
    )
    if request.method == "POST":
        created = submit(form, PAGE_FIELDS, "POST", "/status-pages", _page_body(form))
        if created is not None:
            flash(_("Status page created."))
            return redirect(url_for("resources.status_page", pid=created.get("id", 0)))
    html = render_template(
        "status_pages.html",
        pages=items("/status-pages"),
        form=form,
        languages=LANGUAGES,
        visibilities=VISIBILITIES,
        max_footer_links=names.MAX_FOOTER_LINKS,
    )
    return private_page(html, 200 if form.ok else 422)


@bp.route("/status-pages/<int:pid>", methods=["GET", "POST"])
@login_required
def status_page(pid: int) -> ResponseReturnValue:
    page = call("GET", f"/status-pages/{pid}")
    form = forms.read(
        request.form if request.method == "POST" else {}, PAGE_FIELDS, _page_values(page)
    )
    if (
        request.method == "POST"
        and submit(
            form,
            PAGE_FIELDS,
            "PATCH",
            f"/status-pages/{pid}",
            _page_body(form, page.get("custom_domain"), bool(page.get("group_tags")), page),
        )
        is not None
    ):
        flash(_("Changes saved."))
        return redirect(url_for("resources.status_page", pid=pid))
    link = forms.read(request.form if request.method == "POST" else {}, LINK_FIELDS, {})
    return _page_view(pid, page, form, link)


def _page_view(
    pid: int, page: dict[str, Any], form: forms.Form, link: forms.Form
) -> ResponseReturnValue:
    html = render_template(
        "status_page_edit.html",
        page=page,
        pid=pid,
        form=form,
        link=link,
        on_page=items(f"/status-pages/{pid}/monitors"),
        monitors=items("/monitors"),
        languages=LANGUAGES,
        check=_domain_check(page),
        visibilities=VISIBILITIES,
        private_links=_private_links(page),
        max_footer_links=names.MAX_FOOTER_LINKS,
    )
    return private_page(html, 200 if form.ok and link.ok else 422)


def _private_links(page: dict[str, Any]) -> dict[str, str] | None:
    """A private page's feed and badge URLs, with its feed token: the owner hands them out."""
    token, slug = page.get("feed_token"), page.get("slug")
    if page.get("visibility") == "public" or not isinstance(token, str) or not slug:
        return None
    base = f"{cell_api_url()}/api/v1/public/status-pages/{slug}"
    query = urlencode({"token": token})
    return {
        "rss": f"{base}/feed.rss?{query}",
        "atom": f"{base}/feed.atom?{query}",
        "badge": f"{base}/badge.svg?{query}",
    }


def _domain_check(page: dict[str, Any]) -> dict[str, Any] | None:
    """The page's domain proof as the template shows it; None without a domain (or from an
    API that does not prove domains)."""
    domain, check = page.get("custom_domain"), page.get("domain_verification")
    if not isinstance(domain, str) or not domain or not isinstance(check, dict):
        return None
    status = check.get("status")
    text_of = {k: v if isinstance(v := check.get(k), str) else "" for k in ("record", "value")}
    return {
        "domain": domain,
        "status": status if status in ("verified", "released") else "pending",
        **text_of,
        "verified_at": moment(check.get("verified_at")),
        "expires_at": moment(check.get("claim_expires_at")),
    }


@bp.post("/status-pages/<int:pid>/domain/verify")
@login_required
def verify_domain(pid: int) -> ResponseReturnValue:
    """Asks the API to look the page's TXT record up; the outcome is flashed."""
    try:
        page = call("POST", f"/status-pages/{pid}/domain/verify")
    except NotFound:
        abort(404)
    except ApiUnavailable:
        flash(
            _(
                "The domain could not be checked just now: DNS or the monitoring service "
                "did not answer. Please try again in a minute."
            )
        )
    except (Invalid, Refused) as exc:
        flash(
            _(
                "Not verified: %(reason)s",
                reason=exc.detail or _("the monitoring service refused it."),
            )
        )
    else:
        flash(
            _(
                "%(domain)s is verified: the status page is served there.",
                domain=str(page.get("custom_domain") or ""),
            )
        )
    return redirect(url_for("resources.status_page", pid=pid))


@bp.post("/status-pages/<int:pid>/monitors")
@login_required
def add_to_page(pid: int) -> ResponseReturnValue:
    page = call("GET", f"/status-pages/{pid}")
    link = forms.read(request.form, LINK_FIELDS, {})
    mid = forms.ident(link.values["monitor_id"])
    if mid is None:
        link.add("monitor_id", _("Choose one of the offered monitors."))
    body: dict[str, Any] = {"monitor_id": mid or 0, "group": link.values["group"] or None}
    if link.values["monitor_sla_target"]:  # its range is the API's to judge
        body["sla_target"] = forms.decimal(
            link, "monitor_sla_target", link.values["monitor_sla_target"]
        )
    if submit(link, LINK_FIELDS, "POST", f"/status-pages/{pid}/monitors", body) is not None:
        flash(_("Changes saved."))
        return redirect(url_for("resources.status_page", pid=pid))
    return _page_view(pid, page, forms.read({}, PAGE_FIELDS, _page_values(page)), link)


def _page_values(page: dict[str, Any]) -> dict[str, str]:
    """A stored status page as form text."""
    tags = shapes.as_dict(page.get("group_tags"))
    domains = shapes.as_list(page.get("allowed_domains"))
    stored = {
        **page,
        "groups": ", ".join(page.get("groups") or []),
        "group_tags": ", ".join(f"{g}={t}" for g, t in tags.items()),
        "allowed_domains": ", ".join(str(d) for d in domains),
        "history_days": page.get("history_days") or 90,
        "footer_links": "\n".join(
            f"{link.get('label')} {link.get('url')}"
            for link in shapes.as_list(page.get("footer_links"))
            if isinstance(link, dict)
        ),
    }
    values = {k: str(stored.get(k) or "") for k in PAGE_FIELDS}
    # Never shown again once set; the rotation is a one-off wish.
    return {
        **values,
        "password": "",
        "rotate_feed_token": "",
        "visibility": values["visibility"] or "public",
    }


@bp.post("/status-pages/<int:pid>/monitors/<int:mid>/delete")
@login_required
def remove_from_page(pid: int, mid: int) -> ResponseReturnValue:
    return remove(
        f"/status-pages/{pid}/monitors/{mid}",
        _("Changes saved."),
        url_for("resources.status_page", pid=pid),
    )


@bp.post("/status-pages/<int:pid>/delete")
@login_required
def delete_status_page(pid: int) -> ResponseReturnValue:
    return remove(
        f"/status-pages/{pid}", _("Status page deleted."), url_for("resources.status_pages")
    )


# Notification channels ----------------------------------------------------------------


def _channel_body(form: forms.Form) -> dict[str, Any]:
    v = form.values
    if not v["name"]:
        form.add("name", _("This field is required."))
    if v["kind"] not in CHANNEL_KINDS:
        form.add("kind", _("Choose one of the offered kinds."))
        return {}
    config: dict[str, Any] = {}
    for name in CHANNEL_KINDS[v["kind"]]:
        if not v[name]:
            form.add(name, _("This field is required."))
        config[name] = v[name]
    if "to" in config:
        config["to"] = [a.strip() for a in v["to"].split(",") if a.strip()]
    return {"name": v["name"], "kind": v["kind"], "config": config}


@bp.route("/channels", methods=["GET", "POST"])
@login_required
def channels() -> ResponseReturnValue:
    form = forms.read(
        request.form if request.method == "POST" else {}, CHANNEL_FIELDS, {"kind": "email"}
    )
    if request.method == "POST":
        body = _channel_body(form)
        if submit(form, CHANNEL_FIELDS, "POST", "/notification-channels", body) is not None:
            flash(_("Notification channel created."))
            return redirect(url_for("resources.channels"))
    html = render_template(
        "channels.html", channels=items("/notification-channels"), form=form, kinds=CHANNEL_KINDS
    )
    return private_page(html, 200 if form.ok else 422)


@bp.post("/channels/<int:cid>/delete")
@login_required
def delete_channel(cid: int) -> ResponseReturnValue:
    return remove(
        f"/notification-channels/{cid}",
        _("Notification channel deleted."),
        url_for("resources.channels"),
    )


# Maintenance windows ------------------------------------------------------------------


def _utc(form: forms.Form, name: str, zone: str | None) -> str | None:
    """A datetime-local value, read in the form's time zone, as ISO 8601 in UTC."""
    try:
        moment = zones.to_utc(form.values[name], zone or zones.DEFAULT)
    except ValueError:
        form.add(name, _("Enter a date and time."))
        return None
    return moment.isoformat()


def _window_body(form: forms.Form) -> dict[str, Any]:
    if not form.values["title"]:
        form.add("title", _("This field is required."))
    zone = zones.valid(form.values["zone"])
    if zone is None:
        form.add("zone", _("Choose one of the offered time zones."))
    body: dict[str, Any] = {
        "title": form.values["title"],
        "starts_at": _utc(form, "starts_at", zone),
        "ends_at": _utc(form, "ends_at", zone),
    }
    kind, _sep, text = form.values["target"].partition(":")
    target = forms.ident(text)
    if kind not in ("monitor", "page") or target is None:
        form.add("target", _("Choose a monitor or a status page."))
    else:
        body["monitor_id" if kind == "monitor" else "status_page_id"] = target
    repeat = form.values["repeat"]
    if repeat in REPEATS:
        body.update(recurrence=REPEATS[repeat], timezone=zone)
    elif repeat:
        form.add("repeat", _("Choose how often it repeats."))
    return body


@bp.route("/maintenance", methods=["GET", "POST"])
@login_required
def maintenance() -> ResponseReturnValue:
    form = forms.read(
        request.form if request.method == "POST" else {},
        WINDOW_FIELDS,
        {"zone": zones.select_timezone()},
    )
    if request.method == "POST":
        body = _window_body(form)
        fields = (*WINDOW_FIELDS, "monitor_id", "status_page_id", "recurrence", "timezone")
        if submit(form, fields, "POST", "/maintenance-windows", body) is not None:
            zones.remember(form.values["zone"])  # later pages show times in it too
            flash(_("Maintenance window planned."))
            return redirect(url_for("resources.maintenance"))
        for api_name, field in (
            ("monitor_id", "target"),
            ("status_page_id", "target"),
            ("recurrence", "repeat"),
            ("timezone", "zone"),
        ):
            form.errors.setdefault(field, []).extend(form.errors.pop(api_name, []))
        for field in ("target", "repeat", "zone"):
            if not form.errors.get(field):
                form.errors.pop(field, None)
    html = render_template(
        "maintenance.html",
        windows=_windows(),
        zones=zones.names(),
        monitors=items("/monitors"),
        pages=items("/status-pages"),
        form=form,
    )
    return private_page(html, 200 if form.ok else 422)


def _windows() -> list[dict[str, Any]]:
    out = []
    for w in items("/maintenance-windows"):
        try:
            starts = datetime.fromisoformat(str(w.get("starts_at")))
            ends = datetime.fromisoformat(str(w.get("ends_at")))
        except ValueError:
            abort(502)
        out.append({**w, "starts": starts, "ends": ends})
    return out


@bp.post("/maintenance/<int:wid>/delete")
@login_required
def delete_window(wid: int) -> ResponseReturnValue:
    return remove(
        f"/maintenance-windows/{wid}",
        _("Maintenance window deleted."),
        url_for("resources.maintenance"),
    )
