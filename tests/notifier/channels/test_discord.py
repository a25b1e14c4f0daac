from notifier.channels import discord
from tests.notifier.channels.conftest import incident


async def test_one_embed_and_no_mentions(receiver, ctx) -> None:
    await discord.send(incident("opened", "fr"), {"url": f"{receiver.url}/api/webhooks/1/t"}, ctx)
    body = receiver.requests[0].json()
    assert body["allowed_mentions"] == {"parse": []}
    [embed] = body["embeds"]
    assert embed["title"] == "Checkout est DOWN" and embed["color"] == 0xD93025
    assert embed["url"] == "https://vigil.example/incidents/42"
    assert embed["timestamp"].startswith("2026-03-02T12:00:00")
    assert {"name": "Cible", "value": "https://shop.example/pay", "inline": True} in embed["fields"]
