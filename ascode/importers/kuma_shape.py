"""The shape of Uptime Kuma's files, checked before anything is converted: a malformed file is
one error naming the file and the place in it (`monitorList[3].interval`), and no output.

Two formats, both as Kuma writes them:
- the backup (Settings > Backup > Export, Kuma 1.x: `version`, `notificationList`,
  `monitorList`; Kuma dropped it in 2.0, louislam/uptime-kuma#3892);
- a status page as Kuma serves it to anyone at `GET /api/status-page/<slug>` (1.x and 2.x:
  `config`, `publicGroupList`, `incident` or `incidents`, `maintenanceList`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ascode.importers.common import read_text
from ascode.loader import FileError

# Monitor fields the importer turns into numbers: null or absent is fine, text is not.
_NUMBERS = ("interval", "retryInterval", "timeout", "maxretries", "port", "maxredirects")


class Shape:
    """Checks one file; every failure names `file: place: what is wrong`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, why: str) -> FileError:
        return FileError(f"{self.path}: {where}: {why}")

    def load(self) -> Any:
        try:
            return json.loads(read_text(self.path))
        except UnicodeDecodeError as exc:
            raise FileError(f"{self.path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
        except ValueError as exc:
            raise FileError(f"{self.path}: not JSON: {exc}") from None

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be an object, not {_what(value)}")
        return value

    def items(self, value: Any, where: str, required: bool = False) -> list[dict[str, Any]]:
        """A list of objects (null or absent: empty, unless required)."""
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise self.fail(where, f"must be a list, not {_what(value)}")
        return [self.obj(item, f"{where}[{i}]") for i, item in enumerate(value)]

    def ident(self, item: dict[str, Any], where: str) -> int:
        value = item.get("id")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{where}.id", f"must be a whole number, not {_what(value)}")
        return value

    def text(self, item: dict[str, Any], field: str, where: str, required: bool = False) -> None:
        value = item.get(field)
        if (value is None and required) or not isinstance(value, (str, type(None))):
            raise self.fail(f"{where}.{field}", f"must be text, not {_what(value)}")

    def number(self, item: dict[str, Any], field: str, where: str) -> None:
        value = item.get(field)
        if value is None or value == "":
            return
        try:
            float(value)
        except (TypeError, ValueError):
            raise self.fail(f"{where}.{field}", f"must be a number, not {_what(value)}") from None


def _what(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value[:40])
    return {bool: "true/false", dict: "an object", list: "a list"}.get(type(value), repr(value))


def backup(path: Path) -> dict[str, Any]:
    """The backup, its shape checked: lists of objects, ids, the numbers the importer reads."""
    shape = Shape(path)
    data = shape.load()
    if not isinstance(data, dict) or "monitorList" not in data:
        raise FileError(f"{path}: not an Uptime Kuma backup (no monitorList)")
    for i, item in enumerate(shape.items(data.get("notificationList"), "notificationList")):
        where = f"notificationList[{i}]"
        shape.ident(item, where)
        config = item.get("config")
        if isinstance(config, str):
            try:
                config = json.loads(config) if config else {}
            except ValueError as exc:
                raise shape.fail(f"{where}.config", f"not JSON: {exc}") from None
        shape.obj(config if config is not None else {}, f"{where}.config")
    for i, m in enumerate(shape.items(data["monitorList"], "monitorList")):
        where = f"monitorList[{i}]"
        shape.ident(m, where)
        for field in ("name", "type", "url", "hostname"):
            shape.text(m, field, where, required=field == "type")
        for field in _NUMBERS:
            shape.number(m, field, where)
        links = m.get("notificationIDList")
        for key in shape.obj(links if links is not None else {}, f"{where}.notificationIDList"):
            if not str(key).isdigit():
                raise shape.fail(f"{where}.notificationIDList", f"{key!r} is not a notification id")
    return data


def status_page(path: Path) -> dict[str, Any]:
    """A page as `GET /api/status-page/<slug>` answers it, its shape checked."""
    shape = Shape(path)
    data = shape.load()
    if not isinstance(data, dict) or "publicGroupList" not in data:
        raise FileError(
            f"{path}: not an Uptime Kuma status page (no publicGroupList; save "
            "what Kuma answers at /api/status-page/<slug>)"
        )
    config = shape.obj(data.get("config"), "config")
    for field in ("slug", "title"):
        shape.text(config, field, "config", required=True)
    shape.text(config, "icon", "config")
    groups = shape.items(data["publicGroupList"], "publicGroupList", required=True)
    for i, group in enumerate(groups):
        where = f"publicGroupList[{i}]"
        shape.text(group, "name", where)
        shape.number(group, "weight", where)
        for j, m in enumerate(shape.items(group.get("monitorList"), f"{where}.monitorList")):
            shape.ident(m, f"{where}.monitorList[{j}]")
    return data
