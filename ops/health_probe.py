"""`vigil health COMPONENT`: ask a running component's side port whether it is ready.

For Docker's HEALTHCHECK and systemd: exit 0 when /readyz (or /healthz, with --live)
answers 200, 1 otherwise, with the answer's body on stdout so `docker inspect` shows why.
"""

from __future__ import annotations

import sys

import httpx

TIMEOUT_S = 5.0


def check(host: str, port: int, live: bool = False) -> int:
    if not port:
        print("vigil health: the side port is off (VIGIL_METRICS_PORT=0)", file=sys.stderr)
        return 1
    path = "/healthz" if live else "/readyz"
    url = f"http://{_host(host)}:{port}{path}"
    try:
        answer = httpx.get(url, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        print(f"vigil health: {url}: {exc}", file=sys.stderr)
        return 1
    print(answer.text)
    return 0 if answer.status_code == 200 else 1


def _host(host: str) -> str:
    """The address to ask: a server bound to every address answers on loopback."""
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
