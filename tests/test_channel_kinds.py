"""The channel kinds are one list (shared/channel_kinds): the API, the notifier and the
frontend must agree with it, so a kind added in one place and forgotten in another fails here."""

from __future__ import annotations

import importlib
import typing

import pytest

from api import channels as api_channels
from api.resource_schemas import ChannelKind
from frontend.resources import CHANNEL_KINDS as OFFERED
from notifier import channels as notifier_channels
from shared import channel_kinds

pytestmark = pytest.mark.unit


def test_the_api_validates_exactly_the_shared_kinds() -> None:
    assert tuple(api_channels.KINDS) == channel_kinds.KINDS
    assert typing.get_args(ChannelKind) == channel_kinds.KINDS


def test_the_notifier_can_send_every_shared_kind() -> None:
    assert tuple(notifier_channels.REGISTRY) == channel_kinds.KINDS
    for kind in channel_kinds.KINDS:
        assert callable(importlib.import_module(notifier_channels.REGISTRY[kind]).send), kind


def test_the_frontend_offers_only_shared_kinds_and_their_real_fields() -> None:
    assert set(OFFERED) <= set(channel_kinds.KINDS) - channel_kinds.OPERATOR_KINDS
    for kind, fields in OFFERED.items():
        model_fields = set(api_channels.KINDS[kind].model_fields)
        assert set(fields) <= model_fields, kind


def test_every_secret_is_a_field_of_its_kind() -> None:
    for kind, secret in channel_kinds.SECRETS.items():
        fields = {f.alias or name for name, f in api_channels.KINDS[kind].model_fields.items()}
        assert secret <= fields, kind
