"""Running `vigil apply / export / import` as a user would, against the stack's real API."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.api.helpers import PASSWORD


@dataclass
class Account:
    api_url: str
    token: str
    api_key: str
    email: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str) -> list[dict]:
        answer = httpx.get(f"{self.api_url}/api/v1{path}", headers=self.headers, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]


def new_account(api_url: str) -> Account:
    email = f"ascode-{uuid.uuid4().hex}@example.com"
    made = httpx.post(
        f"{api_url}/api/v1/auth/signup", json={"email": email, "password": PASSWORD}, timeout=30
    )
    assert made.status_code in (201, 202), made.text
    token = httpx.post(
        f"{api_url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30
    ).json()["access_token"]
    key = httpx.post(
        f"{api_url}/api/v1/api-keys",
        json={"name": "apply"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert key.status_code == 201, key.text
    return Account(api_url, token, key.json()["key"], email)


def vigil(
    account: Account, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`vigil ARGS` in a subprocess with the account's API key, as a user runs it."""
    full = {
        **os.environ,
        "VIGIL_API_KEY": account.api_key,
        "VIGIL_API_URL": account.api_url,
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        env=full,
        text=True,
        capture_output=True,
        timeout=120,
    )


@contextmanager
def http_target() -> Iterator[str]:
    """A real HTTP server on loopback answering 200 {"status": "UP"} to every GET."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            body = b'{"status": "UP"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
