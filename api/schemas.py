"""Request and response bodies of the API (pydantic v2).

Inputs are strict (a JSON string is not a number) and refuse unknown fields, so a typo is
a 422 naming the field instead of a silently ignored value. Rules that depend on the
settings (minimum interval, private targets) are in `api.validation`.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from api.targets import MAX_URL_LENGTH, check_url
from shared import heartbeat
from shared.checkspec import CERT_WARN_DAYS, MAX_WARN_DAYS
from shared.messages import CHECK_KINDS

TEST_KINDS = (*CHECK_KINDS, heartbeat.KIND)  # what a test may be: a check, or a heartbeat
HEARTBEAT = heartbeat.KIND

MAX_ID = 2**63 - 1  # ids are BIGINT; a larger one can only be "not found"
MAX_TESTS = 20  # tests in one monitor
MAX_INTERVAL_S = 86400
MAX_TIMEOUT_S = 60.0
REGION_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
MAX_REGIONS = 10  # regions one test runs in

Region = Annotated[str, Field(pattern=REGION_PATTERN)]
Regions = Annotated[list[Region], Field(min_length=1, max_length=MAX_REGIONS)]

HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
StateLabel = Literal["up", "down", "degraded"]
MonitorStatus = Literal["up", "down", "degraded", "pending"]


def _encodable(value: str) -> str:
    # A lone surrogate (legal in JSON as "\ud800") cannot be encoded as UTF-8.
    if any(unicodedata.category(ch) == "Cs" for ch in value):
        raise ValueError("must be valid Unicode text")
    return value


def printable(value: str) -> str:
    # PostgreSQL cannot store NUL, and a name is shown on pages: no control characters.
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise ValueError("must not contain control characters")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(printable),
]
NewPassword = Annotated[str, Field(min_length=8, max_length=256), AfterValidator(_encodable)]
# No minimum at log-in (an old, shorter password must still get its 401), but a maximum:
# hashing megabytes of "password" is an easy way to burn CPU.
Password = Annotated[str, Field(max_length=256), AfterValidator(_encodable)]
Url = Annotated[str, Field(max_length=MAX_URL_LENGTH), AfterValidator(check_url)]
StatusCode = Annotated[int, Field(ge=100, le=599)]
CERT_KINDS = ("http", "tls")  # the kinds whose certificate is watched
CertWarnDays = Annotated[int, Field(
    ge=0, le=MAX_WARN_DAYS,
    description="HTTPS and TLS tests: with fewer days left the certificate is reported as "
                "expiring (the test DEGRADED, one notice per certificate); 0 never")]


class Input(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class SignupIn(Input):
    email: EmailStr
    password: NewPassword


class LoginIn(Input):
    # EmailStr here too, so log-in normalises the address exactly as sign-up stored it.
    email: EmailStr
    password: Password


class TestIn(Input):
    """One test of a monitor, as the user writes it: a check that regions run (`url` and the
    kind's options), or a `heartbeat` that its job calls (`interval_s` or `cron` + `tz`,
    and `grace_s`)."""

    __test__ = False  # not a pytest class, despite the name

    kind: Annotated[str, Field(json_schema_extra={"enum": list(TEST_KINDS)})]
    url: Annotated[Url | None, Field(validate_default=True,
                                     description="required, except for heartbeat tests")] = None
    method: HttpMethod = "GET"
    expected_status: Annotated[list[StatusCode], Field(min_length=1, max_length=20)] = Field(
        default_factory=lambda: [200]
    )
    # The lower bound from VIGIL_MIN_INTERVAL is checked in api.validation; a check's upper
    # bound is MAX_INTERVAL_S, a heartbeat's period may be up to a year (default a day).
    interval_s: Annotated[int, Field(ge=1, le=heartbeat.MAX_PERIOD_S)] = 60
    timeout_s: Annotated[float, Field(gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)] = 10.0
    cert_warn_days: CertWarnDays = CERT_WARN_DAYS
    grace_s: Annotated[int | None, Field(
        ge=1, le=heartbeat.MAX_GRACE_S, validate_default=True,
        description="heartbeat tests: seconds after the expected time before the test is "
                    "down (default 3600)")] = None
    tz: Annotated[str | None, Field(
        max_length=64, validate_default=True,
        description="heartbeat tests: the IANA time zone of `cron` (default UTC)")] = None
    cron: Annotated[str | None, Field(
        max_length=heartbeat.MAX_CRON, validate_default=True,
        description="heartbeat tests: a cron expression of when the job pings, instead of "
                    "a period")] = None
    region: Annotated[
        str | None,
        Field(pattern=REGION_PATTERN,
              description="the primary region (the first of `regions`); default: the cell's"),
    ] = None
    regions: Annotated[
        Regions | None,
        Field(description="every region the test runs in, the primary first; default: "
                          "[region]"),
    ] = None

    @field_validator("regions")
    @classmethod
    def _regions_agree(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return value
        if len(set(value)) != len(value):
            raise ValueError("must not name a region twice")
        region = info.data.get("region")
        if region is not None and region != value[0]:
            raise ValueError("must start with `region` (the primary region) when both are given")
        return value

    def region_list(self, default: str) -> list[str]:
        """The regions the test runs in, the primary first."""
        return self.regions or [self.region or default]

    @property
    def is_heartbeat(self) -> bool:
        return self.kind == HEARTBEAT

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in TEST_KINDS:
            raise ValueError(f"must be one of: {', '.join(TEST_KINDS)}")
        return value

    @field_validator("url")
    @classmethod
    def _url_for_checks(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind == HEARTBEAT and value is not None:
            raise ValueError("a heartbeat test has no url: its job calls its ping URL")
        if kind not in (None, HEARTBEAT) and value is None:
            raise PydanticCustomError("missing", "Field required")
        return value

    @model_validator(mode="before")
    @classmethod
    def _heartbeat_period(cls, data: Any) -> Any:
        """A heartbeat expects a ping a day unless told otherwise; a check runs every minute."""
        if isinstance(data, dict) and data.get("kind") == HEARTBEAT and "interval_s" not in data:
            return {**data, "interval_s": heartbeat.DEFAULT_PERIOD_S}
        return data

    @field_validator("interval_s")
    @classmethod
    def _interval_of_kind(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("kind") != HEARTBEAT and value > MAX_INTERVAL_S:
            raise PydanticCustomError("less_than_equal", "Input should be less than or equal "
                                      "to {le}", {"le": MAX_INTERVAL_S})
        return value

    @field_validator("timeout_s")
    @classmethod
    def _shorter_than_interval(cls, value: float, info: ValidationInfo) -> float:
        interval = info.data.get("interval_s")  # absent when interval_s itself is invalid
        if interval is not None and value >= interval and info.data.get("kind") != HEARTBEAT:
            raise ValueError("must be shorter than interval_s")
        return value

    @field_validator("cert_warn_days")
    @classmethod
    def _certificate_kinds(cls, value: int, info: ValidationInfo) -> int:
        kind = info.data.get("kind")
        if kind is not None and kind not in CERT_KINDS and value != CERT_WARN_DAYS:
            raise ValueError(f"only {' and '.join(CERT_KINDS)} tests have a certificate")
        return value

    @field_validator("grace_s", "tz", "cron")
    @classmethod
    def _heartbeat_schedule(cls, value: Any, info: ValidationInfo) -> Any:
        """Only heartbeats have these; `shared.heartbeat` says what is valid (one validator
        for the API and the processor)."""
        kind = info.data.get("kind")
        if kind != HEARTBEAT:
            if value is not None and kind is not None:
                raise ValueError("only heartbeat tests have a schedule of pings")
            return value
        given = {"tz": info.data.get("tz") or "UTC", info.field_name: value}
        try:
            filled = heartbeat.validate_config({k: v for k, v in given.items() if v is not None})
        except ValueError as exc:
            field, _, why = str(exc).partition(": ")
            if field == info.field_name:
                raise ValueError(why) from None
            return value  # about another field, which reported it already
        return filled[info.field_name]

    def config(self) -> dict[str, Any]:
        """The kind-specific part, stored as the test's JSONB config."""
        if self.is_heartbeat:
            return {"cron": self.cron, "tz": self.tz, "grace_s": self.grace_s}
        config = {"url": self.url, "method": self.method, "expected_status": self.expected_status}
        if self.kind in CERT_KINDS:
            config["cert_warn_days"] = self.cert_warn_days
        return config


class MonitorIn(Input):
    name: Name
    tests: Annotated[list[TestIn], Field(min_length=1, max_length=MAX_TESTS)]


class ErrorOut(BaseModel):
    detail: str


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    cell: str
    database: Literal["ok", "unavailable"]


class AccountOut(BaseModel):
    id: int
    email: str
    created_at: datetime


class StateOut(BaseModel):
    status: StateLabel
    since: datetime
    checked_at: datetime
    latency_ms: float | None
    http_status: int | None
    error_kind: str | None
    error: str | None
    region: str


HeartbeatStatus = Literal["new", "up", "late", "down", "paused"]


class HeartbeatOut(BaseModel):
    """A heartbeat test's side: where its job pings, and what the pings said."""

    status: HeartbeatStatus = Field(description="new (never pinged), up, late (expected, "
                                    "within grace: alerts nobody), down, paused")
    ping_url: str
    last_ping_at: datetime | None
    last_success_at: datetime | None
    expected_at: datetime | None = Field(description="when the next ping is due (late after)")
    down_at: datetime | None = Field(description="when the test goes down without a ping")
    running_since: datetime | None = Field(description="the oldest run started and not ended")


class TestOut(BaseModel):
    __test__ = False

    id: int
    monitor_id: int
    kind: str
    region: str  # the primary region, the first of `regions`
    regions: list[str]
    interval_s: int
    timeout_s: float
    enabled: bool
    config: dict[str, Any]
    state: StateOut | None
    ping_url: str | None = Field(None, description="heartbeat tests: the URL their job calls")
    heartbeat: HeartbeatOut | None = None


class MonitorOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    status: MonitorStatus
    tests: list[TestOut]


class TimingsOut(BaseModel):
    """Milliseconds from the start of the check to the end of each phase (curl's way)."""

    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    ttfb_ms: float | None = None


class ResultOut(BaseModel):
    checked_at: datetime
    status: StateLabel
    latency_ms: float | None
    http_status: int | None
    error_kind: str | None
    error: str | None
    region: str
    node: str
    # Picked out of `extras` for convenience; null when the check did not report them.
    timings: TimingsOut | None = None
    cert_days: float | None = None
    attempts: int | None = Field(None, description="tries on the node, when a failure was retried")
    first_error: str | None = Field(None, description="the error kind of the first try")
    check_now_for: str | None = Field(
        None, description="a confirmation check: the region whose failure asked for it")
    extras: dict[str, Any] = Field(
        default_factory=dict, description="every figure the check reported, as it sent them")


class PingOut(BaseModel):
    """One ping of a heartbeat test, as its job sent it."""

    at: datetime
    kind: Literal["success", "start", "fail", "log"]
    exit_status: int | None
    duration_ms: float | None = Field(description="since the start it ended (same rid)")
    rid: str | None
    method: str
    source: str = Field(description="the address it came from")
    user_agent: str
    body: str = Field(description="the POST body, at most 10,000 bytes")


Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """A list answer: `next` is an opaque cursor for the following page, or null."""

    items: list[Item]
    next: str | None
