"""Public status pages at /s/<slug>: no log-in, cached, in the visitor's language."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from frontend.public import TtlCache
from tests.frontend.fake_api import FakeApi
from tests.frontend.helpers import text


def page(**extra: Any) -> dict[str, Any]:
    body = {
        "slug": "acme",
        "title": "ACME status",
        "logo_url": None,
        "language": "en",
        "status": "down",
        "groups": [
            {"name": None, "monitors": [{"id": 1, "name": "Website", "status": "up"}]},
            {"name": "Backend", "monitors": [{"id": 2, "name": "API", "status": "down"}]},
        ],
        "maintenance": [
            {
                "title": "DB upgrade",
                "starts_at": "2026-02-01T10:00:00+00:00",
                "ends_at": "2026-02-01T11:00:00+00:00",
                "monitor_id": None,
            }
        ],
        "bars": [
            {
                "monitor_id": 1,
                "days": [
                    {
                        "day": "2026-01-01",
                        "checks": 10,
                        "failures": 0,
                        "degraded": 0,
                        "uptime": 1.0,
                        "status": "up",
                        "incident_ids": [],
                    },
                    {
                        "day": "2026-01-02",
                        "checks": 0,
                        "failures": 0,
                        "degraded": 0,
                        "uptime": None,
                        "status": "none",
                        "incident_ids": [],
                    },
                ],
            }
        ],
        "incidents": [
            {
                "id": 5,
                "monitor_id": 2,
                "state": "down",
                "started_at": "2026-01-02T08:00:00Z",
                "resolved_at": None,
                "updates": [
                    {"message": "Investigating <now>", "created_at": "2026-01-02T08:05:00Z"}
                ],
            },
            {
                "id": 4,
                "monitor_id": 1,
                "state": "resolved",
                "started_at": "2025-12-30T08:00:00Z",
                "resolved_at": "2025-12-30T09:00:00Z",
            },
        ],
        "generated_at": "2026-01-02T09:00:00+00:00",
    }
    return {**body, **extra}


def test_the_page_for_anyone(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = page()
    response = client.get("/s/acme")
    assert response.status_code == 200
    html = text(response)
    assert "Some systems have problems" in html
    assert "Website" in html and "Backend" in html
    assert '<svg class="bars"' in html
    assert "<title>Jan 1, 2026: 100% uptime</title>" in html
    assert "Jan 2, 2026: no data" in html
    assert "Current incidents" in html and "Investigating &lt;now&gt;" in html
    assert "Past incidents" in html and "Resolved" in html
    assert "DB upgrade" in html
    # Refreshed in place by a pausable script, never by a forced reload (WCAG 2.2.1).
    assert 'http-equiv="refresh"' not in html
    assert "status_refresh.js" in html and 'id="refresh-toggle"' in html
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert "<main" in html and "<header" in html and "<footer" in html


def test_bars_in_the_apis_own_shape(client: FlaskClient, fake_api: FakeApi) -> None:
    # What GET /api/v1/public/status-pages/{slug} sends: parallel arrays from first_day.
    bars = [
        {
            "monitor_id": 1,
            "first_day": "2026-01-01",
            "uptime": [0.995, None],
            "status": ["degraded", "none"],
            "incident_ids": {"2026-01-01": [5]},
        }
    ]
    fake_api.public_pages["acme"] = page(bars=bars)
    html = text(client.get("/s/acme"))
    assert "<title>Jan 1, 2026: 99.5% uptime</title>" in html
    assert "Jan 2, 2026: no data" in html
    garbage = [
        {"monitor_id": 1, "first_day": "someday", "uptime": [1], "status": ["up"]},
        {"monitor_id": 1, "first_day": "2026-01-01", "uptime": [1, 1], "status": ["up"]},
    ]
    for n, bad in enumerate(garbage):  # a slug each: the frontend caches pages by slug
        fake_api.public_pages[f"bad{n}"] = page(slug=f"bad{n}", bars=[bad])
        response = client.get(f"/s/bad{n}")
        assert response.status_code == 200 and '<svg class="bars"' not in text(response)


def test_no_third_party_asset(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = page(logo_url="https://cdn.example/logo.png")
    html = text(client.get("/s/acme"))
    assert "cdn.example" not in html
    for attr in ('src="http', 'href="http'):
        assert attr not in html


@pytest.mark.parametrize(
    ("lang", "words"), [("nl", "Gepland onderhoud"), ("de", "Geplante Wartung")]
)
def test_the_visitors_language(
    client: FlaskClient, fake_api: FakeApi, lang: str, words: str
) -> None:
    fake_api.public_pages["acme"] = page()
    html = text(client.get("/s/acme", headers={"Accept-Language": lang}))
    assert f'<html lang="{lang}">' in html and words in html


def test_all_up(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["ok"] = page(status="up", incidents=[], bars=[], maintenance=[])
    html = text(client.get("/s/ok"))
    assert "All systems operational" in html and "No incidents reported." in html


def test_answers_are_cached(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = page()
    client.get("/s/acme")
    second = client.get("/s/acme")
    client.get("/s/nope")
    client.get("/s/nope")
    first, again = fake_api.requests_to("/api/v1/public/status-pages/acme")
    # The kept copy is shown once the API says it still holds (304, no body).
    assert "if-none-match" not in {k.lower() for k in first.headers}
    assert {k.lower(): v for k, v in again.headers.items()}["if-none-match"].startswith('"')
    assert second.status_code == 200 and "Website" in text(second)
    assert len(fake_api.requests_to("/api/v1/public/status-pages/nope")) == 1


def test_a_page_made_private_is_never_shown_from_the_cache(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.public_pages["acme"] = page()
    assert client.get("/s/acme").status_code == 200  # kept in the cache
    fake_api.page_passwords["acme"] = "secret"  # the owner makes it private: the API says 401
    locked = client.get("/s/acme")
    assert locked.status_code == 401
    assert "Website" not in text(locked) and "ACME status" not in text(locked)
    assert locked.headers["Cache-Control"] == "no-store"


def test_no_answer_from_the_api_shows_no_kept_content(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.public_pages["acme"] = page()
    assert client.get("/s/acme").status_code == 200
    fake_api.answer_everything_with(503, '{"detail": "down"}')
    failed = client.get("/s/acme")
    assert failed.status_code >= 500 and "Website" not in text(failed)


@pytest.mark.parametrize("slug", ["nope", "UPPER", "a..b", "-x", "x" * 64, "%00"])
def test_unknown_or_malformed_slugs_are_404(client: FlaskClient, slug: str) -> None:
    assert client.get(f"/s/{slug}").status_code == 404


@pytest.mark.parametrize(
    "body", [{"title": 3, "groups": []}, {"title": "t"}, {"title": "t", "groups": ["x"]}]
)
def test_garbage_from_the_api_is_a_502(
    client: FlaskClient, fake_api: FakeApi, body: dict[str, Any]
) -> None:
    fake_api.public_pages["bad"] = body
    assert client.get("/s/bad").status_code == 502


def test_garbage_inside_is_skipped(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["odd"] = page(
        status="exploded",
        bars=["x", {"monitor_id": 1, "days": [{"day": "x"}, 3]}],
        incidents=["x", {"started_at": 5, "updates": ["x"]}],
        maintenance=[1],
    )
    assert client.get("/s/odd").status_code == 200


def test_ttl_cache_expires_and_stays_bounded() -> None:
    cache = TtlCache(ttl_s=-1, size=2)
    cache.put("a", {})
    assert cache.get("a") == (False, None)
    fresh = TtlCache(size=2)
    for key in "abc":
        fresh.put(key, {"k": key})
    assert fresh.get("c") == (True, {"k": "c"}) and fresh.get("a") == (False, None)


def test_a_visitor_without_a_known_language_reads_the_pages_own(
    client: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.public_pages["acme"] = page(language="fr")
    html = text(client.get("/s/acme", headers={"Accept-Language": "ja"}))
    assert '<html lang="fr">' in html and "Incidents passés" in html
    html = text(client.get("/s/acme", headers={"Accept-Language": "de"}))
    assert '<html lang="de">' in html
    fake_api.public_pages["odd"] = page(language=7)
    assert '<html lang="en">' in text(client.get("/s/odd"))
