"""Bodies of the account endpoints: tokens, passwords, team members, API keys, cells."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, EmailStr, Field, model_validator

from api.schemas import Input, Name, NewPassword, Password
from shared.config import SignupMode

Role = Literal["owner", "editor", "viewer"]


def _known_zone(name: str) -> str:
    if name not in _zones():
        raise ValueError("not an IANA time zone, e.g. Europe/Amsterdam")
    return name


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


TimeZone = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_known_zone)]
# An opaque secret we gave out: ours are 46 characters.
Secret = Annotated[str, Field(min_length=1, max_length=100)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class RefreshIn(Input):
    refresh_token: Secret


class PasswordChangeIn(Input):
    current_password: Password
    new_password: NewPassword


Language = Literal["en", "nl", "de", "fr", "es"]  # shared.messages.LANGUAGES


class MeOut(BaseModel):
    id: int
    email: str
    role: Role
    account_id: int
    created_at: datetime
    language: Language
    time_zone: str = Field(description="IANA zone the log-in's times are shown in")
    is_admin: bool = Field(
        description="the account is one of the operator's "
        "(VIGIL_ADMIN_EMAILS): /system and /nodes answer it"
    )


class MePatch(Input):
    """What a log-in may change about itself: the language of its pages and notifications,
    and the time zone its times are shown in. Either may be left out."""

    language: Language | None = None
    time_zone: TimeZone | None = None

    @model_validator(mode="after")
    def _something(self) -> MePatch:
        if self.language is None and self.time_zone is None:
            raise ValueError("give language, time_zone or both")
        return self


class SignupPolicyOut(BaseModel):
    mode: SignupMode = Field(
        description="open: anyone; domains: addresses of `domains` only; invite: none"
    )
    domains: list[str]
    first_run: bool = Field(
        description="the cell has no account yet: a sign-up now is "
        "allowed whatever the mode, and makes the operator's account"
    )
    confirm: bool = Field(
        description="a sign-up makes the account only once the link mailed "
        "to the address is followed (VIGIL_SIGNUP_CONFIRM)"
    )


class SignupSentOut(BaseModel):
    """The one answer of a sign-up, whether the address is free or has an account."""

    detail: str = Field(description="what happens next: a mail to the address")


class SignupConfirmIn(Input):
    token: Annotated[str, Field(min_length=1, max_length=600)]


class ResetIn(Input):
    email: EmailStr


class ResetConfirmIn(Input):
    token: Annotated[str, Field(min_length=1, max_length=200)]
    password: NewPassword


class InvitationIn(Input):
    email: EmailStr
    role: Role = "viewer"


class InvitationOut(BaseModel):
    id: int
    email: str
    role: Role
    expires_at: datetime
    created_at: datetime


class InvitationCreatedOut(InvitationOut):
    token: str = Field(description="shown once: the invitee accepts with it")


class AcceptInviteIn(Input):
    token: Secret
    password: NewPassword


class MemberOut(BaseModel):
    id: int
    email: str
    role: Role
    created_at: datetime


class MemberPatch(Input):
    role: Role


class ApiKeyIn(Input):
    name: Name
    role: Role | None = Field(default=None, description="default: the caller's role")


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None = Field(default=None, description="to the minute")


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="shown once: use it as a Bearer token")


class LocateIn(Input):
    email: EmailStr


class CellOut(BaseModel):
    cell: str
    api_url: str
