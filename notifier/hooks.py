"""Hook programs: executables the operator registered, run on each event they are chosen for.

Puptime's "bring your own hooks": the program gets the event as a JSON file (its path as
argv[1] and in VIGIL_EVENT_FILE) and on stdin. It runs without a shell, in a session of its
own (so a timeout kills it and everything it started), with a clean environment (PATH and
VIGIL_EVENT_* only), and, when Vigil runs as root, as an unprivileged user
(VIGIL_HOOKS_USER). Accounts choose a hook by name; only the operator says what runs.

Exit 0 is success; exit 75 (EX_TEMPFAIL, as sendmail's delivery agents use it) asks for a
retry; any other exit is a permanent failure. A timeout or a death by signal is retried.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import signal
import tempfile

from notifier.errors import DeliveryError
from notifier.message import Notification
from notifier.render import document
from shared.config import Settings
from shared.hooknames import discover

EX_TEMPFAIL = 75
MAX_OUTPUT = 4096  # bytes of a hook's output kept in the attempt record
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"


class HookRunner:
    """Runs registered hook programs; one instance for the notifier's lifetime."""

    def __init__(self, programs: dict[str, str], timeout_s: float, user: str | None = None) -> None:
        self.programs = programs
        self.timeout_s = timeout_s
        self.user = user

    @classmethod
    def from_settings(cls, settings: Settings) -> HookRunner:
        # Only root can switch users; anyone else runs hooks as itself.
        user = settings.hooks_user if os.geteuid() == 0 else None
        return cls(discover(settings.hooks, settings.hooks_dir), settings.hooks_timeout_s, user)

    async def run(self, name: str, notification: Notification) -> str:
        path = self.programs.get(name)
        if path is None:
            raise DeliveryError(f"no hook program named {name!r}", permanent=True)
        event = json.dumps(document(notification), separators=(",", ":")).encode()
        with tempfile.TemporaryDirectory(prefix="vigil-hook-") as workdir:
            event_file = os.path.join(workdir, "event.json")
            with open(event_file, "wb") as fh:
                fh.write(event)
            self._hand_over(workdir, event_file)
            env = {"PATH": SAFE_PATH, **event_env(notification, event_file)}
            code, output = await self._execute(path, event_file, event, env, workdir)
        return _verdict(name, code, output)

    def _hand_over(self, workdir: str, event_file: str) -> None:
        """The event file belongs to the user the hook runs as, and to no one else."""
        if self.user is None:
            return
        try:
            account = pwd.getpwnam(self.user)
        except KeyError:
            raise DeliveryError(
                f"VIGIL_HOOKS_USER {self.user!r} does not exist", permanent=True
            ) from None
        for path in (workdir, event_file):
            os.chown(path, account.pw_uid, account.pw_gid)

    async def _execute(
        self, path: str, event_file: str, event: bytes, env: dict[str, str], workdir: str
    ) -> tuple[int, bytes]:
        try:
            proc = await asyncio.create_subprocess_exec(
                path,
                event_file,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                cwd=workdir,
                start_new_session=True,
                user=self.user or None,
            )  # None: the notifier's own user
        except (OSError, ValueError) as exc:  # missing, not executable, unknown user
            raise DeliveryError(f"cannot start hook {path}: {exc}", permanent=True) from None
        try:
            output = await asyncio.wait_for(_collect(proc, event), self.timeout_s)
            return await proc.wait(), output
        except TimeoutError:
            raise DeliveryError(f"hook timed out after {self.timeout_s:g} s") from None
        finally:
            if proc.returncode is None:  # timed out or cancelled: the whole group goes
                _kill_group(proc.pid)
                await proc.wait()


def event_env(n: Notification, event_file: str) -> dict[str, str]:
    return {
        "VIGIL_EVENT_FILE": event_file,
        "VIGIL_EVENT_KIND": n.kind,
        "VIGIL_EVENT_KEY": n.key,
        "VIGIL_EVENT_MONITOR": n.monitor,
        "VIGIL_EVENT_INCIDENT": "" if n.incident_id is None else str(n.incident_id),
    }


async def _collect(proc: asyncio.subprocess.Process, event: bytes) -> bytes:
    """Feed the event on stdin; keep the first MAX_OUTPUT bytes of output, drain the rest."""
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(event)
        await proc.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the hook need not read its stdin
    finally:
        proc.stdin.close()
    kept = bytearray()
    while chunk := await proc.stdout.read(65536):
        if len(kept) < MAX_OUTPUT:
            kept += chunk[: MAX_OUTPUT - len(kept)]
    return bytes(kept)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _verdict(name: str, code: int, output: bytes) -> str:
    text = output.decode("utf-8", "replace").strip()
    note = f"hook {name} exit {code}" + (f": {text}" if text else "")
    if code == 0:
        return note
    # A death by signal (negative code) is the machine's doing, not the hook's verdict.
    raise DeliveryError(note, permanent=code > 0 and code != EX_TEMPFAIL, detail=note)
