"""The whole of the files checked before anything is sent: the schema, keys, references,
secrets, and each test by the validators the API itself uses (shared/)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema

from ascode.loader import Document, FileError, Where
from shared import alert_rules, channel_kinds, checkspec, heartbeat, timing
from shared.ascode_format import KINDS, SECTIONS, json_schema

MASK = "********"  # what the API answers for a secret and takes back as "unchanged"

# A test's fields that are not the kind's own: judged by the API's body model and rules.
COMMON = (
    "kind",
    "url",
    "interval_s",
    "timeout_s",
    "region",
    "regions",
    "enabled",
    alert_rules.FIELD,
)
_VALIDATOR = jsonschema.Draft202012Validator(json_schema())


@dataclass
class Obj:
    """One object the files name, its secrets resolved, and where it was written."""

    kind: str
    key: str
    body: dict[str, Any]
    doc: Document
    where: Where

    def at(self, *more: Any) -> str:
        return f"{self.doc.at((*self.where, *more))}: {self.kind} {self.key!r}"


Desired = dict[str, dict[str, Obj]]  # kind -> key -> object


class Problems(FileError):
    """Every problem found, one a line: nothing was sent."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _schema_errors(doc: Document) -> list[str]:
    out = []
    for error in sorted(_VALIDATOR.iter_errors(doc.data), key=lambda e: list(e.path)):
        where = tuple(error.path)
        field = ".".join(str(p) for p in where) or "(top)"
        out.append(f"{doc.at(where)}: {field}: {error.message}")
    return out


def _secret(value: Any, where: str, allow_inline: bool, problems: list[str]) -> Any:
    """A reference resolved; an inline secret refused unless allowed."""
    if value == MASK:
        return value  # the API's "keep the stored secret", as export writes it
    if isinstance(value, dict) and set(value) <= {"env", "file"} and len(value) == 1:
        if "env" in value:
            found = os.environ.get(value["env"])
            if found is None:
                problems.append(f"{where}: environment variable {value['env']} is not set")
            return found
        try:
            return Path(value["file"]).read_text(encoding="utf-8").rstrip("\n")
        except OSError as exc:
            problems.append(f"{where}: cannot read {value['file']}: {exc.strerror}")
            return None
    if isinstance(value, str) and value and not allow_inline:
        problems.append(
            f"{where}: a secret in clear; give {{env: NAME}} or {{file: PATH}} "
            "(or --allow-inline-secrets)"
        )
    return value


def _test_secrets(test: dict[str, Any], at: str, allow: bool, problems: list[str]) -> None:
    auth = test.get("basic_auth")
    if isinstance(auth, dict) and "password" in auth:
        auth["password"] = _secret(auth["password"], f"{at} basic_auth.password", allow, problems)
    headers = test.get("headers")
    if isinstance(headers, dict):
        for name, value in headers.items():
            if isinstance(value, dict):
                headers[name] = _secret(value, f"{at} headers.{name}", allow, problems)
    url = test.get("url")
    if isinstance(url, dict):
        test["url"] = _secret(url, f"{at} url", True, problems)
    elif isinstance(url, str) and not allow and _has_password(url):
        problems.append(
            f"{at} url: a password in clear; give the url as {{env: NAME}} "
            "(or --allow-inline-secrets)"
        )


def _has_password(url: str) -> bool:
    try:
        return bool(urlsplit(url).password)
    except ValueError:
        return False


def _test_errors(test: dict[str, Any]) -> list[str]:
    """`field: why` from the same validators the API runs on a test body."""
    kind = test.get("kind")
    options = {k: v for k, v in test.items() if k not in COMMON}
    out = timing.problems(test)  # the API's rules on interval_s and timeout_s
    try:
        if kind == heartbeat.KIND:
            heartbeat.validate_config(options)
        else:
            checkspec.validate(str(kind), {"url": test.get("url"), **options})
    except ValueError as exc:
        out.append(str(exc))
    if test.get(alert_rules.FIELD) is not None:
        try:
            alert_rules.Rule.from_data(test[alert_rules.FIELD])
        except ValueError as exc:
            out.append(f"{alert_rules.FIELD}.{exc}")
    return out


def _objects(docs: list[Document], problems: list[str]) -> Desired:
    desired: Desired = {kind: {} for kind in KINDS}
    for doc in docs:
        for kind in KINDS:
            for i, item in enumerate(doc.data.get(SECTIONS[kind]) or []):
                obj = Obj(kind, item["key"], item, doc, (SECTIONS[kind], i))
                if obj.key in desired[kind]:
                    first = desired[kind][obj.key]
                    problems.append(
                        f"{obj.at('key')}: the key is used twice (first at "
                        f"{first.doc.at((*first.where, 'key'))})"
                    )
                    continue
                desired[kind][obj.key] = obj
    return desired


def _check_monitor(obj: Obj, allow: bool, problems: list[str]) -> None:
    for i, test in enumerate(obj.body["tests"]):
        at = obj.at("tests", i)
        _test_secrets(test, at, allow, problems)
        for error in _test_errors(test):
            name = error.split(":", 1)[0].split(".", 1)[0]
            problems.append(f"{obj.at('tests', i, name)} field {error}")


def _check_channel(obj: Obj, desired: Desired, allow: bool, problems: list[str]) -> None:
    config = obj.body["config"]
    for name in channel_kinds.SECRETS.get(obj.body["kind"], ()):
        if name in config:
            config[name] = _secret(
                config[name], f"{obj.at('config', name)} field config.{name}", allow, problems
            )
    _refs(obj, "monitors", obj.body.get("monitors") or [], desired, problems)


def _refs(
    obj: Obj,
    field: str,
    keys: list[str],
    desired: Desired,
    problems: list[str],
    kind: str = "monitor",
) -> None:
    for i, key in enumerate(keys):
        if key not in desired[kind]:
            problems.append(
                f"{obj.at(field, i)} field {field}: no {kind} with key {key!r} in the files"
            )


def _finite(obj: Obj, where: tuple[Any, ...], value: Any, problems: list[str]) -> None:
    # The schema has the bounds; NaN compares false with both, so it is refused here, as
    # the API refuses it (allow_inf_nan=False).
    if isinstance(value, float) and not math.isfinite(value):
        field = ".".join(str(p) for p in where)
        problems.append(f"{obj.at(*where)} field {field}: must be a finite number")


def _check_page(obj: Obj, desired: Desired, problems: list[str]) -> None:
    entries = obj.body.get("monitors") or []
    groups = obj.body.get("groups") or []
    _finite(obj, ("sla_target",), obj.body.get("sla_target"), problems)
    for i, entry in enumerate(entries):
        _finite(obj, ("monitors", i, "sla_target"), entry.get("sla_target"), problems)
        _refs(obj, "monitors", [entry["monitor"]], desired, problems)
        group = entry.get("group")
        if group is not None and group not in groups:
            problems.append(
                f"{obj.at('monitors', i, 'group')} field monitors.{i}.group: "
                f"{group!r} is not one of the page's groups"
            )


def _check_window(obj: Obj, desired: Desired, problems: list[str]) -> None:
    targets = [f for f in ("monitor", "status_page") if f in obj.body]
    if len(targets) != 1:
        problems.append(f"{obj.at()}: give exactly one of monitor and status_page")
        return
    field = targets[0]
    if obj.body[field] not in desired[field]:
        problems.append(
            f"{obj.at(field)} field {field}: no {field} with key {obj.body[field]!r} in the files"
        )


def check(docs: list[Document], allow_inline_secrets: bool = False) -> Desired:
    """Every object of the files, checked as a whole; Problems listing all that is wrong."""
    problems = [line for doc in docs for line in _schema_errors(doc)]
    if problems:
        raise Problems(problems)  # the rest assumes the shape the schema promises
    desired = _objects(docs, problems)
    for obj in desired["monitor"].values():
        _check_monitor(obj, allow_inline_secrets, problems)
    for obj in desired["channel"].values():
        _check_channel(obj, desired, allow_inline_secrets, problems)
    for obj in desired["status_page"].values():
        _check_page(obj, desired, problems)
    for obj in desired["maintenance"].values():
        _check_window(obj, desired, problems)
    if problems:
        raise Problems(problems)
    return desired
