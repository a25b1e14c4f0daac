"""Bodies of the account endpoints: tokens, passwords, team members, API keys, cells."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field

from api.schemas import Input, Name, NewPassword, Password

Role = Literal["owner", "editor", "viewer"]
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
    is_admin: bool = Field(description="the account is one of the operator's "
                           "(VIGIL_ADMIN_EMAILS): /system and /nodes answer it")


class MePatch(Input):
    """What a log-in may change about itself: the language its notifications are written in."""

    language: Language


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


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="shown once: use it as a Bearer token")


class LocateIn(Input):
    email: EmailStr


class CellOut(BaseModel):
    cell: str
    api_url: str
