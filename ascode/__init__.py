"""Monitors as code: `vigil apply`, `vigil export` and the importers, over the REST API only.

Reads top-down as data flows: files (loader) -> checked (validate) -> compared with the
account (plan) -> sent (apply); export and the importers produce files for apply.
"""
