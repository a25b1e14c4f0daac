import time

import pytest

from notifier.channels import webhook
from notifier.errors import DeliveryError
from tests.notifier.channels.conftest import incident, make_context

SECRET = "whsec-test"


async def test_the_receiver_verifies_the_signature(receiver, ctx) -> None:
    note = await webhook.send(incident(), {"url": f"{receiver.url}/hook", "secret": SECRET}, ctx)
    assert note.startswith("HTTP 200")
    [req] = receiver.requests
    ts, sig = req.headers["X-Vigil-Timestamp"], req.headers["X-Vigil-Signature"]
    assert sig.startswith("sha256=") and abs(int(ts) - time.time()) < 60
    assert webhook.verify(SECRET, ts, req.body, sig)
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["X-Vigil-Key"] == "inc-42/opened"
    doc = req.json()
    assert doc["event"] == "opened" and doc["notification"]["monitor"] == "Checkout"
    assert doc["subject"] == "[Vigil] Checkout is DOWN"


async def test_tampering_a_wrong_secret_and_replays_fail_verification(receiver, ctx) -> None:
    await webhook.send(incident(), {"url": f"{receiver.url}/hook", "secret": SECRET}, ctx)
    [req] = receiver.requests
    ts, sig = req.headers["X-Vigil-Timestamp"], req.headers["X-Vigil-Signature"]
    assert not webhook.verify(SECRET, ts, req.body + b" ", sig)
    assert not webhook.verify("other", ts, req.body, sig)
    assert not webhook.verify(SECRET, ts, req.body, sig, now=int(ts) + 3600)  # a replay
    assert not webhook.verify(SECRET, "soon", req.body, sig)
    assert not webhook.verify(SECRET, str(int(ts) + 1), req.body, sig)


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        (500, False),
        (503, False),
        (429, False),
        (408, False),
        (404, True),
        (401, True),
        (302, True),
    ],
)
async def test_failures_say_whether_retrying_can_help(receiver, ctx, status, permanent) -> None:
    receiver.script["/hook"] = [status]
    with pytest.raises(DeliveryError) as err:
        await webhook.send(incident(), {"url": f"{receiver.url}/hook", "secret": SECRET}, ctx)
    assert err.value.permanent is permanent
    assert str(status) in err.value.message


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"url": "http://127.0.0.1/"},
        {"secret": "s"},
        {"url": 5, "secret": "s"},
        {"url": "ftp://example.com/", "secret": "s"},
        {"url": "not a url", "secret": "s"},
        {"url": "http://[::1/", "secret": "s"},
    ],
)
async def test_bad_config_is_a_permanent_error(ctx, config) -> None:
    with pytest.raises(DeliveryError) as err:
        await webhook.send(incident(), config, ctx)
    assert err.value.permanent


async def test_private_addresses_are_refused_unless_allowed(receiver) -> None:
    ctx = make_context(receiver.url, allow_private=False)
    try:
        for url in (f"{receiver.url}/hook", receiver.url.replace("127.0.0.1", "localhost")):
            with pytest.raises(DeliveryError) as err:
                await webhook.send(incident(), {"url": url, "secret": SECRET}, ctx)
            assert err.value.permanent and "private" in err.value.message
    finally:
        await ctx.http.close()
    assert receiver.requests == []


async def test_an_unreachable_receiver_is_worth_a_retry(ctx) -> None:
    from tests.targets import free_port

    with pytest.raises(DeliveryError) as err:
        await webhook.send(
            incident(), {"url": f"http://127.0.0.1:{free_port()}/", "secret": SECRET}, ctx
        )
    assert not err.value.permanent
