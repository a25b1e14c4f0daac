import pytest

from notifier.channels import telegram
from notifier.errors import DeliveryError
from tests.notifier.channels.conftest import incident

TOKEN = "123456:ABCdefGhIJKlmnoPQRstuVWxyz_0123-45"


async def test_send_message_with_html_text(receiver, ctx) -> None:
    await telegram.send(incident("opened", "es"), {"token": TOKEN, "chat_id": -100123}, ctx)
    [req] = receiver.requests
    assert req.path == f"/telegram/bot{TOKEN}/sendMessage"
    body = req.json()
    assert body["chat_id"] == -100123 and body["parse_mode"] == "HTML"
    assert body["text"].startswith("<b>Checkout está DOWN</b>")
    assert '<a href="https://vigil.example/incidents/42">Ver detalles</a>' in body["text"]


@pytest.mark.parametrize(
    "config",
    [
        {"chat_id": 1},
        {"token": "../../evil", "chat_id": 1},
        {"token": TOKEN},
        {"token": TOKEN, "chat_id": True},
        {"token": TOKEN, "chat_id": ""},
    ],
)
async def test_bad_config_is_permanent(ctx, config) -> None:
    with pytest.raises(DeliveryError) as err:
        await telegram.send(incident(), config, ctx)
    assert err.value.permanent


async def test_a_blocked_bot_is_permanent(receiver, ctx) -> None:
    receiver.script[f"/telegram/bot{TOKEN}/sendMessage"] = [403]
    with pytest.raises(DeliveryError) as err:
        await telegram.send(incident(), {"token": TOKEN, "chat_id": "@ops"}, ctx)
    assert err.value.permanent
