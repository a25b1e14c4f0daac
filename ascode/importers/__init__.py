"""Importers: another monitor's configuration to a file for `vigil apply`, with a list of
what could not be carried over and why. They write files, never to the API: the user
reviews the file first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ascode.importers import gatus, kuma
from ascode.importers.common import Result
from ascode.loader import FileError

PEERS: dict[str, Callable[[Path, bool], Result]] = {
    "uptime-kuma": kuma.convert,
    "gatus": gatus.convert,
}
# Peers whose status pages live outside the main file (Kuma's backup has none).
WITH_PAGES = {"uptime-kuma": kuma.convert}


def run(
    peer: str, source: Path, inline_secrets: bool = False, status_pages: list[Path] | None = None
) -> tuple[dict[str, Any], list[str]]:
    if status_pages:
        if peer not in WITH_PAGES:
            raise FileError(
                f"--status-page is for {', '.join(WITH_PAGES)}: {peer}'s file holds its pages"
            )
        result = WITH_PAGES[peer](source, inline_secrets, status_pages)
    else:
        result = PEERS[peer](source, inline_secrets)
    return result.document(), result.skipped
