"""A status page's branding: the owner's form, and the public page showing it safely."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from frontend import page_brand
from tests.frontend.fake_api import FakeApi
from tests.frontend.helpers import text
from tests.frontend.test_public import page
from tests.frontend.test_resources import post, sent

LINKS = [
    {"label": "Help & <support>", "url": "https://acme.example/help?a=1&b=2"},
    {"label": "Evil", "url": "javascript:alert(1)"},
]


def test_the_public_page_shows_the_branding(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = page(
        accent_color="#FFEE00", footer_links=LINKS, favicon_url="https://cdn.acme.example/f.png"
    )
    response = client.get("/s/acme")
    html = text(response)
    [style] = re.findall(r"<style>(.*?)</style>", html)
    assert "--brand:#ffee00" in style and "--brand-text:#000000" in style
    link = re.search(r"--accent:(#[0-9a-f]{6})", style)
    assert link is not None  # a yellow is darkened to be read as text on the background
    assert page_brand.contrast(page_brand._rgb(link[1]), page_brand.BACKGROUND) >= 4.5
    csp = response.headers["Content-Security-Policy"]
    assert f"style-src 'self' {page_brand.style_hash(style)};" in csp
    assert "img-src 'self' data: https://cdn.acme.example;" in csp
    assert "script-src 'self';" in csp
    assert '<link rel="icon" href="https://cdn.acme.example/f.png">' in html
    assert (
        '<a href="https://acme.example/help?a=1&amp;b=2" rel="noopener">'
        "Help &amp; &lt;support&gt;</a>"
    ) in html
    assert "javascript:" not in html and "Evil" not in html


@pytest.mark.parametrize("accent", ["red;}", "#12345g", "#123456;}</style><script>", None, 7])
def test_a_bad_accent_from_the_api_is_not_shown(
    client: FlaskClient, fake_api: FakeApi, accent: object
) -> None:
    fake_api.public_pages["acme"] = page(
        accent_color=accent, favicon_url="https://a;b.example/f.png"
    )
    response = client.get("/s/acme")
    assert "<style>" not in text(response) and "a;b" not in text(response)
    assert response.headers["Content-Security-Policy"] == page_brand.CSP


def test_unbranded_page_keeps_the_strict_policy(client: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.public_pages["acme"] = page()
    response = client.get("/s/acme")
    assert response.headers["Content-Security-Policy"] == page_brand.CSP
    assert "favicon.svg" in text(response) and "<style>" not in text(response)


def test_text_on_an_accent_is_black_or_white() -> None:
    assert page_brand.text_on("#ffffff") == "#000000"
    assert page_brand.text_on("#0b3d91") == "#ffffff"
    assert page_brand.readable("#0b3d91") == "#0b3d91"  # dark enough already


BRAND = {"title": "ACME", "slug": "acme", "language": "en", "groups": "", "logo_url": ""}


def test_the_form_sends_the_branding(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    response = post(
        logged_in,
        "/status-pages",
        **BRAND,
        accent_color=" #0B6BCB ",
        footer_links="Support desk https://acme.example/s\n\nTerms http://a.example/t",
        favicon_url="https://acme.example/f.png",
    )
    assert response.status_code == 302, text(response)
    body = sent(fake_api, "/api/v1/status-pages")
    assert (body["accent_color"], body["favicon_url"], body["footer_links"]) == (
        "#0B6BCB",
        "https://acme.example/f.png",
        [
            {"label": "Support desk", "url": "https://acme.example/s"},
            {"label": "Terms", "url": "http://a.example/t"},
        ],
    )
    [stored] = fake_api.collections["status-pages"]
    html = text(logged_in.get(f"/status-pages/{stored['id']}"))
    assert 'value="#0b6bcb"' in html
    assert "Support desk https://acme.example/s\nTerms http://a.example/t</textarea>" in html
    cleared = post(
        logged_in,
        f"/status-pages/{stored['id']}",
        **BRAND,
        accent_color="",
        footer_links="",
        favicon_url="",
        history_days="90",
    )
    assert cleared.status_code == 302, text(cleared)
    assert (stored["accent_color"], stored["footer_links"], stored["favicon_url"]) == (
        None,
        [],
        None,
    )


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"accent_color": "red;}"}, "accent_color", "six hex digits"),
        ({"footer_links": "https://only.example"}, "footer_links", "its label, then its address"),
        ({"footer_links": "Evil javascript:alert(1)"}, "footer_links", "scheme must be one of"),
        (
            {"footer_links": "\n".join(f"L{i} https://a.example" for i in range(6))},
            "footer_links",
            "at most 5",
        ),
        ({"favicon_url": "http://acme.example/f.png"}, "favicon_url", "https://"),
    ],
)
def test_bad_branding_is_marked_beside_its_field(
    logged_in: FlaskClient, fake_api: FakeApi, fields: dict[str, str], field: str, says: str
) -> None:
    response = post(logged_in, "/status-pages", **{**BRAND, **fields})
    assert response.status_code == 422
    html = text(response)
    errors = re.search(rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', html, re.S)
    assert errors is not None and says in errors[1], html
    assert fake_api.collections.get("status-pages", []) == []
