from notifier.channels import slack
from tests.notifier.channels.conftest import incident


async def test_block_kit_with_a_fallback_text(receiver, ctx) -> None:
    n = incident()
    n = type(n)(**{**n.__dict__, "monitor": "A <b> & C"})
    await slack.send(n, {"url": f"{receiver.url}/services/T0/B0/x"}, ctx)
    [req] = receiver.requests
    assert req.path == "/services/T0/B0/x"
    body = req.json()
    assert body["text"] == "[Vigil] A <b> & C is DOWN"
    header, fields, link = body["blocks"]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert {"type": "mrkdwn", "text": "*Target*\nhttps://shop.example/pay"} in fields["fields"]
    assert link["text"]["text"] == "<https://vigil.example/incidents/42|View details>"
    assert slack.escape("a <b> & c") == "a &lt;b&gt; &amp; c"
