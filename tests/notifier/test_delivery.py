import json

import pytest

from notifier.delivery import Delivery, decode_delivery, encode_delivery
from notifier.message import Notification
from shared.codec import DecodeError
from shared.delivery_keys import for_channel as delivery_key

N = Notification(kind="opened", key="inc-1/opened", monitor="Shop")


def test_round_trip_in_clear_and_sealed() -> None:
    clear = Delivery("inc-1/opened/5", "webhook", N, 5, 9, config={"url": "http://x"})
    sealed = Delivery("inc-1/opened/6", "slack", N, 6, 9, sealed_config="gAAAA...")
    assert decode_delivery(encode_delivery(clear)) == clear
    assert decode_delivery(encode_delivery(sealed)) == sealed


def test_the_key_is_one_event_for_one_channel() -> None:
    assert delivery_key("inc-1/opened", 5) == "inc-1/opened/5"
    assert len(delivery_key("k" * 500, 5)) == 200


def _body(**change) -> bytes:
    obj = json.loads(encode_delivery(Delivery("k/1", "webhook", N, 1, config={})))
    for path, value in change.items():
        target = obj
        *parents, leaf = path.split("__")
        for p in parents:
            target = target[p]
        target[leaf] = value
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"garbage",
        b"\xff\xfe",
        b"[]",
        b'{"v": 2}',
        b"x" * 300_000,
        _body(key=""),
        _body(key=7),
        _body(key="k" * 201),
        _body(channel=None),
        _body(channel__kind=3),
        _body(channel__config="url"),
        _body(channel__sealed="s"),
        _body(channel__id="5"),
        _body(channel__id=-1),
        _body(account_id=True),
        _body(notification=None),
        _body(notification__kind="boom"),
    ],
)
def test_garbage_is_refused(body: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_delivery(body)
