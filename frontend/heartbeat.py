"""A heartbeat test on its monitor's page: its ping URL with lines to paste (crontab, systemd,
PowerShell), its schedule in plain words in the visitor's language, and its last pings."""

from __future__ import annotations

from typing import Any

from babel.dates import get_day_names, get_month_names
from babel.units import format_unit
from cron_descriptor import ExpressionDescriptor, FormatException, Options
from flask_babel import get_locale
from flask_babel import gettext as _

from frontend import shapes
from frontend.formatting import moment

KIND = "heartbeat"
# cron-descriptor's catalogues, by our language; it names days and months in English.
_CRON_LOCALES = {"en": "en_US", "nl": "nl_NL", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}
_EN_DAYS = dict(
    zip(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        range(7),
        strict=True,
    )
)
_EN_MONTHS = dict(
    zip(
        (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        range(1, 13),
        strict=True,
    )
)


def examples(ping_url: str, cron: str | None = None) -> list[tuple[str, str]]:
    """(title, text to paste) for the usual places a job runs from; the crontab lines run at
    the test's own cron times when it has them."""
    when = cron or "0 3 * * *"
    return [
        (
            _("crontab: ping when the job succeeded"),
            f"{when} /usr/local/bin/backup.sh && curl -fsS -m 10 --retry 3 {ping_url}",
        ),
        (
            _("crontab: report the exit status, and the start"),
            f"{when} curl -fsS -m 10 {ping_url}/start; /usr/local/bin/backup.sh; "
            f"curl -fsS -m 10 --retry 3 {ping_url}/$?",
        ),
        (_("systemd service unit"), f"ExecStartPost=/usr/bin/curl -fsS -m 10 --retry 3 {ping_url}"),
        (_("PowerShell"), f"Invoke-RestMethod -Uri {ping_url} -TimeoutSec 10"),
    ]


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def duration_words(seconds: int) -> str:
    """ "90 minutes", not Babel's rounded "2 hours": the largest unit that is exact."""
    unit, size = next((u, n) for u, n in _UNITS if seconds % n == 0)
    return format_unit(
        seconds // size, f"duration-{unit}", length="long", locale=get_locale() or "en"
    )


def schedule_words(test: dict[str, Any]) -> str:
    """ "Every 5 minutes, 1 minute of grace" or "At 02:30, Monday through Friday
    (Europe/Amsterdam), 1 hour of grace"."""
    config = shapes.as_dict(test.get("config"))
    grace = config.get("grace_s")
    grace_text = (
        _("%(grace)s of grace", grace=duration_words(grace)) if isinstance(grace, int) else ""
    )
    cron = config.get("cron")
    if isinstance(cron, str) and cron:
        when = _("%(cron)s (%(zone)s)", cron=cron_words(cron), zone=config.get("tz") or "UTC")
    else:
        interval = test.get("interval_s")
        when = (
            _("Expected every %(period)s", period=duration_words(interval))
            if isinstance(interval, int)
            else ""
        )
    return ", ".join(part for part in (when, grace_text) if part)


def cron_words(cron: str) -> str:
    """A cron expression in the visitor's words; the expression itself if it cannot be read."""
    language = str(get_locale() or "en")[:2]
    options = Options()
    options.locale_code = _CRON_LOCALES.get(language, "en_US")
    options.use_24hour_time_format = True
    try:
        text = ExpressionDescriptor(cron, options).get_description()
    except (FormatException, ValueError, KeyError):
        return cron
    days = get_day_names("wide", locale=language)
    months = get_month_names("wide", locale=language)
    for name, index in _EN_DAYS.items():
        text = text.replace(name, days[index])
    for name, index in _EN_MONTHS.items():
        text = text.replace(name, months[index])
    return text


def pings(body: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The API's last pings, each with `at` as a datetime (bad items left out)."""
    rows = []
    for item in (body or {}).get("items") or []:
        if isinstance(item, dict) and (at := moment(item.get("at"))) is not None:
            rows.append({**item, "at": at})
    return rows


def moments(beat: dict[str, Any] | None) -> dict[str, Any]:
    """The heartbeat's times as datetimes (None when not set)."""
    beat = beat if isinstance(beat, dict) else {}
    return {
        k: moment(beat.get(k)) for k in ("last_ping_at", "expected_at", "down_at", "running_since")
    }
