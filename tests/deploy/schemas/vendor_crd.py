"""Vendors a CRD's OpenAPI schemas, small: every served version's openAPIV3Schema, without the
descriptions (they are most of a CRD's bytes and validate nothing). See SOURCES.md.

    python tests/deploy/schemas/vendor_crd.py CRD.yaml OUT.json
"""

import json
import sys

import yaml


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main(src: str, out: str) -> None:
    with open(src) as fh:
        crd = yaml.safe_load(fh)
    versions = {
        v["name"]: strip(v["schema"]["openAPIV3Schema"])
        for v in crd["spec"]["versions"]
        if v.get("served")
    }
    doc = {
        "group": crd["spec"]["group"],
        "kind": crd["spec"]["names"]["kind"],
        "versions": versions,
    }
    with open(out, "w") as fh:
        json.dump(doc, fh, separators=(",", ":"), sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
