"""Email against a real SMTP server (aiosmtpd) on loopback: plain, STARTTLS and TLS."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifier.channels import email as email_channel
from notifier.errors import DeliveryError
from notifier.message import Notification
from tests.notifier.channels.conftest import incident, make_context
from tests.selfsigned import self_signed
from tests.sinks import Sink, smtp_sink
from tests.targets import free_port


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path, str]:
    """A self-signed certificate for 127.0.0.1: (cert file, key file, PEM)."""
    return self_signed(tmp_path_factory.mktemp("smtp-tls"), "vigil test smtp")


def _server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate[0], certificate[1])
    return context


@pytest.fixture
def plain_smtp() -> Iterator[tuple[Sink, int]]:
    with smtp_sink() as server:
        yield server


@pytest.fixture
def starttls_smtp(certificate) -> Iterator[tuple[Sink, int]]:
    with smtp_sink(
        tls_context=_server_tls(certificate),
        require_starttls=True,
        authenticator=_authenticate,
        auth_require_tls=True,
    ) as server:
        yield server


@pytest.fixture
def tls_smtp(certificate) -> Iterator[tuple[Sink, int]]:
    with smtp_sink(ssl_context=_server_tls(certificate)) as server:
        yield server


@pytest.fixture
async def ctx():
    context = make_context()
    yield context
    await context.http.close()


def _bodies(msg: Message) -> tuple[str, str]:
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return plain, html


async def test_plain_smtp_multipart_in_the_account_s_language(plain_smtp, ctx) -> None:
    sink, port = plain_smtp
    note = await email_channel.send(
        incident("resolved", "de"),
        {
            "host": "127.0.0.1",
            "port": port,
            "security": "plain",
            "from": "vigil@ops.example",
            "to": ["a@ops.example", "b@ops.example"],
        },
        ctx,
    )
    assert "2 recipient" in note
    [msg] = sink.messages
    assert msg["Subject"] == "[Vigil] Checkout ist wieder UP"
    assert msg["From"] == "vigil@ops.example"
    assert msg["To"] == "a@ops.example, b@ops.example"
    assert msg["Content-Language"] == "de" and msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Vigil-Key"] == "inc-42/resolved" and msg["Message-ID"].endswith("@ops.example>")
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = _bodies(msg)
    assert "Ausfalldauer: 9 Minuten" in plain and "Ziel: https://shop.example/pay" in plain
    assert '<html lang="de">' in html and "<h1>Checkout ist wieder UP</h1>" in html


async def test_starttls_with_login_and_a_private_ca(starttls_smtp, certificate, ctx) -> None:
    sink, port = starttls_smtp
    config = {
        "host": "127.0.0.1",
        "port": port,
        "security": "starttls",
        "username": "ops",
        "password": "s3cret",
        "to": "ops@example.com",
        "tls_ca": certificate[2],
    }
    await email_channel.send(incident("opened", "fr"), config, ctx)
    [msg] = sink.messages
    assert msg["Subject"] == "[Vigil] Checkout est DOWN"
    assert "Cible: https://shop.example/pay" in _bodies(msg)[0]

    with pytest.raises(DeliveryError) as err:  # a wrong password will not get better
        await email_channel.send(incident(), {**config, "password": "wrong"}, ctx)
    assert err.value.permanent


async def test_an_untrusted_certificate_is_refused(starttls_smtp, ctx) -> None:
    sink, port = starttls_smtp
    with pytest.raises(DeliveryError) as err:
        await email_channel.send(
            incident(), {"host": "127.0.0.1", "port": port, "to": "ops@example.com"}, ctx
        )
    assert err.value.permanent and sink.messages == []


async def test_implicit_tls(tls_smtp, certificate, ctx) -> None:
    sink, port = tls_smtp
    await email_channel.send(
        incident("test", "nl"),
        {
            "host": "127.0.0.1",
            "port": port,
            "security": "tls",
            "to": ["ops@example.com"],
            "tls_ca": certificate[2],
        },
        ctx,
    )
    [msg] = sink.messages
    assert msg["Subject"] == "[Vigil] Testmelding van Vigil"


async def test_the_operator_s_relay_when_the_channel_names_no_server(plain_smtp) -> None:
    sink, port = plain_smtp
    ctx = make_context(
        allow_private=False,
        smtp_url=f"smtp://127.0.0.1:{port}?security=plain",
        smtp_from="alerts@vigil.example",
    )
    await email_channel.send(incident(), {"to": "ops@example.com"}, ctx)  # trusted, though local
    [msg] = sink.messages
    assert msg["From"] == "alerts@vigil.example"


async def test_a_refused_recipient_is_permanent(plain_smtp, ctx) -> None:
    sink, port = plain_smtp
    with pytest.raises(DeliveryError) as err:
        await email_channel.send(
            incident(),
            {"host": "127.0.0.1", "port": port, "security": "plain", "to": "x@refused.example"},
            ctx,
        )
    assert err.value.permanent


async def test_an_account_s_private_server_is_refused_unless_allowed(plain_smtp) -> None:
    sink, port = plain_smtp
    ctx = make_context(allow_private=False)
    with pytest.raises(DeliveryError) as err:
        await email_channel.send(
            incident(),
            {"host": "127.0.0.1", "port": port, "security": "plain", "to": "ops@example.com"},
            ctx,
        )
    assert err.value.permanent and sink.messages == []


async def test_a_server_that_is_down_is_worth_a_retry(ctx) -> None:
    with pytest.raises(DeliveryError) as err:
        await email_channel.send(
            incident(),
            {
                "host": "127.0.0.1",
                "port": free_port(),
                "security": "plain",
                "to": "ops@example.com",
            },
            ctx,
        )
    assert not err.value.permanent


async def test_a_line_break_in_a_name_cannot_add_headers(plain_smtp, ctx) -> None:
    sink, port = plain_smtp
    n = incident()
    n = type(n)(**{**n.__dict__, "monitor": "Shop\r\nBcc: victim@example.com"})
    await email_channel.send(
        n, {"host": "127.0.0.1", "port": port, "security": "plain", "to": "ops@example.com"}, ctx
    )
    [msg] = sink.messages
    assert msg["Bcc"] is None and msg["Subject"].startswith("[Vigil] Shop Bcc:")


@pytest.mark.parametrize(
    "config",
    [
        {"host": "127.0.0.1", "to": "a@b.example", "from": "nobody"},
        {"host": "127.0.0.1", "to": "a@b.example", "from": "a@b.example\r\nBcc: x@y"},
        {"host": "127.0.0.1"},
        {"host": "127.0.0.1", "to": []},
        {"host": "127.0.0.1", "to": "nobody"},
        {"host": "127.0.0.1", "to": ["a@b.example\nBcc: x@y"]},
        {"host": "127.0.0.1", "to": 5},
        {"host": "127.0.0.1", "to": "a@b.example", "security": "ssl3"},
        {"host": "127.0.0.1", "to": "a@b.example", "port": "25"},
        {
            "host": "127.0.0.1",
            "to": "a@b.example",
            "security": "plain",
            "username": "u",
            "password": "p",
        },
        {"host": "127.0.0.1", "to": "a@b.example", "tls_ca": "not a pem"},
        {"host": "", "to": "a@b.example"},
        {"to": "a@b.example"},  # no server and no operator relay
    ],
)
async def test_bad_config_is_permanent(ctx, config) -> None:
    with pytest.raises(DeliveryError) as err:
        await email_channel.send(incident(), config, ctx)
    assert err.value.permanent


async def test_a_subscriber_s_mail_has_a_one_click_unsubscribe(plain_smtp, ctx) -> None:
    sink, port = plain_smtp
    leave = "https://status.example/s/shop/subscription/unsubscribe?token=1.0.abc"
    await email_channel.send(
        incident("opened", "nl"),
        {
            "host": "127.0.0.1",
            "port": port,
            "security": "plain",
            "to": "ann@example.com",
            "unsubscribe_url": leave,
        },
        ctx,
    )
    [msg] = sink.messages
    assert msg["List-Unsubscribe"].strip() == f"<{leave}>"  # folded: a long line
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain, html = _bodies(msg)
    assert f"Afmelden: {leave}" in plain and f'<a href="{leave}">Afmelden</a>' in html


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "https://x.example/\r\nBcc: a@b.c", "https://x.example/a b", 7]
)
async def test_a_bad_unsubscribe_link_is_a_permanent_error(plain_smtp, ctx, url) -> None:
    sink, port = plain_smtp
    with pytest.raises(DeliveryError) as err:
        await email_channel.send(
            incident(),
            {
                "host": "127.0.0.1",
                "port": port,
                "security": "plain",
                "to": "a@example.com",
                "unsubscribe_url": url,
            },
            ctx,
        )
    assert err.value.permanent and "unsubscribe_url" in err.value.message
    assert sink.messages == []


async def test_a_confirmation_cannot_carry_headers_in_the_page_s_title(plain_smtp, ctx) -> None:
    """The page's title is the owner's text, and it lands in the subject: a line break in it
    must not start a header of its own (a Bcc to someone else, say)."""
    sink, port = plain_smtp
    n = Notification(
        kind="subscribe_confirm",
        key="subscribe/1/x",
        language="fr",
        monitor="Shop\r\nBcc: victim@example.com\r\n\r\nbody",
        url="https://status.example/s/shop/subscription/confirm?token=1.2.x",
    )
    await email_channel.send(
        n, {"host": "127.0.0.1", "port": port, "security": "plain", "to": "ann@example.com"}, ctx
    )
    [msg] = sink.messages
    assert msg["Bcc"] is None and msg["To"] == "ann@example.com"
    assert msg["Subject"] == (
        "[Vigil] Confirmez votre abonnement à Shop Bcc: victim@example.com body"
    )
    plain = _bodies(msg)[0]
    assert "Confirmer l'abonnement: https://status.example/s/shop/subscription/confirm" in plain
    assert msg["List-Unsubscribe"] is None  # nothing to leave before confirming
