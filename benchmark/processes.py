"""Named child processes, each writing to its own log: the components a benchmark or a fault
test starts, stops, kills and starts again."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path


class Processes:
    """The processes of a run by name; `logs / f"{name}.log"` holds what each one wrote (a
    process started again under its name writes on after its predecessor)."""

    def __init__(self, logs: Path, env: dict[str, str]) -> None:
        self.logs, self.env = logs, env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], **extra: str) -> None:
        with open(self.logs / f"{name}.log", "ab") as out:  # the process has its own copy
            self.procs[name] = subprocess.Popen(
                argv, env={**self.env, **extra}, stdout=out, stderr=subprocess.STDOUT
            )

    def kill(self, name: str) -> None:
        """SIGKILL: no goodbye, nothing flushed."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop(self, name: str, timeout: float = 30) -> int | None:
        """SIGTERM, then SIGKILL after `timeout` seconds; the exit status."""
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def stop_all(self, timeout: float) -> None:
        for name in list(self.procs):
            self.stop(name, timeout)

    def assert_running(self) -> None:
        """RuntimeError naming the first process that died, with the end of its log."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} died ({proc.returncode}):\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 40) -> str:
        text = (self.logs / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])
