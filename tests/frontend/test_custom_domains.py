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


def test_a_mapped_domain_serves_its_page_at_the_root(client: FlaskClient,
                                                     mapped: FakeApi) -> None:
    response = client.get("/", headers={"Host": "Status.ACME.test:443"})
    assert response.status_code == 200 and "ACME status" in text(response)
    assert response.headers["Cache-Control"] == "public, max-age=30"
    html = text(client.get("/?lang=fr", headers={"Host": "status.acme.test."}))
    assert 'lang="fr"' in html and 'href="/?lang=nl"' in html  # the switcher stays at /
    assert len(mapped.requests_to(LOOKUPS)) == 1  # the second visit came from the cache


def test_a_domain_of_another_cell_is_asked_there(client: FlaskClient,
                                                 mapped: FakeApi) -> None:
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
    for host in ("127.0.0.1:8080", "localhost", "[::1]:8080", "vigil.example.test",
                 "10.0.0.1"):
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
def test_a_garbage_answer_is_no_mapping(app: Flask, client: FlaskClient, mapped: FakeApi,
                                        answer: dict) -> None:
    app.extensions["vigil_domain_cache"].put("odd.acme.test", answer)
    assert client.get("/", headers={"Host": "odd.acme.test"}).headers["Location"] == "/login"


@pytest.mark.parametrize("host", [
    "", "localhost", "127.0.0.1", "[::1]", "a..b", "-a.test", "a_b.test", "x" * 64 + ".test",
    ("a." * 127) + "test", "status.acme.test/../x", "st\u00e4tus.test", "a.b%2f", "1.2.3.4:80",
])
def test_garbage_hosts_are_no_custom_domain(host: str) -> None:
    assert domain_of(host) is None


def test_status_page_form_sets_and_clears_the_domain(logged_in: FlaskClient,
                                                     fake_api: FakeApi) -> None:
    fake_api.collections["status-pages"] = [
        {"id": 5, "slug": "acme", "title": "ACME", "language": "en", "groups": [],
         "logo_url": None}]
    token = csrf_token(logged_in, "/status-pages/5")
    fields = {"title": "ACME", "slug": "acme", "language": "en", "groups": "", "logo_url": "",
              "csrf_token": token}
    logged_in.post("/status-pages/5", data={**fields, "custom_domain": ""})
    assert "custom_domain" not in fake_api.collections["status-pages"][0]  # an older API
    logged_in.post("/status-pages/5", data={**fields, "custom_domain": "Status.ACME.test."})
    assert fake_api.collections["status-pages"][0]["custom_domain"] == "status.acme.test"
    html = text(logged_in.get("/status-pages"))
    assert 'href="https://status.acme.test/"' in html
    assert 'value="status.acme.test"' in text(logged_in.get("/status-pages/5"))
    logged_in.post("/status-pages/5", data={**fields, "custom_domain": ""})
    assert fake_api.collections["status-pages"][0]["custom_domain"] is None


def test_the_apis_domain_errors_land_beside_the_field(logged_in: FlaskClient,
                                                      fake_api: FakeApi) -> None:
    token = csrf_token(logged_in, "/status-pages")
    fields = {"title": "ACME", "slug": "acme", "language": "en", "groups": "", "logo_url": "",
              "custom_domain": "status.acme.test", "csrf_token": token}
    fake_api.refuse_with = (422, [{"type": "value_error", "loc": ["body", "custom_domain"],
                                   "msg": "Value error, not a host name"}])
    response = logged_in.post("/status-pages", data=fields)
    assert 'id="custom_domain-errors"' in text(response) and "not a host name" in text(response)
    fake_api.refuse_with = (409, "this domain is taken")
    assert "this domain is taken" in text(logged_in.post("/status-pages", data=fields))
