"""A status page at the root of its own domain (Host: status.acme.test -> /), looked up in
the API's public domain map and cached briefly; every other host keeps the usual `/`."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from frontend.public import domain_of
from tests.frontend.fake_api import FakeApi
from tests.frontend.helpers import csrf_token, text
from tests.frontend.test_public import page

LOOKUPS = "/api/v1/public/domains/status.acme.test"


@pytest.fixture
def mapped(fake_api: FakeApi) -> FakeApi:
    fake_api.public_pages["acme"] = page()
    fake_api.domains["status.acme.test"] = "acme"
    return fake_api


def test_a_mapped_domain_serves_its_page_at_the_root(client: FlaskClient, mapped: FakeApi) -> None:
    response = client.get("/", headers={"Host": "Status.ACME.test:443"})
    assert response.status_code == 200 and "ACME status" in text(response)
    assert response.headers["Cache-Control"] == "public, no-cache"
    html = text(client.get("/?lang=fr", headers={"Host": "status.acme.test."}))
    assert 'lang="fr"' in html and 'href="/?lang=nl"' in html  # the switcher stays at /
    assert len(mapped.requests_to(LOOKUPS)) == 1  # the second visit came from the cache


def test_a_domain_of_another_cell_is_asked_there(client: FlaskClient, mapped: FakeApi) -> None:
    other = FakeApi(domains={"status.beta.test": "acme"})
    other.start()
    try:
        mapped.domain_cells["status.beta.test"] = other.url
        response = client.get("/", headers={"Host": "status.beta.test"})
        assert response.status_code == 200 and "ACME status" in text(response)
        assert len(other.requests_to("/api/v1/public/domains/status.beta.test")) == 1
    finally:
        other.stop()


def test_other_hosts_keep_the_usual_root(client: FlaskClient, mapped: FakeApi) -> None:
    for host in ("127.0.0.1:8080", "localhost", "[::1]:8080", "vigil.example.test", "10.0.0.1"):
        response = client.get("/", headers={"Host": host})
        assert response.headers["Location"] == "/login", host
    asked = [s.path for s in mapped.seen if s.path.startswith("/api/v1/public/domains/")]
    assert asked == ["/api/v1/public/domains/vigil.example.test"]  # names only, never IPs
    client.get("/", headers={"Host": "vigil.example.test"})
    assert len([s for s in mapped.seen if s.path.endswith("vigil.example.test")]) == 1


def test_only_the_root_is_the_page(client: FlaskClient, mapped: FakeApi) -> None:
    host = {"Host": "status.acme.test"}
    assert client.get("/login", headers=host).status_code == 200  # the log-in form, as ever
    css = client.get("/static/style.css", headers=host)
    assert css.status_code == 200
    css.close()
    posted = client.post("/", headers=host)
    assert posted.status_code != 200 and "ACME status" not in text(posted)


def test_a_mapping_to_a_missing_page_is_a_404(client: FlaskClient, mapped: FakeApi) -> None:
    mapped.domains["gone.acme.test"] = "gone"
    assert client.get("/", headers={"Host": "gone.acme.test"}).status_code == 404


def test_an_api_that_cannot_answer_is_not_cached(client: FlaskClient, mapped: FakeApi) -> None:
    mapped.answer_everything_with(500, "boom")
    assert client.get("/", headers={"Host": "status.acme.test"}).headers["Location"] == "/login"
    mapped.canned = None
    assert "ACME status" in text(client.get("/", headers={"Host": "status.acme.test"}))


@pytest.mark.parametrize("answer", [{"slug": "../admin"}, {"slug": 5}, {}, {"slug": "A B"}])
def test_a_garbage_answer_is_no_mapping(
    app: Flask, client: FlaskClient, mapped: FakeApi, answer: dict
) -> None:
    app.extensions["vigil_domain_cache"].put("odd.acme.test", answer)
    assert client.get("/", headers={"Host": "odd.acme.test"}).headers["Location"] == "/login"


@pytest.mark.parametrize(
    "host",
    [
        "",
        "localhost",
        "127.0.0.1",
        "[::1]",
        "a..b",
        "-a.test",
        "a_b.test",
        "x" * 64 + ".test",
        ("a." * 127) + "test",
        "status.acme.test/../x",
        "st\u00e4tus.test",
        "a.b%2f",
        "1.2.3.4:80",
    ],
)
def test_garbage_hosts_are_no_custom_domain(host: str) -> None:
    assert domain_of(host) is None


def test_status_page_form_sets_and_clears_the_domain(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.collections["status-pages"] = [
        {"id": 5, "slug": "acme", "title": "ACME", "language": "en", "groups": [], "logo_url": None}
    ]
    token = csrf_token(logged_in, "/status-pages/5")
    fields = {
        "title": "ACME",
        "slug": "acme",
        "language": "en",
        "groups": "",
        "logo_url": "",
        "csrf_token": token,
    }
    logged_in.post("/status-pages/5", data={**fields, "custom_domain": ""})
    assert "custom_domain" not in fake_api.collections["status-pages"][0]  # an older API
    logged_in.post("/status-pages/5", data={**fields, "custom_domain": "Status.ACME.test."})
    assert fake_api.collections["status-pages"][0]["custom_domain"] == "status.acme.test"
    html = text(logged_in.get("/status-pages"))
    assert 'href="https://status.acme.test/"' in html
    assert 'value="status.acme.test"' in text(logged_in.get("/status-pages/5"))
    logged_in.post("/status-pages/5", data={**fields, "custom_domain": ""})
    assert fake_api.collections["status-pages"][0]["custom_domain"] is None


def test_the_apis_domain_errors_land_beside_the_field(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    token = csrf_token(logged_in, "/status-pages")
    fields = {
        "title": "ACME",
        "slug": "acme",
        "language": "en",
        "groups": "",
        "logo_url": "",
        "custom_domain": "status.acme.test",
        "csrf_token": token,
    }
    fake_api.refuse_with = (
        422,
        [
            {
                "type": "value_error",
                "loc": ["body", "custom_domain"],
                "msg": "Value error, not a host name",
            }
        ],
    )
    response = logged_in.post("/status-pages", data=fields)
    assert 'id="custom_domain-errors"' in text(response) and "not a host name" in text(response)
    fake_api.refuse_with = (409, "this domain is taken")
    assert "this domain is taken" in text(logged_in.post("/status-pages", data=fields))


def _page_with(fake_api: FakeApi, **check: object) -> None:
    fake_api.collections["status-pages"] = [
        {
            "id": 5,
            "slug": "acme",
            "title": "ACME",
            "language": "en",
            "groups": [],
            "logo_url": None,
            "custom_domain": "status.acme.test",
            "domain_verification": {
                "record": "_vigil-challenge.status.acme.test",
                "type": "TXT",
                "value": "vigil-verify=0123456789abcdef0123456789abcdef",
                "status": "pending",
                "verified_at": None,
                "claim_expires_at": "2026-12-03T10:00:00+00:00",
                **check,
            },
        }
    ]


def test_the_form_shows_the_record_to_create_and_verifies(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    _page_with(fake_api)
    html = text(logged_in.get("/status-pages/5"))
    assert "<code>_vigil-challenge.status.acme.test</code>" in html
    assert "<code>TXT</code>" in html
    assert "<code>vigil-verify=0123456789abcdef0123456789abcdef</code>" in html
    assert "not verified yet" in html and "Dec 3, 2026" in html  # when the claim lapses
    assert 'status.acme.test</a> <span class="note">(not verified)' in text(
        logged_in.get("/status-pages")
    )
    assert 'action="/status-pages/5/domain/verify"' in html
    token = csrf_token(logged_in, "/status-pages/5")
    done = logged_in.post(
        "/status-pages/5/domain/verify", data={"csrf_token": token}, follow_redirects=True
    )
    assert len(fake_api.requests_to("/api/v1/status-pages/5/domain/verify")) == 1
    html = text(done)
    assert "status.acme.test is verified: the status page is served there." in html
    assert "<code>vigil-verify=" not in html  # nothing left to do
    assert 'action="/status-pages/5/domain/verify"' not in html
    assert "(not verified)" not in text(logged_in.get("/status-pages"))


@pytest.mark.parametrize(
    ("answer", "flashed"),
    [
        (
            (422, "the TXT record at _vigil-challenge.status.acme.test holds 'x'"),
            "Not verified: the TXT record at _vigil-challenge.status.acme.test holds &#39;x&#39;",
        ),
        (
            (409, "this status page has no custom_domain to verify"),
            "Not verified: this status page has no custom_domain to verify",
        ),
        (
            (422, [{"loc": ["path", "page_id"], "msg": "bad"}]),
            "Not verified: the monitoring service refused it.",
        ),
        ((503, "the DNS lookup timed out"), "could not be checked just now"),
    ],
)
def test_a_failed_verification_is_flashed(
    logged_in: FlaskClient, fake_api: FakeApi, answer: tuple[int, object], flashed: str
) -> None:
    _page_with(fake_api)
    fake_api.verify_answer = answer
    token = csrf_token(logged_in, "/status-pages/5")
    done = logged_in.post(
        "/status-pages/5/domain/verify", data={"csrf_token": token}, follow_redirects=True
    )
    assert done.status_code == 200
    assert flashed in text(done)
    assert "<code>vigil-verify=0123456789abcdef0123456789abcdef</code>" in text(done)


def test_verify_needs_the_csrf_token_and_a_page(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    _page_with(fake_api)
    assert logged_in.post("/status-pages/5/domain/verify").status_code == 400
    assert fake_api.requests_to("/api/v1/status-pages/5/domain/verify") == []
    token = csrf_token(logged_in, "/status-pages/5")
    missing = logged_in.post("/status-pages/6/domain/verify", data={"csrf_token": token})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "check",
    [
        {
            "status": "verified",
            "verified_at": "2026-11-20T08:00:00+00:00",
            "claim_expires_at": None,
        },
        {"status": "released", "value": None, "claim_expires_at": None},
        {"status": "nonsense", "record": 5, "value": ["<b>"], "claim_expires_at": "soon"},
    ],
)
def test_each_state_of_the_proof_reads_right(
    logged_in: FlaskClient, fake_api: FakeApi, check: dict[str, object]
) -> None:
    _page_with(fake_api, **check)
    html = text(logged_in.get("/status-pages/5"))
    if check["status"] == "verified":
        assert "is verified" in html and "Nov 20, 2026" in html
        assert 'action="/status-pages/5/domain/verify"' not in html
    elif check["status"] == "released":
        assert "lapsed before it was verified" in html and "<code>vigil-verify" not in html
        assert 'action="/status-pages/5/domain/verify"' in html
    else:  # garbage from the API: shown as pending, nothing of it rendered raw
        assert "not verified yet" in html and "<b>" not in html and "Until" not in html


def test_a_page_without_a_domain_or_proof_shows_no_proof(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    _page_with(fake_api)
    fake_api.collections["status-pages"][0]["custom_domain"] = None
    assert "_vigil-challenge" not in text(logged_in.get("/status-pages/5"))
    del fake_api.collections["status-pages"][0]["domain_verification"]  # an older API
    fake_api.collections["status-pages"][0]["custom_domain"] = "status.acme.test"
    assert "Verify" not in text(logged_in.get("/status-pages/5"))


@pytest.mark.parametrize("lang", ["nl", "de", "fr", "es"])
def test_the_proof_is_in_every_language(
    logged_in: FlaskClient, fake_api: FakeApi, lang: str
) -> None:
    _page_with(fake_api)
    english = text(logged_in.get("/status-pages/5?lang=en"))
    translated = text(logged_in.get(f"/status-pages/5?lang={lang}"))
    for phrase in ("is not verified yet", "no other account can claim", ">Verify<"):
        assert phrase in english and phrase not in translated, (lang, phrase)
