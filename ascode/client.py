"""The REST API of the user's cell, with an API key: the only way ascode changes anything."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx

PREFIX = "/api/v1"


class ApiError(Exception):
    """The API refused a request: its status and what it said."""

    def __init__(self, method: str, path: str, status: int, detail: Any) -> None:
        super().__init__(f"{method} {path}: {status} {detail}")
        self.status, self.detail = status, detail


def api_key(key_file: str | None) -> str:
    """The key from --api-key-file, else VIGIL_API_KEY; ValueError naming both if neither."""
    if key_file:
        return Path(key_file).read_text(encoding="utf-8").strip()
    key = os.environ.get("VIGIL_API_KEY", "").strip()
    if not key:
        raise ValueError("no API key: set VIGIL_API_KEY or give --api-key-file")
    return key


class Api:
    def __init__(self, client: httpx.Client) -> None:
        self.http = client

    @classmethod
    def connect(cls, url: str, key: str) -> Api:
        return cls(
            httpx.Client(
                base_url=url.rstrip("/"), timeout=30, headers={"Authorization": f"Bearer {key}"}
            )
        )

    def call(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.http.request(method, PREFIX + path, json=body)
        if answer.status_code >= 400:
            try:
                detail = answer.json().get("detail")
            except ValueError:
                detail = answer.text[:500]
            raise ApiError(method, path, answer.status_code, detail)
        return None if answer.status_code == 204 else answer.json()

    def all(self, path: str) -> list[dict[str, Any]]:
        """Every item of a list, page after page."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            sep = "&" if "?" in path else "?"
            page = self.call(
                "GET", f"{path}{sep}limit=100" + (f"&cursor={cursor}" if cursor else "")
            )
            items += page["items"]
            cursor = page.get("next")
            if not cursor:
                return items
