"""Notification channel kinds: the settings each takes, and which of them are secret.

The keys are exactly those the notifier's channel modules read (`notifier/channels/*.py`):
the API stores them, the notifier's fan-out hands them to the channel as they are. A secret
is stored encrypted (`api.secretbox`, i.e. `shared.secrets`) and answered masked. A `hook`
channel names a program the operator registered (VIGIL_HOOKS); only operators
(VIGIL_ADMIN_EMAILS) may create one, since it runs on the operator's machine.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, ValidationError, model_validator

from api.schemas import Input, Url
from api.validation import relocated
from shared import channel_kinds, names

MASK = "********"
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Secret = Annotated[str, Field(min_length=1, max_length=200)]


class EmailConfig(Input):
    to: Annotated[list[EmailStr], Field(min_length=1, max_length=50)]
    from_: EmailStr | None = Field(default=None, alias="from")
    # No host: the operator's relay (VIGIL_SMTP_URL) sends it.
    host: Text | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    security: Literal["starttls", "tls", "plain"] | None = None
    username: Text | None = None
    password: Secret | None = None

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> EmailConfig:
        if self.username and self.security == "plain":
            raise ValueError("security: plain SMTP would send the password in clear")
        return self


class WebhookConfig(Input):
    url: Url
    secret: Annotated[str, Field(min_length=16, max_length=200)]  # the HMAC key


class ChatConfig(Input):  # slack, teams, discord: an incoming-webhook URL
    url: Url


class MattermostConfig(Input):
    url: Url
    username: Text | None = None


class TelegramConfig(Input):
    chat_id: Annotated[str, Field(pattern=r"^-?[0-9]{1,20}$|^@[A-Za-z0-9_]{5,32}$")]
    token: Annotated[str, Field(pattern=r"^[0-9]{1,12}:[A-Za-z0-9_-]{20,64}$")]


class PagerDutyConfig(Input):
    routing_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{20,64}$")]


class HookConfig(Input):
    name: Annotated[str, Field(pattern=f"^{names.NAME_PATTERN}$")]  # as the notifier runs them


KINDS: dict[str, type[Input]] = {
    "email": EmailConfig,
    "webhook": WebhookConfig,
    "slack": ChatConfig,
    "teams": ChatConfig,
    "discord": ChatConfig,
    "mattermost": MattermostConfig,
    "telegram": TelegramConfig,
    "pagerduty": PagerDutyConfig,
    "hook": HookConfig,
}
SECRETS = channel_kinds.SECRETS
OPERATOR_KINDS = channel_kinds.OPERATOR_KINDS


def validated(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """The config as the kind's model accepts it (None left out); a 422 naming the field."""
    try:
        model = KINDS[kind].model_validate(config)
    except ValidationError as exc:
        raise relocated(exc, ("body", "config")) from None
    return model.model_dump(exclude_none=True, by_alias=True)


def split(kind: str, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what may be stored in clear, what must be encrypted)."""
    secret = SECRETS[kind]
    return (
        {k: v for k, v in config.items() if k not in secret},
        {k: v for k, v in config.items() if k in secret},
    )


def masked(clear: dict[str, Any], secret: dict[str, Any]) -> dict[str, Any]:
    return {**clear, **{key: MASK for key in secret}}


def merged(kind: str, current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A PATCH's config over the current one; a secret sent back masked keeps its value."""
    kept = {k: v for k, v in patch.items() if not (k in SECRETS[kind] and v == MASK)}
    return validated(kind, {**current, **kept})
