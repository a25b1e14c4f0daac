"""Custom resources checked against the operators' own CRD schemas, vendored in schemas/.

A CRD's structural schema prunes unknown fields instead of refusing them; here they are refused
(as `kubectl apply --validate=strict` does), so a misspelt field fails the test.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema

SCHEMAS = Path(__file__).parent / "schemas"
CRDS = {
    ("rabbitmq.com", "RabbitmqCluster"): "rabbitmqcluster.json",
    ("postgresql.cnpg.io", "Cluster"): "cnpg-cluster.json",
}


def _strict(node: object) -> object:
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@cache
def schema(api_version: str, kind: str) -> dict:
    group, version = api_version.split("/")
    doc = json.loads((SCHEMAS / CRDS[(group, kind)]).read_text())
    body = _strict(doc["versions"][version])
    # apiVersion, kind and metadata are the API server's to check: any ObjectMeta will do.
    body["properties"]["metadata"] = {"type": "object"}
    return body


def is_custom(resource: dict) -> bool:
    group = resource["apiVersion"].split("/")[0]
    return (group, resource["kind"]) in CRDS


def errors(resource: dict) -> list[str]:
    """Why the resource does not fit its CRD's schema (empty: it fits)."""
    validator = jsonschema.Draft7Validator(schema(resource["apiVersion"], resource["kind"]))
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(resource)
    ]
