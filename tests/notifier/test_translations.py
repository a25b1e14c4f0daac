"""The notifier's catalogues are complete and match the message ids the code uses."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import notifier
from notifier.message import LANGUAGES
from notifier.render import HEADLINES, translations

TRANSLATIONS = Path(notifier.__file__).parent / "translations"
TRANSLATED = [language for language in LANGUAGES if language != "en"]


def load(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def po_of(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def extracted() -> set[str]:
    found = extract_from_dir(
        Path(notifier.__file__).parent,
        [("**.py", "python")],
        keywords={**DEFAULT_KEYWORDS, "N_": None},
    )
    return {m if isinstance(m, str) else m[0] for _f, _l, m, _c, _x in found}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_not_fuzzy(language: str) -> None:
    catalog = load(po_of(language))
    assert not catalog.fuzzy
    problems = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert problems == []
    assert [(m.id, errs) for m, errs in catalog.check()] == []


def test_catalogues_hold_exactly_the_strings_in_use() -> None:
    in_use = extracted()
    assert set(HEADLINES.values()) <= in_use
    for path in (TRANSLATIONS / "messages.pot", *map(po_of, TRANSLATED)):
        catalogued = {m.id for m in load(path) if m.id}
        assert catalogued == in_use, f"{path}: run `make i18n`"


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_language_translates_every_headline(language: str) -> None:
    _ = translations(language).gettext
    assert all(_(h) != h for h in HEADLINES.values() if h != "%(monitor)s is DOWN")
