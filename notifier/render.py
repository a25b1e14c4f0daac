"""A notification as words: subject, plain text and HTML, in the account's language.

The words are data: English message ids below, their translations in the gettext catalogues
of notifier/translations/<lang>/LC_MESSAGES/messages.po (read and compiled in memory on first
use, so there is no build step). Layout is two templates, one for text and one for HTML.
"""

from __future__ import annotations

import gettext
import html
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from notifier.message import LANGUAGES, Notification

CATALOGUES = Path(__file__).parent / "translations"


def N_(message: str) -> str:
    """Marks a message id for extraction; translated where it is used."""
    return message


HEADLINES = {
    "opened": N_("%(monitor)s is DOWN"),
    "confirmed": N_("%(monitor)s is DOWN, confirmed from other regions"),
    "updated": N_("Update on the incident of %(monitor)s"),
    "resolved": N_("%(monitor)s is back UP"),
    "reminder": N_("%(monitor)s is still DOWN"),
    "cert_expiring": N_("The certificate of %(monitor)s expires soon"),
    "test": N_("Test notification from Vigil"),
    "invitation": N_("%(monitor)s invites you to their team on Vigil"),
    "password_reset": N_("Reset the Vigil password of %(monitor)s"),
    "subscribe_confirm": N_("Confirm your subscription to %(monitor)s"),
    "manual_opened": N_("Incident: %(monitor)s"),
    "manual_updated": N_("Update on the incident: %(monitor)s"),
    "manual_resolved": N_("Resolved: %(monitor)s"),
    "maintenance_scheduled": N_("Maintenance scheduled: %(monitor)s"),
    "maintenance_started": N_("Maintenance in progress: %(monitor)s"),
    "maintenance_ended": N_("Maintenance completed: %(monitor)s"),
    "page_sign_in": N_("Sign in to the status page %(monitor)s"),
    "signup_confirm": N_("Confirm your Vigil account %(monitor)s"),
    "signup_taken": N_("Someone tried to sign up to Vigil as %(monitor)s"),
}
PAGE_KINDS = tuple(k for k in HEADLINES if k.startswith(("manual_", "maintenance_")))
# What an owner's manual incident says of its state and of each affected monitor.
MANUAL_STATUSES = {
    "investigating": N_("Investigating"),
    "identified": N_("Identified"),
    "monitoring": N_("Monitoring"),
    "resolved": N_("Resolved"),
}
IMPACTS = {
    "degraded": N_("degraded performance"),
    "partial_outage": N_("partial outage"),
    "major_outage": N_("major outage"),
}
ACCOUNT_NOTES = {
    "invitation": N_("Follow the link to choose your password and join the team."),
    "password_reset": N_(
        "Someone asked to reset this password. If it was not you, ignore "
        "this mail: the password stays as it is."
    ),
    "page_sign_in": N_(
        "Follow the link to see the page; it works once. If you did not ask "
        "for it, ignore this mail."
    ),
    "signup_confirm": N_(
        "Follow the link to make your account; it works once. If you did "
        "not sign up, ignore this mail: no account is made."
    ),
    "signup_taken": N_(
        "This address already has an account, so no new one was made. If it "
        "was you, log in, or reset your password if you forgot it. If not, "
        "ignore this mail: nothing has changed."
    ),
}
DETAILS = N_("View details")
LINK_LABELS = {
    "invitation": N_("Accept the invitation"),
    "password_reset": N_("Choose a new password"),
    "subscribe_confirm": N_("Confirm subscription"),
    "page_sign_in": N_("Open the status page"),
    "signup_confirm": N_("Make my account"),
    "signup_taken": N_("Log in"),
}
STATUSES = {"down": N_("down"), "up": N_("up"), "degraded": N_("degraded")}
TEST_BODY = N_("This is a test. If you read it, this channel works.")
CONFIRM_BODY = N_(
    "Follow the link to hear of this page's incidents and maintenance. If you "
    "did not ask for this, ignore this mail: nothing more will be sent."
)
UNSUBSCRIBE = N_("Unsubscribe")
FIXED_BODY = {"test": TEST_BODY, "subscribe_confirm": CONFIRM_BODY}  # no incident to describe
# How loud each kind is, for formats that colour or rank a message.
SEVERITY = {
    "opened": "critical",
    "confirmed": "critical",
    "reminder": "critical",
    "updated": "warning",
    "cert_expiring": "warning",
    "resolved": "info",
    "test": "info",
    "invitation": "info",
    "password_reset": "info",
    "subscribe_confirm": "info",
    "manual_opened": "critical",
    "manual_updated": "warning",
    "manual_resolved": "info",
    "maintenance_scheduled": "info",
    "maintenance_started": "warning",
    "maintenance_ended": "info",
    "page_sign_in": "info",
    "signup_confirm": "info",
    "signup_taken": "info",
}
COLOUR = {"critical": 0xD93025, "warning": 0xF29900, "info": 0x1E8E3E}


@dataclass(frozen=True)
class Rendered:
    """Everything a channel may use; each channel picks what its format wants."""

    language: str
    subject: str
    headline: str
    rows: tuple[tuple[str, str], ...]  # (label, value), already translated
    link_label: str
    url: str
    unsubscribe_label: str = ""
    unsubscribe_url: str = ""  # a status page subscriber's one-click way out

    @property
    def text(self) -> str:
        lines = [self.headline, ""] + [f"{label}: {value}" for label, value in self.rows]
        if self.url:
            lines += ["", f"{self.link_label}: {self.url}"]
        if self.unsubscribe_url:
            lines += ["", f"{self.unsubscribe_label}: {self.unsubscribe_url}"]
        return "\n".join(lines) + "\n"

    @property
    def html(self) -> str:
        rows = "".join(
            f'<tr><th align="left">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>'
            for k, v in self.rows
        )
        link = (
            f'<p><a href="{html.escape(self.url, quote=True)}">'
            f"{html.escape(self.link_label)}</a></p>"
            if self.url
            else ""
        )
        if self.unsubscribe_url:
            link += (
                f'<p><small><a href="{html.escape(self.unsubscribe_url, quote=True)}">'
                f"{html.escape(self.unsubscribe_label)}</a></small></p>"
            )
        return (
            f'<!DOCTYPE html><html lang="{self.language}"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.subject)}</title></head><body>"
            f"<h1>{html.escape(self.headline)}</h1><table>{rows}</table>{link}"
            "</body></html>"
        )


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    path = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, so they fall back to English
    compiled.seek(0)
    return Translations(fp=compiled)


def render(n: Notification, unsubscribe_url: str = "") -> Rendered:
    lang = n.language if n.language in LANGUAGES else "en"
    _ = translations(lang).gettext
    headline = _(HEADLINES[n.kind]) % {"monitor": n.monitor}
    label = _(LINK_LABELS.get(n.kind, DETAILS))
    return Rendered(
        language=lang,
        subject=f"[Vigil] {headline}",
        headline=headline,
        rows=tuple(
            _account_rows(n, lang)
            if n.kind in ACCOUNT_NOTES
            else _page_rows(n, lang)
            if n.kind in PAGE_KINDS
            else _rows(n, lang)
        ),
        link_label=label,
        url=n.url,
        unsubscribe_label=_(UNSUBSCRIBE),
        unsubscribe_url=unsubscribe_url,
    )


def _rows(n: Notification, lang: str) -> list[tuple[str, str]]:
    _ = translations(lang).gettext
    rows: list[tuple[str, str]] = []
    if n.kind in FIXED_BODY:
        return [(_("Note"), _(FIXED_BODY[n.kind]))]
    if n.target:
        rows.append((_("Target"), n.target))
    if n.started_at:
        rows.append((_("Started"), _when(n.started_at, lang)))
    if n.resolved_at:
        rows.append((_("Resolved"), _when(n.resolved_at, lang)))
    if n.started_at and n.kind in ("resolved", "reminder"):
        end = n.resolved_at or datetime.now(UTC)
        rows.append((_("Down for"), format_timedelta(end - n.started_at, locale=lang)))
    if n.expires_at:
        rows.append((_("Certificate expires"), _when(n.expires_at, lang)))
    for r in n.regions:
        verdict = _(STATUSES.get(r.status, r.status))
        rows.append(
            (
                _("Region %(region)s") % {"region": r.region},
                f"{verdict} ({r.detail})" if r.detail else verdict,
            )
        )
    if n.incident_id is not None:
        rows.append((_("Incident"), f"#{n.incident_id}"))
    if n.note:
        rows.append((_("Note"), n.note))
    return rows


def _page_rows(n: Notification, lang: str) -> list[tuple[str, str]]:
    """The owner's news: a manual incident's status, what it touches and its message, or a
    maintenance window's times and monitor."""
    _ = translations(lang).gettext
    extra, rows = n.extra, []
    if n.kind.startswith("manual_"):
        status = str(extra.get("status", ""))
        rows.append(
            (_("Status"), _(MANUAL_STATUSES[status]) if status in MANUAL_STATUSES else status)
        )
        affected = [
            f"{name} ({_(IMPACTS[impact])})"
            for name, impact in extra.get("affected") or []
            if impact in IMPACTS
        ]
        if affected:
            rows.append((_("Affected"), ", ".join(affected)))
        if n.started_at:
            rows.append((_("Started"), _when(n.started_at, lang)))
        if n.resolved_at:
            rows.append((_("Resolved"), _when(n.resolved_at, lang)))
        return rows + ([(_("Message"), n.note)] if n.note else [])
    if extra.get("monitor"):
        rows.append((_("Monitor"), str(extra["monitor"])))
    if n.started_at:
        rows.append((_("Starts"), _when(n.started_at, lang)))
    if n.resolved_at:
        rows.append((_("Ends"), _when(n.resolved_at, lang)))
    return rows


def _account_rows(n: Notification, lang: str) -> list[tuple[str, str]]:
    """An invitation or a reset: what to do, and until when the link works."""
    _ = translations(lang).gettext
    rows = [(_("Note"), _(ACCOUNT_NOTES[n.kind]))]
    if n.expires_at:
        rows.append((_("The link works until"), _when(n.expires_at, lang)))
    return rows


def _when(when: datetime, lang: str) -> str:
    return format_datetime(when, "medium", tzinfo=UTC, locale=lang) + " UTC"


def colour(n: Notification) -> int:
    """RGB of the kind's severity, green for good news."""
    return COLOUR[SEVERITY[n.kind]]


def document(n: Notification) -> dict[str, object]:
    """The event as a JSON document, for webhooks and hook programs."""
    r = render(n)
    return {
        "event": n.kind,
        "subject": r.subject,
        "text": r.text,
        "severity": SEVERITY[n.kind],
        "notification": n.to_dict(),
    }
