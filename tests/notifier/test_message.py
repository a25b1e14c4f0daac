from datetime import UTC, datetime

import pytest

from notifier.message import EVENT_KINDS, Notification, RegionEvidence
from notifier.render import document, render
from shared.codec import DecodeError

STARTED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
RESOLVED = datetime(2026, 3, 2, 12, 7, 30, tzinfo=UTC)


def sample(kind: str = "resolved", language: str = "en", **kw) -> Notification:
    fields = dict(
        kind=kind,
        key="inc-7/resolved",
        monitor="Shop <checkout>",
        target="https://shop.example/checkout",
        regions=(
            RegionEvidence("eu-west", "down", "timeout after 10 s"),
            RegionEvidence("us-east", "up"),
        ),
        started_at=STARTED,
        resolved_at=RESOLVED,
        incident_id=7,
        url="https://vigil.example/incidents/7",
        language=language,
    )
    fields.update(kw)
    return Notification(**fields)


def test_round_trip_through_the_wire_form() -> None:
    n = sample(note="fixed", expires_at=RESOLVED, extra={"tag": "x"})
    assert Notification.from_dict(n.to_dict()) == n


@pytest.mark.parametrize(
    ("language", "headline", "region", "duration"),
    [
        (
            "en",
            "Shop <checkout> is back UP",
            "Region eu-west: down (timeout after 10 s)",
            "8 minutes",
        ),
        ("nl", "Shop <checkout> is weer UP", "Regio eu-west: onbereikbaar", "8 minuten"),
        ("de", "Shop <checkout> ist wieder UP", "Region eu-west: ausgefallen", "8 Minuten"),
        ("fr", "Shop <checkout> est de nouveau UP", "Région eu-west: en panne", "8 minutes"),
        ("es", "Shop <checkout> vuelve a estar UP", "Región eu-west: caído", "8 minutos"),
    ],
)
def test_text_is_in_the_account_s_language(language, headline, region, duration) -> None:
    r = render(sample(language=language))
    assert r.subject == f"[Vigil] {headline}"
    assert r.text.startswith(headline + "\n")
    assert region in r.text and duration in r.text
    assert "https://vigil.example/incidents/7" in r.text


def test_html_escapes_what_users_named() -> None:
    page = render(sample(language="de")).html
    assert '<html lang="de">' in page
    assert "Shop &lt;checkout&gt; ist wieder UP" in page and "<checkout>" not in page
    assert '<a href="https://vigil.example/incidents/7">Details ansehen</a>' in page


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_kind_renders_in_every_language(kind: str) -> None:
    for language in ("en", "nl", "de", "fr", "es"):
        r = render(sample(kind=kind, language=language, expires_at=RESOLVED))
        assert r.headline and r.text and r.html


def test_an_unknown_language_falls_back_to_english() -> None:
    n = Notification.from_dict({**sample().to_dict(), "language": "xx"})
    assert n.language == "en" and render(n).language == "en"


def test_the_document_carries_the_event_and_its_words() -> None:
    doc = document(sample(language="fr"))
    assert doc["event"] == "resolved" and doc["severity"] == "info"
    assert doc["subject"].startswith("[Vigil] Shop")
    assert doc["notification"]["incident_id"] == 7


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        [],
        "text",
        {},
        {"kind": "opened"},
        {"kind": "exploded", "key": "k", "monitor": "m"},
        {"kind": "opened", "key": "", "monitor": "m"},
        {"kind": "opened", "key": "k", "monitor": 5},
        {"kind": "opened", "key": "k", "monitor": "m", "started_at": "yesterday"},
        {"kind": "opened", "key": "k", "monitor": "m", "started_at": "2026-03-02T12:00:00"},
        {"kind": "opened", "key": "k", "monitor": "m", "incident_id": "7"},
        {"kind": "opened", "key": "k", "monitor": "m", "incident_id": True},
        {"kind": "opened", "key": "k", "monitor": "m", "regions": "eu"},
        {
            "kind": "opened",
            "key": "k",
            "monitor": "m",
            "regions": [{"region": "eu", "status": "?"}],
        },
        {"kind": "opened", "key": "k", "monitor": "m", "regions": [1]},
        {"kind": "opened", "key": "k", "monitor": "m", "extra": []},
        {"kind": "opened", "key": "k", "monitor": "m", "url": 3},
    ],
)
def test_garbage_is_refused_with_a_reason(garbage) -> None:
    with pytest.raises(DecodeError):
        Notification.from_dict(garbage)


def test_long_texts_are_truncated_not_refused() -> None:
    n = Notification.from_dict(
        {"kind": "updated", "key": "k", "monitor": "m", "note": "x" * 10_000}
    )
    assert len(n.note) == 2000
