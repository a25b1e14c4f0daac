from notifier.channels import teams
from tests.notifier.channels.conftest import incident


async def test_an_adaptive_card(receiver, ctx) -> None:
    await teams.send(incident("confirmed", "de"), {"url": f"{receiver.url}/workflows/x"}, ctx)
    body = receiver.requests[0].json()
    assert body["type"] == "message"
    [att] = body["attachments"]
    assert att["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = att["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    title, facts = card["body"]
    assert title["text"] == "Checkout ist DOWN, von anderen Regionen bestätigt"
    assert title["color"] == "Attention"
    assert {"title": "Vorfall", "value": "#42"} in facts["facts"]
    assert card["actions"][0]["url"] == "https://vigil.example/incidents/42"
