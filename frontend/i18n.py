"""Which language a request is served in, and the compiled catalogues behind it."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request, session
from flask_babel import Babel, get_locale

from frontend import zones

log = logging.getLogger(__name__)

# Code -> the language's own name, so a reader finds their language whatever is shown.
LANGUAGES = {
    "en": "English",
    "nl": "Nederlands",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
}
DEFAULT = "en"
SESSION_KEY = "lang"
TRANSLATIONS = Path(__file__).parent / "translations"


def remember_choice() -> None:
    """A ?lang= naming a language we have sticks for the rest of the session."""
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session[SESSION_KEY] = wanted


def select_locale() -> str:
    """?lang= (remembered in the session) > session > Accept-Language > the page's own
    language (a public status page sets it in g.fallback_language) > English."""
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    fallback = str(g.get("fallback_language") or "")[:2]
    default = fallback if fallback in LANGUAGES else DEFAULT
    return request.accept_languages.best_match(list(LANGUAGES), default=default) or default


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT


def compile_catalogues(directory: Path = TRANSLATIONS) -> None:
    """Compile every .po whose .mo is missing or older, so a fresh checkout just works."""
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            _compile(po_path, mo_path)
        except OSError as exc:
            # An installed, read-only tree: serve what is there rather than refuse to start.
            log.warning("cannot compile catalogue", extra={"po": str(po_path), "error": str(exc)})


def _compile(po_path: Path, mo_path: Path) -> None:
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    # Written aside and renamed, so a process starting alongside never reads half a file.
    fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog)
        os.replace(tmp, mo_path)
    except BaseException:
        os.unlink(tmp)
        raise
    log.info("compiled catalogue", extra={"mo": str(mo_path)})


def init_app(app: Flask) -> None:
    compile_catalogues()
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=select_locale, timezone_selector=zones.select_timezone)
    app.before_request(remember_choice)
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=current_language)
