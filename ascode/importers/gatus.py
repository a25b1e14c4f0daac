"""A Gatus config.yaml (`endpoints`, `external-endpoints`, `alerting`) to an apply file;
conditions become Vigil's assertions where one means the same."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import yaml

from ascode.importers.common import Result, read_text, status_codes
from ascode.loader import FileError

# Gatus alerting provider -> (Vigil kind, {Vigil field: Gatus field}, secret Vigil fields)
CHANNELS: dict[str, tuple[str, dict[str, str], set[str]]] = {
    "slack": ("slack", {"url": "webhook-url"}, {"url"}),
    "discord": ("discord", {"url": "webhook-url"}, {"url"}),
    "teams": ("teams", {"url": "webhook-url"}, {"url"}),
    "mattermost": ("mattermost", {"url": "webhook-url"}, {"url"}),
    "telegram": ("telegram", {"token": "token", "chat_id": "id"}, {"token"}),
    "pagerduty": ("pagerduty", {"routing_key": "integration-key"}, {"routing_key"}),
    "email": (
        "email",
        {
            "from": "from",
            "username": "username",
            "password": "password",
            "host": "host",
            "port": "port",
        },
        {"password"},
    ),
}
_CONDITION = re.compile(r"^\s*(\[[A-Z_]+\][^\s=<>!]*)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$")
_DURATION = re.compile(r"(\d+)(ms|s|m|h)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def seconds(text: Any, default: float) -> float:
    """A Go duration ("1m30s") in seconds."""
    parts = _DURATION.findall(str(text or ""))
    return sum(int(n) * _SECONDS[u] for n, u in parts) if parts else default


def _channels(alerting: dict[str, Any], out: Result) -> dict[str, dict[str, Any]]:
    made: dict[str, dict[str, Any]] = {}
    for provider, config in (alerting or {}).items():
        if provider not in CHANNELS or not isinstance(config, dict):
            out.skipped.append(f"alerting {provider!r}: no Vigil channel of that kind")
            continue
        kind, fields, secrets = CHANNELS[provider]
        key = out.key(provider, "channel")
        mapped = {
            ours: out.secret(str(config[theirs]), f"{key}_{ours}")
            if ours in secrets
            else config[theirs]
            for ours, theirs in fields.items()
            if config.get(theirs) not in (None, "")
        }
        if kind == "email":
            mapped["to"] = [a.strip() for a in str(config.get("to", "")).split(",") if a.strip()]
        made[provider] = {
            "key": key,
            "name": f"Gatus {provider}",
            "kind": kind,
            "config": mapped,
            "monitors": [],
        }
        out.channels.append(made[provider])
    return made


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text.strip('"')


def _condition(text: str, test: dict[str, Any], note: list[str]) -> None:
    """One condition into the test's assertions; a note when it has none that means it."""
    m = _CONDITION.match(str(text))
    if not m:
        note.append(f"condition {text!r}: not understood")
        return
    left, op, right = m.groups()
    if left == "[STATUS]" and op == "==":
        test["expected_status"] = [int(right)]
    elif left == "[STATUS]" and op == "<" and right.isdigit():
        test["expected_status"] = status_codes([f"200-{int(right) - 1}"], note)
    elif left == "[BODY]" and op == "==" and right.startswith("pat(*") and right.endswith("*)"):
        test["contains"] = right[5:-2]
    elif left.startswith("[BODY].") and op == "==":
        test["json_path"] = "$" + left[len("[BODY]") :]
        test["json_expected"] = _value(right)
    elif left == "[CERTIFICATE_EXPIRATION]" and op == ">":
        test["cert_warn_days"] = max(1, math.ceil(seconds(right, 0) / 86400))
        note.append(f"condition {text!r}: an expiring certificate warns, it is not down")
    elif left == "[RESPONSE_TIME]" and op in ("<", "<="):
        test["degraded_ms"] = int(right)
        note.append(f"condition {text!r}: slower answers count as slow, not down")
    elif left in ("[CONNECTED]", "[DNS_RCODE]") and right in ("true", "NOERROR"):
        pass  # what Vigil's tcp, ping and dns checks require anyway
    else:
        note.append(f"condition {text!r}: no Vigil assertion means the same")


def _target(e: dict[str, Any]) -> dict[str, Any] | None:
    """The test's kind and target from the endpoint's URL (and its dns block)."""
    url = str(e.get("url") or "")
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if "dns" in e:
        dns = e["dns"] or {}
        return {
            "kind": "dns",
            "url": f"dns://{url}" if ":" in url else f"dns://{url}:53",
            "name": dns.get("query-name"),
            "record_type": dns.get("query-type", "A"),
        }
    if scheme in ("http", "https"):
        method = str(e.get("method") or "GET").upper()
        test: dict[str, Any] = {"kind": "http", "url": url, "method": method}
        if e.get("headers"):
            test["headers"] = {str(k): str(v) for k, v in e["headers"].items()}
        if e.get("body"):
            test["body"] = str(e["body"])
        return test
    if scheme in ("tcp", "tls"):
        return {"kind": scheme, "url": url}
    if scheme == "icmp":
        return {"kind": "ping", "url": url}
    return None


def _test(e: dict[str, Any], note: list[str]) -> dict[str, Any] | None:
    test = _target(e)
    if test is None:
        return None
    client = e.get("client") or {}
    if client.get("insecure") and test["kind"] in ("http", "tls"):
        test["verify_tls"] = False
    if client.get("timeout"):
        test["timeout_s"] = seconds(client["timeout"], 10)
    test["interval_s"] = int(seconds(e.get("interval"), 60))
    for condition in e.get("conditions") or []:
        _condition(condition, test, note)
    if test["kind"] != "http":
        for name in ("expected_status", "contains", "json_path", "json_expected", "degraded_ms"):
            test.pop(name, None)
    if e.get("enabled") is False:
        test["enabled"] = False
    return test


def _endpoint(e: dict[str, Any], out: Result, channels: dict[str, dict[str, Any]]) -> None:
    name = e.get("name") or e.get("url")
    label = f"{e['group']}/{name}" if e.get("group") else str(name)
    note: list[str] = []
    test = _test(e, note)
    out.skipped += [f"endpoint {label!r}: {n}" for n in note]
    if test is None:
        out.skipped.append(f"endpoint {label!r}: url {e.get('url')!r} has no Vigil check kind")
        return
    key = out.key(label, "monitor")
    out.monitors.append({"key": key, "name": str(name), "tests": [test]})
    for alert in e.get("alerts") or []:
        if alert.get("type") in channels:
            channels[alert["type"]]["monitors"].append(key)
        else:
            out.skipped.append(f"endpoint {label!r}: alert {alert.get('type')!r} has no channel")


def convert(path: Path, inline_secrets: bool = False) -> Result:
    try:
        config = yaml.safe_load(read_text(path)) or {}
    except yaml.YAMLError as exc:
        raise FileError(f"{path}: not YAML: {exc}") from None
    if not isinstance(config, dict) or not ({"endpoints", "external-endpoints"} & set(config)):
        raise FileError(f"{path}: not a Gatus config (no endpoints)")
    out = Result(inline_secrets)
    channels = _channels(config.get("alerting") or {}, out)
    for e in config.get("endpoints") or []:
        _endpoint(e, out, channels)
    for e in config.get("external-endpoints") or []:
        key = out.key(e.get("name"), "heartbeat")
        beat = e.get("heartbeat") or {}
        out.monitors.append(
            {
                "key": key,
                "name": str(e.get("name") or key),
                "tests": [
                    {"kind": "heartbeat", "interval_s": int(seconds(beat.get("interval"), 3600))}
                ],
            }
        )
        out.skipped.append(
            f"external endpoint {e.get('name')!r}: its job must call the new "
            "ping URL (Vigil makes its own token)"
        )
    for ui in ("ui", "storage", "security"):
        if ui in config:
            out.skipped.append(f"{ui}: Gatus's own setting, nothing to carry over")
    return out
