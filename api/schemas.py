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
)

from api.targets import MAX_URL_LENGTH, check_url
from shared.checkspec import CERT_WARN_DAYS, MAX_WARN_DAYS
from shared.messages import CHECK_KINDS

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
    """One test of a monitor, as the user writes it."""

    __test__ = False  # not a pytest class, despite the name

    kind: Annotated[str, Field(json_schema_extra={"enum": list(CHECK_KINDS)})]
    url: Url
    method: HttpMethod = "GET"
    expected_status: Annotated[list[StatusCode], Field(min_length=1, max_length=20)] = Field(
        default_factory=lambda: [200]
    )
    # The lower bound from VIGIL_MIN_INTERVAL is checked in api.validation.
    interval_s: Annotated[int, Field(ge=1, le=MAX_INTERVAL_S)] = 60
    timeout_s: Annotated[float, Field(gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)] = 10.0
    cert_warn_days: CertWarnDays = CERT_WARN_DAYS
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

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in CHECK_KINDS:
            raise ValueError(f"must be one of: {', '.join(CHECK_KINDS)}")
        return value

    @field_validator("timeout_s")
    @classmethod
    def _shorter_than_interval(cls, value: float, info: ValidationInfo) -> float:
        interval = info.data.get("interval_s")  # absent when interval_s itself is invalid
        if interval is not None and value >= interval:
            raise ValueError("must be shorter than interval_s")
        return value

    @field_validator("cert_warn_days")
    @classmethod
    def _certificate_kinds(cls, value: int, info: ValidationInfo) -> int:
        kind = info.data.get("kind")
        if kind is not None and kind not in CERT_KINDS and value != CERT_WARN_DAYS:
            raise ValueError(f"only {' and '.join(CERT_KINDS)} tests have a certificate")
        return value

    def config(self) -> dict[str, Any]:
        """The kind-specific part, stored as the test's JSONB config."""
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


Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """A list answer: `next` is an opaque cursor for the following page, or null."""

    items: list[Item]
    next: str | None
