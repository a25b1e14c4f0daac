"""Every catalogue is complete and matches what the code and templates ask for."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import frontend
from frontend.i18n import DEFAULT, LANGUAGES, compile_catalogues

FRONTEND = Path(frontend.__file__).parent
TRANSLATIONS = FRONTEND / "translations"
NL_PO = TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.po"
POT = TRANSLATIONS / "messages.pot"
TRANSLATED = sorted(set(LANGUAGES) - {DEFAULT})


def po_of(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def load(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def msgid(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def extracted() -> set[str]:
    """Every string the code and templates pass to _() / gettext, as pybabel sees them."""
    with (FRONTEND / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = extract_from_dir(FRONTEND, method_map, options_map)
    return {msgid(message) for _file, _line, message, _comments, _context in found}


def test_every_language_has_a_catalogue() -> None:
    assert TRANSLATED and all(po_of(language).exists() for language in TRANSLATED)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_not_fuzzy(language: str) -> None:
    catalog = load(po_of(language))
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"empty: {message.id!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_match_the_english(language: str) -> None:
    errors = [(m.id, [str(e) for e in errs]) for m, errs in load(po_of(language)).check()]
    assert errors == []


def test_catalogue_has_exactly_the_strings_in_use() -> None:
    in_use = extracted()
    assert len(in_use) > 20, "extraction found suspiciously little; is babel.cfg right?"
    for path in (POT, *(po_of(language) for language in TRANSLATED)):
        catalogued = {msgid(m.id) for m in load(path) if m.id}
        assert in_use - catalogued == set(), f"missing from {path.name}: run pybabel extract/update"
        assert catalogued - in_use == set(), f"stale entries in {path.name}"


def test_status_labels_are_translated() -> None:
    """Status labels are chosen at render time, so check extraction saw each of them."""
    assert {"Up", "Down", "Degraded", "Pending"} <= extracted()


def copy_translations(tmp_path: Path) -> Path:
    target = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, target, ignore=shutil.ignore_patterns("*.mo"))
    return target


def test_missing_mo_is_compiled_from_the_po(tmp_path: Path) -> None:
    directory = copy_translations(tmp_path)
    mo = directory / "nl" / "LC_MESSAGES" / "messages.mo"
    compile_catalogues(directory)
    with mo.open("rb") as fh:
        compiled = read_mo(fh)
    assert compiled.get("Log in").string == "Inloggen"


def test_stale_mo_is_recompiled_and_fresh_one_left_alone(tmp_path: Path) -> None:
    directory = copy_translations(tmp_path)
    po = directory / "nl" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    mo.write_bytes(b"stale")
    os.utime(mo, (po.stat().st_mtime - 60, po.stat().st_mtime - 60))
    compile_catalogues(directory)
    assert mo.read_bytes() != b"stale"

    fresh = mo.stat().st_mtime_ns
    compile_catalogues(directory)
    assert mo.stat().st_mtime_ns == fresh


@pytest.mark.usefixtures("app")
def test_create_app_leaves_a_compiled_catalogue() -> None:
    mo = NL_PO.with_suffix(".mo")
    assert mo.exists()
    assert mo.stat().st_mtime >= NL_PO.stat().st_mtime
