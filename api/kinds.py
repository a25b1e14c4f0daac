"""A test's kind-specific fields: which a kind has, whether they are valid, what is stored,
and how OpenAPI shows them.

There is one validator per kind and it is not here: a check's fields are judged by
`shared.checkspec.validate` (what the executor runs them with), a heartbeat's by
`shared.heartbeat.validate_config` (what the processor runs it with). The per-kind models
below are generated from `checkspec.OPTIONS` for the OpenAPI document only, so the schema a
client reads names the same fields, with the same types, as the validators.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from shared import checkspec, heartbeat

HEARTBEAT = heartbeat.KIND
# Stored even when left out, as before options came in: what a reader of an HTTP test's
# config (and the tests of that answer) has always found there.
STORED_DEFAULTS: dict[str, tuple[str, ...]] = {
    "http": ("method", "expected_status", "cert_warn_days")
}
HEARTBEAT_OPTIONS: dict[str, checkspec.Option] = {
    "grace_s": checkspec.Option(
        {"type": "integer", "minimum": 1, "maximum": heartbeat.MAX_GRACE_S},
        "seconds after the expected time before the test is down (default 3600)",
        600,
    ),
    "cron": checkspec.Option(
        {"type": ["string", "null"], "maxLength": heartbeat.MAX_CRON},
        "a cron expression of when the job pings, instead of a period (interval_s)",
        "0 3 * * *",
    ),
    "tz": checkspec.Option(
        {"type": "string", "maxLength": 64},
        "the IANA time zone of cron (default UTC)",
        "Europe/Amsterdam",
    ),
}


def options_of(kind: Any) -> dict[str, checkspec.Option]:
    """The fields a kind has beyond the common ones ({} for a kind that does not exist)."""
    if kind == HEARTBEAT:
        return HEARTBEAT_OPTIONS
    return checkspec.OPTIONS.get(kind, {}) if isinstance(kind, str) else {}


def field_names(kind: Any) -> frozenset[str]:
    """The kind's own fields, without `url` (a common field of every check)."""
    return frozenset(options_of(kind)) - {"url"}


def validated(kind: str, url: str | None, options: Mapping[str, Any]) -> dict[str, Any]:
    """The config to store: what the user gave (and STORED_DEFAULTS), once the kind's own
    validator passed it; ValueError("<field>: <why>") from that validator otherwise."""
    if kind == HEARTBEAT:
        return heartbeat.validate_config(options)
    given = {"url": url, **options}
    full = checkspec.validate(kind, given)
    return {**{k: full[k] for k in STORED_DEFAULTS.get(kind, ())}, **given}


# --- OpenAPI: one model per kind, a union discriminated on `kind` -------------------------


def _field(option: checkspec.Option) -> Any:
    extra = {**option.schema, "description": option.description}
    if option.example is not None:
        extra["examples"] = [option.example]
    default = ... if option.required else None
    return (Annotated[Any, Field(json_schema_extra=extra)], default)


def _model(kind: str, common: type[BaseModel]) -> type[BaseModel]:
    fields = {name: _field(o) for name, o in options_of(kind).items() if name != "url"}
    if kind != HEARTBEAT:
        fields["url"] = _field(checkspec.OPTIONS[kind]["url"])
    # A type made at run time, one per kind: what it is, no static checker can know.
    tag: Any = Literal[kind]
    model: type[BaseModel] = create_model(
        f"{kind.title()}TestIn",
        __base__=common,
        __doc__=f"A {kind} test: the common fields and the {kind} kind's own.",
        kind=(tag, ...),
        **fields,
    )
    # Read when the schema is made: the kind's smallest useful body, from the table.
    model.model_config = {**model.model_config, "json_schema_extra": {"examples": [example(kind)]}}
    return model


def example(kind: str) -> dict[str, Any]:
    """A body of this kind: its required fields (and a heartbeat's schedule), as examples."""
    options = options_of(kind)
    if kind == HEARTBEAT:
        return {
            "kind": kind,
            "cron": options["cron"].example,
            "tz": options["tz"].example,
            "grace_s": options["grace_s"].example,
        }
    return {"kind": kind, **{name: o.example for name, o in options.items() if o.required}}


class _DocBase(BaseModel):
    model_config = ConfigDict(extra="forbid")


def kind_models(common_fields: dict[str, Any]) -> dict[str, type[BaseModel]]:
    """A documentation model per kind: `common_fields` (pydantic field definitions) plus the
    kind's options, every field named as its validator reads it."""
    common = create_model("TestCommonIn", __base__=_DocBase, **common_fields)
    return {kind: _model(kind, common) for kind in (*checkspec.OPTIONS, HEARTBEAT)}


def union_schema(models: dict[str, type[BaseModel]], handler: Any) -> dict[str, Any]:
    """The JSON schema of a test body: one of the kind models, chosen by `kind` (pydantic's
    own discriminated union, so each kind is a named component with a mapping to it)."""
    # Made at run time from the kinds (as `tag` in _model): typed Any on purpose.
    union: Any = Annotated[
        Union[tuple(models.values())],  # noqa: UP007
        Field(discriminator="kind"),
    ]
    schema = dict(handler(TypeAdapter(union).core_schema))
    schema["description"] = (
        "A test: the common fields (kind, url, interval_s, timeout_s, "
        "regions, alert_rule) and the fields of its kind, flat."
    )
    return schema
