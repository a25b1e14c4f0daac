"""Uptime Kuma's JSON backup (Settings > Backup > Export: `notificationList`, `monitorList`),
and its status pages as Kuma serves them (`kuma_pages`), to an apply file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ascode.importers import kuma_pages, kuma_shape
from ascode.importers.common import Result, reference, status_codes
from shared.timing import MAX_TIMEOUT_S

# Kuma notification type -> (Vigil kind, {Vigil field: Kuma field}, secret Vigil fields)
CHANNELS: dict[str, tuple[str, dict[str, str], set[str]]] = {
    "slack": ("slack", {"url": "slackwebhookURL"}, {"url"}),
    "discord": ("discord", {"url": "discordWebhookUrl"}, {"url"}),
    "teams": ("teams", {"url": "webhookUrl"}, {"url"}),
    "mattermost": (
        "mattermost",
        {"url": "mattermostWebhookUrl", "username": "mattermostusername"},
        {"url"},
    ),
    "telegram": ("telegram", {"token": "telegramBotToken", "chat_id": "telegramChatID"}, {"token"}),
    "webhook": ("webhook", {"url": "webhookURL"}, {"url"}),
    "PagerDuty": ("pagerduty", {"routing_key": "pagerdutyIntegrationKey"}, {"routing_key"}),
    "smtp": (
        "email",
        {
            "host": "smtpHost",
            "port": "smtpPort",
            "username": "smtpUsername",
            "password": "smtpPassword",
            "from": "smtpFrom",
        },
        {"password"},
    ),
}


def _json(text: Any, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return default


def _channel(item: dict[str, Any], out: Result) -> tuple[str, dict[str, Any]] | None:
    config = _json(item.get("config"), {})
    kuma_type = config.get("type")
    if kuma_type not in CHANNELS:
        out.skipped.append(
            f"notification {item.get('name')!r}: type {kuma_type!r} has no Vigil channel"
        )
        return None
    kind, fields, secrets = CHANNELS[kuma_type]
    key = out.key(item.get("name"), "channel")
    mapped: dict[str, Any] = {}
    for ours, theirs in fields.items():
        value = config.get(theirs)
        if value in (None, ""):
            continue
        mapped[ours] = out.secret(str(value), f"{key}_{ours}") if ours in secrets else value
    if kind == "email":
        mapped["to"] = [
            a.strip()
            for field in ("smtpTo", "smtpCC", "smtpBCC")
            for a in str(config.get(field) or "").split(",")
            if a.strip()
        ]
        mapped["security"] = "tls" if config.get("smtpSecure") else "starttls"
    if kind == "webhook":
        mapped["secret"] = ref = reference(f"{key}_secret")
        out.skipped.append(
            f"notification {item.get('name')!r}: Vigil signs each webhook with "
            f"an HMAC key that Kuma's has not: set {ref['env']} to 16 or more "
            "characters, and read Vigil's body at the receiver (it is not "
            "Kuma's)"
        )
    return key, {
        "key": key,
        "name": item.get("name") or key,
        "kind": kind,
        "config": mapped,
        "enabled": bool(item.get("active", True)),
        "monitors": [],
    }


def _http(m: dict[str, Any], out: Result, note: list[str]) -> dict[str, Any]:
    test: dict[str, Any] = {
        "kind": "http",
        "url": m.get("url"),
        "method": str(m.get("method") or "GET").upper(),
        "expected_status": status_codes(m.get("accepted_statuscodes") or ["200-299"], note),
    }
    if m.get("ignoreTls"):
        test["verify_tls"] = False
    if m.get("maxredirects") == 0:
        test["follow_redirects"] = False
    headers = _json(m.get("headers"), None)
    if isinstance(headers, dict) and headers:
        test["headers"] = {str(k): str(v) for k, v in headers.items()}
    if m.get("body"):
        test["body"] = m["body"]
    auth = m.get("authMethod") or "basic"  # NTLM reads the same user and password fields
    if auth != "basic":
        note.append(f"authentication {auth!r} has no Vigil equivalent (Vigil has basic)")
    elif m.get("basic_auth_user"):
        test["basic_auth"] = {
            "username": m["basic_auth_user"],
            "password": out.secret(
                str(m.get("basic_auth_pass") or ""), f"{m.get('name')}_basic_auth"
            ),
        }
    if m.get("proxyId"):
        note.append("its HTTP proxy is not carried over (Vigil's regions connect directly)")
    if m.get("type") == "keyword" and m.get("keyword"):
        test["not_contains" if m.get("invertKeyword") else "contains"] = m["keyword"]
    if m.get("type") == "json-query":
        test["json_path"] = _json_path(str(m.get("jsonPath") or ""))
        test["json_expected"] = m.get("expectedValue")
    return test


def _json_path(expression: str) -> str:
    # Kuma evaluates JSONata; a plain dotted path reads the same in ours.
    return expression if expression.startswith("$") else "$." + expression


def _int(value: Any, default: int) -> int:
    """Kuma's numbers (shape-checked: a number, numeric text, or empty)."""
    return default if value in (None, "") else int(float(value))


def _timeout(seconds: float, interval_s: int, note: list[str]) -> float:
    """Kuma's timeout where Vigil takes it: under the interval and at most MAX_TIMEOUT_S."""
    kept = min(seconds, MAX_TIMEOUT_S, round(interval_s * 0.8, 1))
    if kept != seconds:
        note.append(
            f"timeout {seconds:g} s became {kept:g} s (a check ends before the next "
            f"starts, and within {MAX_TIMEOUT_S:g} s)"
        )
    return kept


def _test(m: dict[str, Any], out: Result, note: list[str]) -> dict[str, Any] | None:
    kind = m.get("type")
    if kind in ("http", "keyword", "json-query"):
        test = _http(m, out, note)
    elif kind == "port":
        test = {"kind": "tcp", "url": f"tcp://{m.get('hostname')}:{m.get('port')}"}
    elif kind == "ping":
        test = {"kind": "ping", "url": f"icmp://{m.get('hostname')}"}
    elif kind == "dns":
        server = m.get("dns_resolve_server") or "1.1.1.1"
        test = {
            "kind": "dns",
            "url": f"dns://{server}:{m.get('port') or 53}",
            "name": m.get("hostname"),
            "record_type": m.get("dns_resolve_type") or "A",
        }
    elif kind == "push":
        note.append(
            "Kuma's push URL is not carried over: point the job at the ping URL "
            "Vigil shows for the heartbeat after apply"
        )
        return {
            "kind": "heartbeat",
            "interval_s": _int(m.get("interval"), 60),
            "grace_s": max(1, _int(m.get("retryInterval"), 60)),
        }
    else:
        why = (
            "docker containers are not reachable from Vigil's regions"
            if kind == "docker"
            else "Vigil has no such check"
        )
        out.skipped.append(f"monitor {m.get('name')!r}: type {kind!r} skipped ({why})")
        return None
    test["interval_s"] = _int(m.get("interval"), 60)
    if kind in ("http", "keyword", "json-query") and m.get("timeout"):
        # Kuma reads its timeout for HTTP only (the others keep a stored default of 48 s)
        test["timeout_s"] = _timeout(float(m["timeout"]), test["interval_s"], note)
    if kind != "ping" and m.get("maxretries"):
        test["retries"] = min(_int(m["maxretries"], 0), 5)
    if m.get("upsideDown"):
        note.append("upside-down mode (down counts as up) has no Vigil equivalent")
    return test


def _monitor(m: dict[str, Any], out: Result, channels: dict[int, dict[str, Any]]) -> str | None:
    """Adds the monitor; its key, or None when it is not carried over."""
    if m.get("type") == "group":
        out.skipped.append(
            f"monitor {m.get('name')!r}: groups are not carried over (their members are)"
        )
        return None
    note: list[str] = []
    test = _test(m, out, note)
    out.skipped += [f"monitor {m.get('name')!r}: {n}" for n in note]
    if test is None:
        return None
    if not m.get("active", True):
        test["enabled"] = False
    key = out.key(m.get("name"), "monitor")
    out.monitors.append({"key": key, "name": m.get("name") or key, "tests": [test]})
    for channel_id, on in (m.get("notificationIDList") or {}).items():
        if on and int(channel_id) in channels:
            channels[int(channel_id)]["monitors"].append(key)
    return key


def convert(
    path: Path, inline_secrets: bool = False, status_pages: list[Path] | None = None
) -> Result:
    """The backup and the status pages saved from Kuma; every file is checked whole first."""
    backup = kuma_shape.backup(path)
    pages = [kuma_shape.status_page(p) for p in status_pages or []]
    out = Result(inline_secrets)
    channels: dict[int, dict[str, Any]] = {}
    for item in backup.get("notificationList") or []:
        made = _channel(item, out)
        if made:
            channels[int(item["id"])] = made[1]
            out.channels.append(made[1])
    keys: dict[int, str] = {}
    for m in backup["monitorList"]:
        key = _monitor(m, out, channels)
        if key is not None:
            keys[m["id"]] = key
    for page in pages:
        kuma_pages.convert(page, keys, out)
    return out
