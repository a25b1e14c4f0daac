"""node-oidc-provider, installed with npm into a cache directory and run with Node.js."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.helpers import wait_sync

HERE = Path(__file__).parent
CACHE = Path(os.environ.get("VIGIL_TEST_NPM_CACHE", Path.home() / ".cache" / "vigil-oidc"))
PACKAGE = "oidc-provider@8"
CLIENT_ID, CLIENT_SECRET = "vigil", "vigil-client-secret"


def _installed() -> Path:
    if not (CACHE / "node_modules" / "oidc-provider").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), PACKAGE],
            check=True,
            capture_output=True,
            timeout=300,
        )
    # ESM resolves packages next to the script, so the script runs from the cache.
    shutil.copy(HERE / "provider.mjs", CACHE / "provider.mjs")
    return CACHE / "provider.mjs"


def _up(issuer: str) -> bool:
    try:
        return httpx.get(issuer + "/.well-known/openid-configuration", timeout=2).is_success
    except httpx.HTTPError:
        return False


@contextmanager
def oidc_provider(port: int, redirect_uri: str, log: Path) -> Iterator[str]:
    """The issuer URL of a provider that knows the client `vigil` at this redirect URI."""
    script = _installed()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["node", str(script), str(port), redirect_uri],
            cwd=CACHE,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_sync(lambda: _up(issuer), "the OIDC provider to answer", timeout=30)
        yield issuer
    finally:
        proc.terminate()
        proc.wait(timeout=10)
