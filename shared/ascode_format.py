"""The file `vigil apply` reads: its object kinds and its JSON Schema.

One definition for the API (which serves the schema at SCHEMA_PATH, so editors validate as
the user types) and for `ascode` (which validates every file with it before planning).
A test's kind-specific fields come from shared.checkspec, the alert rule from
shared.alert_rules: the file carries exactly the fields the API takes.
"""

from __future__ import annotations

from typing import Any

from shared import alert_rules, channel_kinds, checkspec, heartbeat, names, timing

SCHEMA_PATH = "/api/v1/schema/vigil-apply.json"
SCHEMA_ID = "https://vigil.example/schema/vigil-apply.json"
MAX_FILE_BYTES = 10 * 1024 * 1024
# The object kinds of the file, in the order they are created (a later one refers to
# earlier ones): also the `kind` of a managed object in the API.
KINDS = ("monitor", "channel", "status_page", "maintenance")
SECTIONS = {
    "monitor": "monitors",
    "channel": "channels",
    "status_page": "status_pages",
    "maintenance": "maintenance",
}
KEY_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,99}$"
# A secret is never in the file in clear: it names where to read it.
SECRET_REF = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "env": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
        "file": {"type": "string", "minLength": 1},
    },
}
_KEY = {
    "type": "string",
    "pattern": KEY_PATTERN,
    "description": "stable key of the object: a rename in the file is an update",
}
_ADOPT = {
    "type": "integer",
    "minimum": 1,
    "description": (
        "an existing object of the account to take over under this key (export writes it for "
        "objects made in the UI)"
    ),
}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
# The API's bounds (api.resource_schemas reads the same names): one rule, two readers.
_SLA_TARGET = {
    "type": ["number", "null"],
    "exclusiveMinimum": names.SLA_TARGET_ABOVE,
    "exclusiveMaximum": names.SLA_TARGET_BELOW,
}
_PAGE_URL = {"type": "string", "maxLength": names.MAX_PAGE_URL}
_BRANDING = {
    "accent_color": {
        "type": ["string", "null"],
        "pattern": names.ACCENT_COLOR_PATTERN,
        "description": "#rrggbb: links, bars and the header's accent; null: none",
    },
    "footer_links": {
        "type": "array",
        "maxItems": names.MAX_FOOTER_LINKS,
        "description": ("links in the page's footer, in this order"),
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["label", "url"],
            "properties": {
                "label": {"type": "string", "minLength": 1, "maxLength": names.MAX_FOOTER_LABEL},
                "url": {**_PAGE_URL, "pattern": "^[hH][tT][tT][pP][sS]?://"},
            },
        },
    },
    "favicon_url": {
        **_PAGE_URL,
        "type": ["string", "null"],
        "pattern": "^[hH][tT][tT][pP][sS]://",
        "description": "https only",
    },
}
_HISTORY_DAYS = {
    "enum": list(names.HISTORY_DAYS),
    "description": (f"days of daily bars the page shows (default {names.DEFAULT_HISTORY_DAYS})"),
}


def _test_schema() -> dict[str, Any]:
    kinds = sorted(checkspec.OPTIONS) + [heartbeat.KIND]
    props: dict[str, Any] = {
        "kind": {"enum": kinds},
        "url": {"type": "string", "maxLength": 2048},
        "interval_s": {"type": "integer", "minimum": 1, "maximum": heartbeat.MAX_PERIOD_S},
        "timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": timing.MAX_TIMEOUT_S},
        "region": {"type": "string"},
        "regions": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "enabled": {"type": "boolean"},
        alert_rules.FIELD: {"anyOf": [alert_rules.json_schema(), {"type": "null"}]},
    }
    for options in checkspec.OPTIONS.values():
        for name, option in options.items():
            props.setdefault(name, {"description": option.description})
    for name in ("grace_s", "cron", "tz"):
        props.setdefault(name, {})
    return {
        "type": "object",
        "required": ["kind"],
        "additionalProperties": False,
        "properties": props,
        "description": "a test, flat, as the API's test body (fields per kind)",
    }


def _section(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["key", *required],
            "properties": {"key": _KEY, "id": _ADOPT, **props},
        },
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a file of `vigil apply`."""
    ref_list = {"type": "array", "items": {"type": "string", "pattern": KEY_PATTERN}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Vigil monitors as code",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "version": {"const": 1},
            "monitors": _section(
                {
                    "name": _NAME,
                    "tests": {"type": "array", "minItems": 1, "items": _test_schema()},
                },
                ["name", "tests"],
            ),
            "channels": _section(
                {
                    "name": _NAME,
                    "kind": {"enum": list(channel_kinds.KINDS)},
                    "config": {
                        "type": "object",
                        "description": (
                            "the kind's settings; its secret fields as {env: NAME} or {file: PATH}"
                        ),
                    },
                    "enabled": {"type": "boolean"},
                    "monitors": {**ref_list, "description": "keys of the monitors it tells of"},
                },
                ["name", "kind", "config"],
            ),
            "status_pages": _section(
                {
                    "slug": {
                        "type": "string",
                        "pattern": names.SLUG_PATTERN,
                        "minLength": names.SLUG_MIN_LENGTH,
                    },
                    "title": _NAME,
                    "logo_url": {
                        "type": ["string", "null"],
                        "maxLength": names.MAX_PAGE_URL,
                        "pattern": "^[hH][tT][tT][pP][sS]://",
                    },
                    "language": {"type": "string", "pattern": names.LANGUAGE_PATTERN},
                    "groups": {
                        "type": "array",
                        "maxItems": names.MAX_PAGE_GROUPS,
                        "uniqueItems": True,
                        "items": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": names.MAX_GROUP_NAME,
                        },
                    },
                    "history_days": _HISTORY_DAYS,
                    "sla_target": {
                        **_SLA_TARGET,
                        "description": (
                            "uptime target in percent (e.g. 99.9), met or missed over the page's "
                            "days; null: none"
                        ),
                    },
                    **_BRANDING,
                    "monitors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["monitor"],
                            "properties": {
                                "monitor": {"type": "string", "pattern": KEY_PATTERN},
                                "group": {"type": ["string", "null"]},
                                "position": {"type": "integer", "minimum": 0},
                                "sla_target": {
                                    **_SLA_TARGET,
                                    "description": (
                                        "this monitor's uptime target in percent, over the "
                                        "page's; null: the page's"
                                    ),
                                },
                            },
                        },
                    },
                },
                ["slug", "title"],
            ),
            "maintenance": _section(
                {
                    "title": _NAME,
                    "starts_at": {"type": "string", "format": "date-time"},
                    "ends_at": {"type": "string", "format": "date-time"},
                    "monitor": {"type": "string", "pattern": KEY_PATTERN},
                    "status_page": {"type": "string", "pattern": KEY_PATTERN},
                },
                ["title", "starts_at", "ends_at"],
            ),
        },
    }
