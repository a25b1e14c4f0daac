""" "Send test notification" for every channel kind, for real: the API queues it, the notifier
sends it to a local receiver (an aiohttp app standing in for each chat service, an SMTP sink,
hook programs), and the channel's attempts say what each receiver answered."""

from __future__ import annotations

import asyncio
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from notifier.service import serve
from shared import names
from shared.config import Settings
from tests.api.helpers import SECRET, client_for, new_user, unique_email
from tests.helpers import eventually, short_name
from tests.notifier.test_service import _wait_consumer

pytestmark = pytest.mark.integration
CHANNELS = "/api/v1/notification-channels"
TOKEN = "123456:" + "A" * 30
HOOK = """#!/bin/sh
cat > /dev/null
echo "{words}"
exit {code}
"""


@pytest.fixture
def hooks() -> Iterator[str]:
    """Two hook programs the hooks' user (nobody, when the tests run as root) may run."""
    folder = Path(tempfile.mkdtemp(prefix="vigil-hooks-"))
    folder.chmod(0o755)
    for name, words, code in [("paged", "paged the on-call", 0), ("broken", "no pager", 3)]:
        path = folder / name
        path.write_text(HOOK.format(words=words, code=code))
        path.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    yield f"paged={folder / 'paged'},broken={folder / 'broken'}"
    shutil.rmtree(folder)


def _configs(url: str, smtp_port: int) -> dict[str, tuple[str, dict[str, object]]]:
    """name -> (kind, config), one or more per kind."""
    return {
        "email": (
            "email",
            {
                "to": ["ops@example.com"],
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "plain",
            },
        ),
        "webhook": ("webhook", {"url": f"{url}/webhook", "secret": "0123456789abcdef"}),
        "slack": ("slack", {"url": f"{url}/slack"}),
        "teams": ("teams", {"url": f"{url}/teams"}),
        "discord": ("discord", {"url": f"{url}/discord"}),
        "mattermost": ("mattermost", {"url": f"{url}/mattermost", "username": "vigil"}),
        "telegram": ("telegram", {"token": TOKEN, "chat_id": "4242"}),
        "pagerduty": ("pagerduty", {"routing_key": "R" * 32}),
        "paged": ("hook", {"name": "paged"}),
        "broken": ("hook", {"name": "broken"}),
    }


async def test_every_kind_sends_a_test_and_lists_what_its_receiver_answered(
    database_url: str, amqp_url: str, hooks: str, smtp, receiver
) -> None:
    sink, smtp_port = smtp
    cell, admin = short_name("t"), unique_email()
    env = {
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_AMQP_URL": amqp_url,
        "VIGIL_CELL": cell,
        "VIGIL_SECRET_KEY": SECRET,
        "VIGIL_HOOKS": hooks,
    }
    notifier = Settings.from_env(
        {
            **env,
            "VIGIL_NOTIFY_ALLOW_PRIVATE": "true",
            "VIGIL_NOTIFY_TIMEOUT": "5",
            "VIGIL_NOTIFY_BACKOFF_BASE": "50",
            "VIGIL_HOOKS_TIMEOUT": "5",
            "VIGIL_TELEGRAM_API_URL": f"{receiver.url}/telegram",
            "VIGIL_PAGERDUTY_EVENTS_URL": f"{receiver.url}/pagerduty",
        }
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(notifier, stop))
    try:
        await _wait_consumer(amqp_url, cell, names.deliveries_queue(cell))
        async with client_for(
            database_url,
            VIGIL_AMQP_URL=amqp_url,
            VIGIL_CELL=cell,
            VIGIL_HOOKS=hooks,
            VIGIL_ADMIN_EMAILS=admin,
        ) as client:
            user = await new_user(client, admin)
            keys = {}
            for name, (kind, config) in _configs(receiver.url, smtp_port).items():
                made = await client.post(
                    CHANNELS,
                    headers=user.headers,
                    json={"name": name, "kind": kind, "config": config},
                )
                assert made.status_code == 201, made.text
                tested = await client.post(
                    f"{CHANNELS}/{made.json()['id']}/test", headers=user.headers
                )
                assert tested.status_code == 202, tested.text
                keys[name] = (made.json()["id"], tested.json()["key"])
            attempts = {
                name: await _attempts(client, user.headers, channel, key)
                for name, (channel, key) in keys.items()
            }
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)

    for name in ("webhook", "slack", "teams", "discord", "mattermost", "telegram", "pagerduty"):
        [a] = attempts[name]
        assert (a["outcome"], a["detail"]) == ("sent", "HTTP 200: ok"), name
    assert sorted(r.path for r in receiver.requests) == sorted(
        [
            "/webhook",
            "/slack",
            "/teams",
            "/discord",
            "/mattermost",
            f"/telegram/bot{TOKEN}/sendMessage",
            "/pagerduty",
        ]
    )
    [mail] = attempts["email"]
    assert (mail["outcome"], mail["detail"]) == ("sent", "accepted for 1 recipient(s)")
    [message] = sink.messages
    assert message["Subject"] == "[Vigil] Test notification from Vigil"
    [paged] = attempts["paged"]
    assert (paged["outcome"], paged["detail"]) == ("sent", "hook paged exit 0: paged the on-call")
    [broken] = attempts["broken"]  # exit 3: a permanent failure, not retried
    assert (broken["outcome"], broken["permanent"]) == ("failed", True)
    assert broken["detail"] == broken["error"] == "hook broken exit 3: no pager"
    # What each attempt told, in fields (api.attempt_fields), from the notifier's own rows.
    told = {
        name: (a["event"], a["incident_id"], a["test_id"], a["exit_code"], a["output"])
        for name, [a] in attempts.items()
    }
    assert told == {name: ("test", None, None, None, None) for name in told} | {
        "paged": ("test", None, None, 0, "paged the on-call"),
        "broken": ("test", None, None, 3, "no pager"),
    }


async def _attempts(
    client: httpx.AsyncClient, headers: dict[str, str], channel: int, key: str
) -> list[dict]:
    """The channel's attempts at its test, once the notifier has settled it."""

    async def settled() -> list[dict]:
        listed = await client.get(f"{CHANNELS}/{channel}/attempts", headers=headers)
        assert listed.status_code == 200, listed.text
        mine = [a for a in listed.json()["items"] if a["key"] == key]
        return mine if mine and mine[-1]["outcome"] in ("sent", "failed") else []

    return await eventually(settled, f"the test of channel {channel} to be settled")
