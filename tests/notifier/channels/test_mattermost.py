from notifier.channels import mattermost
from tests.notifier.channels.conftest import incident


async def test_a_coloured_attachment_in_the_account_s_language(receiver, ctx) -> None:
    await mattermost.send(incident("resolved", "nl"), {"url": f"{receiver.url}/hooks/abc"}, ctx)
    body = receiver.requests[0].json()
    assert body["username"] == "Vigil" and body["text"] == "#### Checkout is weer UP"
    [att] = body["attachments"]
    assert att["color"] == "#1e8e3e" and att["title_link"] == "https://vigil.example/incidents/42"
    assert {"title": "Doel", "value": "https://shop.example/pay", "short": True} in att["fields"]
    assert att["fallback"].startswith("Checkout is weer UP")
