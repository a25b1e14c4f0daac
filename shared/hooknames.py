"""The names of the operator's hook programs: what the notifier can run, and so what the API
lets an operator's `hook` channel name. One function, so both agree."""

from __future__ import annotations

import os
import re
from pathlib import Path

from shared import names

NAME = re.compile(f"^{names.NAME_PATTERN}$")


def discover(hooks: tuple[tuple[str, str], ...], hooks_dir: str) -> dict[str, str]:
    """Named programs from VIGIL_HOOKS, plus every executable file of VIGIL_HOOKS_DIR
    (named after the file, without its extension)."""
    programs = dict(hooks)
    if hooks_dir and os.path.isdir(hooks_dir):
        for entry in sorted(Path(hooks_dir).iterdir()):
            name = entry.stem.lower()
            if entry.is_file() and os.access(entry, os.X_OK) and NAME.match(name):
                programs.setdefault(name, str(entry))
    return programs
