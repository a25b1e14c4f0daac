"""Bodies of status pages, notification channels and maintenance windows.

Inputs are strict and refuse unknown fields like those of `api.schemas`. A PATCH body has
the same fields, all optional; what is sent replaces, what is left out stays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, model_validator

from api.attempt_fields import Event
from api.domains import MAX_LENGTH as DOMAIN_MAX_LENGTH
from api.domains import host_name
from api.schemas import (
    MAX_ID,
    MAX_TIMEOUT_S,
    REGION_PATTERN,
    CertWarnDays,
    HttpMethod,
    Input,
    Name,
    Regions,
    StatusCode,
    Url,
)
from api.targets import check_url
from shared import heartbeat

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
LANGUAGE_PATTERN = r"^[a-z]{2}(?:-[A-Z]{2})?$"
MAX_GROUPS = 20
MAX_SPAN_DAYS = 366

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=3, max_length=63)]
Language = Annotated[str, Field(pattern=LANGUAGE_PATTERN, max_length=5)]
GroupName = Annotated[Name, Field(max_length=100)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Position = Annotated[int, Field(ge=0, le=10_000)]
# Strict mode would refuse the ISO strings JSON carries; an offset is required.
When = Annotated[AwareDatetime, Field(strict=False)]


def _https(url: str) -> str:
    if not url.lower().startswith("https://"):
        raise ValueError("must start with https://")
    return url


LogoUrl = Annotated[str, Field(max_length=2048), AfterValidator(check_url),
                    AfterValidator(_https)]


def _distinct(groups: list[str]) -> list[str]:
    if len(set(groups)) != len(groups):
        raise ValueError("group names must differ")
    return groups


Groups = Annotated[list[GroupName], Field(max_length=MAX_GROUPS), AfterValidator(_distinct)]
CustomDomain = Annotated[str, Field(max_length=DOMAIN_MAX_LENGTH, description=(
    "a host name the page is also served at (the operator points it at the frontend); "
    "stored lower-case in IDNA form"), examples=["status.example.com"]),
    AfterValidator(host_name)]


class StatusPageIn(Input):
    slug: Slug
    title: Name
    logo_url: LogoUrl | None = None
    custom_domain: CustomDomain | None = None
    language: Language = "en"
    groups: Groups = Field(default_factory=list)


class StatusPagePatch(Input):
    slug: Slug | None = None
    title: Name | None = None
    logo_url: LogoUrl | None = None
    custom_domain: CustomDomain | None = None  # null removes it
    language: Language | None = None
    groups: Groups | None = None


class DomainVerificationOut(BaseModel):
    """The DNS record that proves the page's owner owns its custom domain, and its state."""

    record: str = Field(examples=["_vigil-challenge.status.example.com"])
    type: Literal["TXT"] = "TXT"
    value: str | None = Field(description="null when the claim is released",
                              examples=["vigil-verify=0f1e2d3c4b5a69788796a5b4c3d2e1f0"])
    status: Literal["pending", "verified", "released"] = Field(description=(
        "pending: not proven yet, not served; verified: served; released: the claim "
        "lapsed unproven (or was lost) and another account may hold the domain"))
    verified_at: datetime | None
    claim_expires_at: datetime | None = Field(description=(
        "while pending: from then on another account may claim the domain"))


class StatusPageOut(BaseModel):
    id: int
    slug: str
    title: str
    logo_url: str | None
    custom_domain: str | None
    domain_verification: DomainVerificationOut | None = None
    language: str
    groups: list[str]
    created_at: datetime
    updated_at: datetime


class PageMonitorIn(Input):
    monitor_id: Id
    group: GroupName | None = Field(default=None, description="one of the page's groups")
    position: Position = 0


class PageMonitorPatch(Input):
    group: GroupName | None = None
    position: Position | None = None


class PageMonitorOut(BaseModel):
    monitor_id: int
    name: str
    group: str | None
    position: int


ChannelKind = Literal["email", "webhook", "slack", "teams", "discord", "mattermost", "telegram",
                      "pagerduty", "hook"]


class ChannelIn(Input):
    name: Name
    kind: ChannelKind
    config: dict[str, Any] = Field(description="the kind's settings; see api.channels")
    enabled: bool = True


class ChannelPatch(Input):
    name: Name | None = None
    config: dict[str, Any] | None = Field(
        default=None, description="fields to change; a secret left out or masked is kept")
    enabled: bool | None = None


class ChannelOut(BaseModel):
    id: int
    name: str
    kind: str
    config: dict[str, Any] = Field(description="secrets masked")
    enabled: bool
    created_at: datetime
    updated_at: datetime


class ChannelMonitorIn(Input):
    monitor_id: Id


class LinkedMonitorOut(BaseModel):
    monitor_id: int
    name: str


class ChannelTestOut(BaseModel):
    key: str = Field(description="the delivery's idempotency key; its attempts show its fate")


class AttemptOut(BaseModel):
    id: int
    key: str = Field(description="the delivery: an event (or a test) told to this channel")
    attempt: int
    attempted_at: datetime
    duration_ms: float
    outcome: str = Field(description="sent | retry | failed")
    permanent: bool
    error: str | None
    detail: str | None = Field(description="what the receiver answered, or a hook's output")
    event: Event = Field(description="what was told, from the key: a test notification, a "
                         "certificate near expiry, an incident's opening, change, end or "
                         "reminder; `other` for a key of no known form")
    incident_id: int | None = Field(description="the incident told of (incident events)")
    test_id: int | None = Field(description="the test whose certificate expires (cert_expiring)")
    exit_code: int | None = Field(description="a hook program's exit code (hook channels, once "
                                  "the program ran to its exit; negative: killed by a signal)")
    output: str | None = Field(description="what the hook program printed (with exit_code)")


class _Span(Input):
    @model_validator(mode="after")
    def _ends_after_start(self) -> _Span:
        starts, ends = getattr(self, "starts_at", None), getattr(self, "ends_at", None)
        if starts is not None and ends is not None:
            if ends <= starts:
                raise ValueError("ends_at must be after starts_at")
            if (ends - starts).days > MAX_SPAN_DAYS:
                raise ValueError(f"a window lasts at most {MAX_SPAN_DAYS} days")
        return self


class MaintenanceIn(_Span):
    title: Name
    starts_at: When
    ends_at: When
    monitor_id: Id | None = None
    status_page_id: Id | None = None

    @model_validator(mode="after")
    def _one_target(self) -> MaintenanceIn:
        if (self.monitor_id is None) == (self.status_page_id is None):
            raise ValueError("give exactly one of monitor_id and status_page_id")
        return self


class MaintenancePatch(_Span):
    title: Name | None = None
    starts_at: When | None = None
    ends_at: When | None = None


class MaintenanceOut(BaseModel):
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    monitor_id: int | None
    status_page_id: int | None
    created_at: datetime
    updated_at: datetime


# Monitor and test changes live beside their creation bodies in api.schemas; this is the
# part of a test a PATCH may change (its kind stays).
class MonitorPatch(Input):
    name: Name


class TestPatch(Input):
    __test__ = False

    url: Url | None = None
    method: HttpMethod | None = None
    expected_status: Annotated[list[StatusCode], Field(min_length=1, max_length=20)] | None = None
    # A check's interval is at most MAX_INTERVAL_S; TestIn says so for the kind.
    interval_s: Annotated[int, Field(ge=1, le=heartbeat.MAX_PERIOD_S)] | None = None
    timeout_s: Annotated[float, Field(gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)] | None = None
    cert_warn_days: CertWarnDays | None = None
    grace_s: Annotated[int, Field(ge=1, le=heartbeat.MAX_GRACE_S)] | None = None
    tz: Annotated[str, Field(max_length=64)] | None = None
    cron: Annotated[str, Field(max_length=heartbeat.MAX_CRON)] | None = None  # null: a period
    region: Annotated[str, Field(pattern=REGION_PATTERN)] | None = None  # alone: the only one
    regions: Regions | None = None
    enabled: bool | None = None
