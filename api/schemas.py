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
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from api.kinds import field_names as kind_field_names
from api.kinds import kind_models, union_schema
from api.kinds import validated as kind_config
from api.status import MonitorStatus, StateLabel
from api.targets import MAX_URL_LENGTH, check_test_url, check_url
from shared import alert_rules, heartbeat, names, timing
from shared.messages import CHECK_KINDS

TEST_KINDS = (*CHECK_KINDS, heartbeat.KIND)  # what a test may be: a check, or a heartbeat
HEARTBEAT = heartbeat.KIND

MAX_ID = 2**63 - 1  # ids are BIGINT; a larger one can only be "not found"
MAX_TESTS = 20  # tests in one monitor
MAX_INTERVAL_S = timing.MAX_INTERVAL_S
MAX_TIMEOUT_S = timing.MAX_TIMEOUT_S
DEFAULT_TIMEOUT_S = timing.DEFAULT_TIMEOUT_S
REGION_PATTERN = f"^{names.NAME_PATTERN}$"
MAX_REGIONS = 10  # regions one test runs in

Region = Annotated[str, Field(pattern=REGION_PATTERN)]
Regions = Annotated[list[Region], Field(min_length=1, max_length=MAX_REGIONS)]

# StateLabel, MonitorStatus: what a test's state and a monitor's status can read (api/status).


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


def text_pattern(allowed_controls: str = "") -> str:
    """What `printable` (and its kin) let through, for the OpenAPI document: some character
    that is not white space (the text is stripped), and no control character (but those
    allowed). Lone surrogates are refused too, but no regex engine of a client (nor
    pydantic's, nor schemathesis') holds them, so the validator keeps the rule."""
    controls = "".join(f"\\x{c:02x}-\\x{c:02x}" for c in map(ord, allowed_controls))
    banned = "\\x00-\\x1f\\x7f-\\x9f"
    text = f"(?:[^{banned}]|[{controls}])" if controls else f"[^{banned}]"
    return f"^{text}*[^\\s{banned}]{text}*$"


NAME_MAX = 200


def _raw_at_most_name_max(value: object) -> object:
    # The document's maxLength is of the text as sent; stripped first, " " + 200 characters
    # would pass as 200.
    if isinstance(value, str) and len(value) > NAME_MAX:
        raise PydanticCustomError(
            "string_too_long",
            "String should have at most {max_length} characters",
            {"max_length": NAME_MAX},
        )
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX),
    BeforeValidator(_raw_at_most_name_max),  # wraps the constraints: runs before them
    AfterValidator(printable),
    Field(json_schema_extra={"pattern": text_pattern()}),
]
NewPassword = Annotated[str, Field(min_length=8, max_length=256), AfterValidator(_encodable)]
# No minimum at log-in (an old, shorter password must still get its 401), but a maximum:
# hashing megabytes of "password" is an easy way to burn CPU.
Password = Annotated[str, Field(max_length=256), AfterValidator(_encodable)]
Url = Annotated[str, Field(max_length=MAX_URL_LENGTH), AfterValidator(check_url)]
TestUrl = Annotated[str, Field(max_length=MAX_URL_LENGTH), AfterValidator(check_test_url)]


class Input(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class SignupIn(Input):
    email: EmailStr
    password: NewPassword


class LoginIn(Input):
    # EmailStr here too, so log-in normalises the address exactly as sign-up stored it.
    email: EmailStr
    password: Password


# The fields every test has; each kind adds its own (api.kinds), flat beside them.
_Kind = Annotated[
    str,
    Field(
        json_schema_extra={"enum": list(TEST_KINDS)},
        description="what the test is: a check regions run, or a heartbeat its job calls",
        examples=["tcp"],
    ),
]
_TestUrl = Annotated[
    TestUrl | None,
    Field(
        validate_default=True,
        description="the target, its scheme that of the kind "
        "(tcp://host:port, icmp://host, dns://server, ...); required, except for heartbeats",
    ),
]
_Interval = Annotated[
    int,
    Field(
        ge=1,
        le=heartbeat.MAX_PERIOD_S,
        description=("seconds between checks (a heartbeat: its period, default a day)"),
        examples=[60],
    ),
]
_Timeout = Annotated[float, Field(gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)] | None
_TimeoutField = Annotated[
    _Timeout,
    Field(
        validate_default=True,
        description=f"seconds a check may take, shorter than interval_s "
        f"(default {DEFAULT_TIMEOUT_S:g}, or half the interval when that is shorter)",
        examples=[5],
    ),
]
_Region = Annotated[
    str | None,
    Field(
        pattern=REGION_PATTERN,
        description="the primary region (the first of `regions`); default: the cell's",
    ),
]
_Regions = Annotated[
    Regions | None,
    Field(description="every region the test runs in, the primary first; default: [region]"),
]
_AlertRule = Annotated[dict[str, Any] | None, WithJsonSchema(alert_rules.json_schema())]
COMMON_FIELDS: dict[str, Any] = {
    "url": (_TestUrl, None),
    "interval_s": (_Interval, 60),
    "timeout_s": (_TimeoutField, None),
    "region": (_Region, None),
    "regions": (_Regions, None),
    "alert_rule": (_AlertRule, None),
}


def default_timeout(kind: str, interval_s: int) -> float:
    """A check must end before the next starts: the default timeout follows a short
    interval (created with interval_s 10 and no timeout_s, a test is still valid)."""
    return DEFAULT_TIMEOUT_S if kind == HEARTBEAT else min(DEFAULT_TIMEOUT_S, interval_s / 2)


class TestIn(Input):
    """One test of a monitor, as the user writes it, flat: the common fields and the kind's
    own (`api.kinds`: for checks those of `shared.checkspec`, for a heartbeat `grace_s`,
    `cron`, `tz`). The kind's fields are judged by the kind's own validator, in the route
    (`api.validation`), so a 422 names the field; an unknown field is refused here."""

    __test__ = False  # not a pytest class, despite the name

    kind: _Kind
    url: _TestUrl = None
    # The lower bound from VIGIL_MIN_INTERVAL is checked in api.validation; a check's upper
    # bound is MAX_INTERVAL_S, a heartbeat's period may be up to a year (default a day).
    interval_s: _Interval = 60
    timeout_s: _TimeoutField = None
    region: _Region = None
    regions: _Regions = None
    alert_rule: _AlertRule = None
    _options: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _split_kind_fields(cls, data: Any, handler: Any) -> Any:
        """The kind's own fields are kept aside for its validator; the rest is the model's,
        so a field neither has is refused as unknown, by name."""
        if not isinstance(data, dict):
            return handler(data)
        names = kind_field_names(data.get("kind"))
        if data.get("kind") == HEARTBEAT and "interval_s" not in data:
            data = {**data, "interval_s": heartbeat.DEFAULT_PERIOD_S}  # a ping a day
        test = handler({k: v for k, v in data.items() if k not in names})
        test._options = {k: v for k, v in data.items() if k in names}
        return test

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        return union_schema(KIND_MODELS, handler)

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

    @property
    def options(self) -> dict[str, Any]:
        """The kind's own fields, as given."""
        return dict(self._options)

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

    @field_validator("interval_s")
    @classmethod
    def _interval_of_kind(cls, value: int, info: ValidationInfo) -> int:
        if timing.interval_error(str(info.data.get("kind")), value):
            raise PydanticCustomError(
                "less_than_equal",
                "Input should be less than or equal to {le}",
                {"le": MAX_INTERVAL_S},
            )
        return value

    @field_validator("timeout_s")
    @classmethod
    def _shorter_than_interval(cls, value: float | None, info: ValidationInfo) -> float | None:
        """Runs on the default too: what is stored is what was validated."""
        interval, kind = info.data.get("interval_s"), info.data.get("kind")
        if interval is None or kind is None:  # invalid themselves, and reported
            return value
        if value is None:
            return default_timeout(kind, interval)
        why = timing.timeout_error(kind, interval, value)
        if why:
            raise ValueError(why)
        return value

    def config(self) -> dict[str, Any]:
        """The kind-specific part, stored as the test's JSONB config; ValueError("<field>:
        ...") if the kind's validator refuses it (api.validation reported that already)."""
        return kind_config(self.kind, self.url, self._options)

    def rule(self) -> dict[str, Any] | None:
        """The alert rule to store (shared.alert_rules' form), None for the defaults."""
        if self.alert_rule is None:
            return None
        return alert_rules.Rule.from_data(self.alert_rule).to_data()


KIND_MODELS = kind_models({name: field for name, field in COMMON_FIELDS.items() if name != "url"})


def _distinct_tags(tags: list[str]) -> list[str]:
    if len(set(tags)) != len(tags):
        raise ValueError("tags must differ")
    return tags


MAX_TAGS = 20  # tags on one monitor
# A tag is shown in lists and typed in a comma-separated field: no commas, no control
# characters, at most 50 characters.
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=r"^[^,]+$"),
    AfterValidator(printable),
]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_distinct_tags)]


class MonitorIn(Input):
    name: Name
    tests: Annotated[list[TestIn], Field(min_length=1, max_length=MAX_TESTS)]
    tags: Tags = Field(default_factory=list)


class ErrorOut(BaseModel):
    detail: str


# The `responses=` of a route, as FastAPI types it: a status's model and description.
Responses = dict[int | str, dict[str, Any]]


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


HeartbeatStatus = heartbeat.Status


class HeartbeatOut(BaseModel):
    """A heartbeat test's side: where its job pings, and what the pings said."""

    status: HeartbeatStatus = Field(
        description="new (never pinged), up, late (expected, "
        "within grace: alerts nobody), down, paused"
    )
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
    config: dict[str, Any] = Field(
        description=(
            "the kind's own fields and url, as the test was given them (secrets masked: "
            '"********"; send the mask back to keep a secret)'
        )
    )
    alert_rule: dict[str, Any] | None = Field(None, description="null: the defaults")
    state: StateOut | None
    ping_url: str | None = Field(None, description="heartbeat tests: the URL their job calls")
    heartbeat: HeartbeatOut | None = None


class MonitorOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    status: MonitorStatus
    tests: list[TestOut]
    tags: list[str] = Field(default_factory=list)


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
        None, description="a confirmation check: the region whose failure asked for it"
    )
    extras: dict[str, Any] = Field(
        default_factory=dict, description="every figure the check reported, as it sent them"
    )


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


class MonitorListOut(Page[MonitorOut]):
    """A page of the monitor list, with how many monitors match by status."""

    counts: dict[MonitorStatus, int]
