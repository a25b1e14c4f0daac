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
}
STATUSES = {"down": N_("down"), "up": N_("up"), "degraded": N_("degraded")}
TEST_BODY = N_("This is a test. If you read it, this channel works.")
# How loud each kind is, for formats that colour or rank a message.
SEVERITY = {"opened": "critical", "confirmed": "critical", "reminder": "critical",
            "updated": "warning", "cert_expiring": "warning", "resolved": "info", "test": "info"}
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

    @property
    def text(self) -> str:
        lines = [self.headline, ""] + [f"{label}: {value}" for label, value in self.rows]
        if self.url:
            lines += ["", f"{self.link_label}: {self.url}"]
        return "\n".join(lines) + "\n"

    @property
    def html(self) -> str:
        rows = "".join(f"<tr><th align=\"left\">{html.escape(k)}</th><td>{html.escape(v)}</td>"
                       "</tr>" for k, v in self.rows)
        link = (f'<p><a href="{html.escape(self.url, quote=True)}">'
                f"{html.escape(self.link_label)}</a></p>" if self.url else "")
        return (f'<!DOCTYPE html><html lang="{self.language}"><head><meta charset="utf-8">'
                f"<title>{html.escape(self.subject)}</title></head><body>"
                f"<h1>{html.escape(self.headline)}</h1><table>{rows}</table>{link}"
                "</body></html>")


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


def render(n: Notification) -> Rendered:
    lang = n.language if n.language in LANGUAGES else "en"
    _ = translations(lang).gettext
    headline = _(HEADLINES[n.kind]) % {"monitor": n.monitor}
    return Rendered(language=lang, subject=f"[Vigil] {headline}", headline=headline,
                    rows=tuple(_rows(n, lang)), link_label=_("View details"), url=n.url)


def _rows(n: Notification, lang: str) -> list[tuple[str, str]]:
    _ = translations(lang).gettext
    rows: list[tuple[str, str]] = []
    if n.kind == "test":
        return [(_("Note"), _(TEST_BODY))]
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
        rows.append((_("Region %(region)s") % {"region": r.region},
                     f"{verdict} ({r.detail})" if r.detail else verdict))
    if n.incident_id is not None:
        rows.append((_("Incident"), f"#{n.incident_id}"))
    if n.note:
        rows.append((_("Note"), n.note))
    return rows


def _when(when: datetime, lang: str) -> str:
    return format_datetime(when, "medium", tzinfo=UTC, locale=lang) + " UTC"


def colour(n: Notification) -> int:
    """RGB of the kind's severity, green for good news."""
    return COLOUR[SEVERITY[n.kind]]


def document(n: Notification) -> dict[str, object]:
    """The event as a JSON document, for webhooks and hook programs."""
    r = render(n)
    return {"event": n.kind, "subject": r.subject, "text": r.text, "severity": SEVERITY[n.kind],
            "notification": n.to_dict()}
