"""Bodies of status pages, notification channels and maintenance windows.

Inputs are strict and refuse unknown fields like those of `api.schemas`. A PATCH body has
the same fields, all optional; what is sent replaces, what is left out stays.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    computed_field,
    model_validator,
)

from api.attempt_fields import Event
from api.domains import MAX_LENGTH as DOMAIN_MAX_LENGTH
from api.domains import host_name
from api.schemas import (
    MAX_ID,
    MAX_TIMEOUT_S,
    REGION_PATTERN,
    Input,
    Name,
    NewPassword,
    Regions,
    Tag,
    Tags,
)
from api.targets import check_url
from shared import channel_kinds, heartbeat, names, recurrence

SLUG_PATTERN = names.SLUG_PATTERN
LANGUAGE_PATTERN = names.LANGUAGE_PATTERN
MAX_GROUPS = names.MAX_PAGE_GROUPS
MAX_SPAN_DAYS = 366

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=names.SLUG_MIN_LENGTH, max_length=63)]
Language = Annotated[str, Field(pattern=LANGUAGE_PATTERN, max_length=5)]
GroupName = Annotated[Name, Field(max_length=names.MAX_GROUP_NAME)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Position = Annotated[int, Field(ge=0, le=10_000)]
# Strict mode would refuse the ISO strings JSON carries; an offset is required.
When = Annotated[AwareDatetime, Field(strict=False)]


def _https(url: str) -> str:
    if not url.lower().startswith("https://"):
        raise ValueError("must start with https://")
    return url


LogoUrl = Annotated[
    str, Field(max_length=names.MAX_PAGE_URL), AfterValidator(check_url), AfterValidator(_https)
]
FaviconUrl = Annotated[
    str,
    Field(
        max_length=names.MAX_PAGE_URL,
        description=("the page's icon, https only; the visitor's browser loads it from there"),
        examples=["https://example.com/favicon.png"],
    ),
    AfterValidator(check_url),
    AfterValidator(_https),
]
# Stored lower-case: the public page puts it in its style only as this exact shape.
AccentColor = Annotated[
    str,
    Field(
        pattern=names.ACCENT_COLOR_PATTERN,
        max_length=7,
        description=(
            "#rrggbb: links, bars and the header's accent; text on it is black or white, whichever "
            "reads better"
        ),
        examples=["#0b6bcb"],
    ),
    AfterValidator(str.lower),
]


class FooterLink(Input):
    label: Annotated[str, Field(min_length=1, max_length=names.MAX_FOOTER_LABEL)]
    url: Annotated[
        str,
        Field(max_length=names.MAX_PAGE_URL, description="http or https"),
        AfterValidator(check_url),
    ]

    @model_validator(mode="after")
    def _label_shown(self) -> FooterLink:
        if not self.label.strip():
            raise ValueError("label must not be blank")
        return self


FooterLinks = Annotated[
    list[FooterLink],
    Field(
        max_length=names.MAX_FOOTER_LINKS, description=("links in the page's footer, in this order")
    ),
]


def _distinct(groups: list[str]) -> list[str]:
    return _differ(groups, "group names")


def _differ(items: list[str], what: str) -> list[str]:
    if len(set(items)) != len(items):
        raise ValueError(f"{what} must differ")
    return items


Groups = Annotated[list[GroupName], Field(max_length=MAX_GROUPS), AfterValidator(_distinct)]
CustomDomain = Annotated[
    str,
    Field(
        max_length=DOMAIN_MAX_LENGTH,
        description=(
            "a host name the page is also served at (the operator points it at the frontend); "
            "stored lower-case in IDNA form"
        ),
        examples=["status.example.com"],
    ),
    AfterValidator(host_name),
]


# {group name: tag}: the group shows, beside the monitors placed in it, every monitor of the
# account with the tag. Each name must be one of the page's groups.
GroupTags = Annotated[
    dict[GroupName, Tag],
    Field(
        max_length=MAX_GROUPS,
        description=("a group name to a tag: the group also shows every monitor with that tag"),
    ),
]


Visibility = Annotated[
    Literal["public", "password", "email_domain"],
    Field(
        description=(
            "public: anyone may read the page; password: visitors give `password` first; "
            "email_domain: visitors follow a one-time link mailed to their address at one of "
            "`allowed_domains`. A private page's feeds and badges need its `feed_token` in their "
            "URL"
        )
    ),
]
AllowedDomains = Annotated[
    list[Annotated[str, Field(max_length=DOMAIN_MAX_LENGTH), AfterValidator(host_name)]],
    Field(
        max_length=20,
        description=(
            "email_domain pages: the domains of the addresses that may sign in (stored "
            "lower-case, IDNA)"
        ),
        examples=[["example.com"]],
    ),
    AfterValidator(lambda domains: _differ(domains, "domains")),
]
PagePassword = Annotated[
    NewPassword,
    Field(description=("the password of a password-protected page; stored hashed, never shown")),
]
# Days of daily bars a page shows (migration 0021): 365 are read from the daily rollups.
HistoryDays = Annotated[
    Literal[names.HISTORY_DAYS],  # type: ignore[valid-type]  # one list, in shared/
    Field(
        description=(
            "how many days of daily bars the page shows; uptime figures cover the periods up to it"
        )
    ),
]
# An SLA target in percent: 99.9 is met by an uptime of 99.9 % or more over the page's days.
SlaTarget = Annotated[
    float,
    Field(
        gt=names.SLA_TARGET_ABOVE,
        lt=names.SLA_TARGET_BELOW,
        allow_inf_nan=False,
        description=("uptime target in percent, shown met or missed over the page's days"),
        examples=[99.9],
    ),
]


class StatusPageIn(Input):
    slug: Slug
    title: Name
    logo_url: LogoUrl | None = None
    custom_domain: CustomDomain | None = None
    language: Language = "en"
    groups: Groups = Field(default_factory=list)
    group_tags: GroupTags = Field(default_factory=dict)
    visibility: Visibility = "public"
    password: PagePassword | None = None
    allowed_domains: AllowedDomains = Field(default_factory=list)
    history_days: HistoryDays = names.DEFAULT_HISTORY_DAYS
    sla_target: SlaTarget | None = None
    accent_color: AccentColor | None = None
    footer_links: FooterLinks = Field(default_factory=list)
    favicon_url: FaviconUrl | None = None


class StatusPagePatch(Input):
    slug: Slug | None = None
    title: Name | None = None
    logo_url: LogoUrl | None = None
    custom_domain: CustomDomain | None = None  # null removes it
    language: Language | None = None
    groups: Groups | None = None
    group_tags: GroupTags | None = None
    visibility: Visibility | None = None
    allowed_domains: AllowedDomains | None = None
    password: PagePassword | None = Field(
        default=None,
        description=(
            "a new password (signs every visitor out); null or left out: keep the current one"
        ),
    )
    rotate_feed_token: bool = Field(
        default=False,
        description=("true: a new feed token, the old feed and badge URLs stop working"),
    )
    history_days: HistoryDays | None = None
    sla_target: SlaTarget | None = None  # null removes it
    accent_color: AccentColor | None = None  # null removes it
    footer_links: FooterLinks | None = None
    favicon_url: FaviconUrl | None = None  # null removes it


class DomainVerificationOut(BaseModel):
    """The DNS record that proves the page's owner owns its custom domain, and its state."""

    record: str = Field(examples=["_vigil-challenge.status.example.com"])
    type: Literal["TXT"] = "TXT"
    value: str | None = Field(
        description="null when the claim is released",
        examples=["vigil-verify=0f1e2d3c4b5a69788796a5b4c3d2e1f0"],
    )
    status: Literal["pending", "verified", "released"] = Field(
        description=(
            "pending: not proven yet, not served; verified: served; released: the claim "
            "lapsed unproven (or was lost) and another account may hold the domain"
        )
    )
    verified_at: datetime | None
    claim_expires_at: datetime | None = Field(
        description=("while pending: from then on another account may claim the domain")
    )


class FooterLinkOut(BaseModel):
    label: str
    url: str


class StatusPageOut(BaseModel):
    id: int
    slug: str
    title: str
    logo_url: str | None
    custom_domain: str | None
    domain_verification: DomainVerificationOut | None = None
    language: str
    groups: list[str]
    group_tags: dict[str, str] = Field(default_factory=dict)
    visibility: str = "public"
    allowed_domains: list[str] = Field(default_factory=list)
    has_password: bool = False
    feed_token: str | None = Field(
        default=None,
        description=(
            "a private page's token for its feed and badge URLs (`?token=`); null when public"
        ),
    )
    history_days: int = 90
    sla_target: float | None = None
    accent_color: str | None = None
    footer_links: list[FooterLinkOut] = Field(default_factory=list)
    favicon_url: str | None = None
    created_at: datetime
    updated_at: datetime


class PageMonitorIn(Input):
    monitor_id: Id
    group: GroupName | None = Field(default=None, description="one of the page's groups")
    position: Position = 0
    sla_target: SlaTarget | None = Field(
        default=None, description=("this monitor's uptime target in percent, over the page's")
    )


class PageMonitorPatch(Input):
    group: GroupName | None = None
    position: Position | None = None
    sla_target: SlaTarget | None = None  # null removes it


class PageMonitorOut(BaseModel):
    monitor_id: int
    name: str
    group: str | None
    position: int
    sla_target: float | None = None


ChannelKind = Literal[channel_kinds.KINDS]  # type: ignore[valid-type]  # one list, in shared/


class ChannelIn(Input):
    name: Name
    kind: ChannelKind
    config: dict[str, Any] = Field(description="the kind's settings; see api.channels")
    enabled: bool = True


class ChannelPatch(Input):
    name: Name | None = None
    config: dict[str, Any] | None = Field(
        default=None, description="fields to change; a secret left out or masked is kept"
    )
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
    event: Event = Field(
        description="what was told, from the key: a test notification, a "
        "certificate near expiry, an incident's opening, change, end or "
        "reminder; `other` for a key of no known form"
    )
    incident_id: int | None = Field(description="the incident told of (incident events)")
    test_id: int | None = Field(description="the test whose certificate expires (cert_expiring)")
    exit_code: int | None = Field(
        description="a hook program's exit code (hook channels, once "
        "the program ran to its exit; negative: killed by a signal)"
    )
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


def _rule(text: str) -> str:
    recurrence.parse(text)  # its RuleError is a ValueError: a 422 naming the field
    return text.upper().removeprefix("RRULE:")


def _zone(name: str) -> str:
    recurrence.zone(name)
    return name


Recurrence = Annotated[
    str,
    Field(
        max_length=recurrence.MAX_LENGTH,
        description="an RRULE subset: FREQ=WEEKLY;BYDAY=MO,TH or "
        "FREQ=MONTHLY;BYMONTHDAY=1 (-1: the last day), INTERVAL, "
        "COUNT or UNTIL=YYYYMMDD",
    ),
    AfterValidator(_rule),
]
Zone = Annotated[
    str,
    Field(
        max_length=64,
        description="IANA zone the rule's wall-clock time is kept in, e.g. Europe/Amsterdam",
    ),
    AfterValidator(_zone),
]


class MaintenanceIn(_Span):
    title: Name
    starts_at: When
    ends_at: When
    monitor_id: Id | None = None
    status_page_id: Id | None = None
    recurrence: Recurrence | None = None
    timezone: Zone | None = None

    @model_validator(mode="after")
    def _one_target(self) -> MaintenanceIn:
        if (self.monitor_id is None) == (self.status_page_id is None):
            raise ValueError("give exactly one of monitor_id and status_page_id")
        if (self.recurrence is None) != (self.timezone is None):
            raise ValueError("recurrence and timezone go together")
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
    recurrence: str | None = None
    timezone: str | None = None
    created_at: datetime
    updated_at: datetime

    # One reading of the clock for the phase and the occurrence: read once for each, an
    # occurrence ending in between would be "completed" though its rule has a next one.
    _now: datetime = PrivateAttr(default_factory=lambda: datetime.now(UTC))

    def _now_window(self) -> tuple[datetime, datetime]:
        return recurrence.window_at(
            self.starts_at, self.ends_at, self.recurrence, self.timezone, self._now
        )

    @computed_field(
        description="scheduled | in_progress | completed, from the times now "
        "(of the current or next occurrence of a recurring window)"
    )
    def phase(self) -> str:
        return recurrence.phase(*self._now_window(), self._now)

    @computed_field(description="the occurrence on now, else the next, else the last")
    def current(self) -> dict[str, datetime]:
        start, end = self._now_window()
        return {"starts_at": start, "ends_at": end}


# Monitor and test changes live beside their creation bodies in api.schemas; this is the
# part of a test a PATCH may change (its kind stays).
class MonitorPatch(Input):
    name: Name | None = None
    tags: Tags | None = None

    @model_validator(mode="after")
    def _something(self) -> MonitorPatch:
        if self.name is None and self.tags is None:
            raise ValueError("give the name, the tags or both")
        return self


class TestPatch(Input):
    """The fields of the test to change, as in its creation body (its kind stays): what is
    sent replaces, what is left out stays. The kind's own fields (see the TestIn union)
    are judged with the whole test as it will be, so an unknown one is refused by name."""

    __test__ = False
    model_config = ConfigDict(
        strict=True,
        extra="allow",
        json_schema_extra={
            "additionalProperties": {"description": "a field of the test's kind (TestIn)"}
        },
    )

    url: Annotated[str, Field(max_length=2048)] | None = None
    # A check's interval is at most MAX_INTERVAL_S; TestIn says so for the kind.
    interval_s: Annotated[int, Field(ge=1, le=heartbeat.MAX_PERIOD_S)] | None = None
    timeout_s: Annotated[float, Field(gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)] | None = None
    region: Annotated[str, Field(pattern=REGION_PATTERN)] | None = None  # alone: the only one
    regions: Regions | None = None
    alert_rule: dict[str, Any] | None = Field(
        None, description=("shared.alert_rules' form, as in TestIn; null: the defaults")
    )
    enabled: bool | None = None


MAX_BULK = 1000  # monitors in one bulk action: a dashboard selection, not the whole account
BulkAction = Literal["pause", "resume", "delete", "add_to_status_page"]


def _distinct_ids(ids: list[int]) -> list[int]:
    if len(set(ids)) != len(ids):
        raise ValueError("ids must differ")
    return ids


class BulkIn(Input):
    """One action on a selection of monitors: all of them, or (one is not the caller's)
    none."""

    action: BulkAction
    ids: Annotated[
        list[Id], Field(min_length=1, max_length=MAX_BULK), AfterValidator(_distinct_ids)
    ]
    status_page_id: Id | None = Field(
        default=None, description="add_to_status_page: the page, required"
    )
    group: GroupName | None = Field(
        default=None, description="add_to_status_page: one of the page's groups"
    )


class BulkOut(BaseModel):
    action: BulkAction
    count: int  # monitors the action changed (added to the page: those not on it already)
