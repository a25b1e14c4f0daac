"""Hook programs, run for real: a small Python script written by the test."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from notifier.channels import hook as hook_channel
from notifier.errors import DeliveryError
from notifier.hooks import MAX_OUTPUT, HookRunner, discover
from tests.helpers import eventually
from tests.notifier.channels.conftest import incident, make_context

RECORDER = """#!/usr/bin/python3
import json, os, sys
record = {"argv": sys.argv[1:], "env": dict(os.environ), "stdin": sys.stdin.read(),
          "file": open(sys.argv[1]).read(), "uid": os.getuid()}
with open(os.path.join(OUT, "received.json"), "w") as fh:
    json.dump(record, fh)
print("recorded")
"""


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder the hook's user may read (and write its record in), whoever that is."""
    path = Path(tempfile.mkdtemp(prefix="vigil-hooktest-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path)


def program(folder: Path, name: str, body: str) -> str:
    path = folder / name
    path.write_text(body.replace("OUT", repr(str(folder))))
    path.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    return str(path)


def runner(programs: dict[str, str], timeout_s: float = 10.0) -> HookRunner:
    return HookRunner(programs, timeout_s, user="nobody" if os.geteuid() == 0 else None)


async def test_the_hook_gets_the_event_as_a_file_an_env_var_and_on_stdin(folder) -> None:
    hooks = runner({"record": program(folder, "record.py", RECORDER)})
    ctx = make_context(hooks=hooks)
    note = await hook_channel.send(incident("opened", "de"), {"name": "record"}, ctx)
    assert note == "hook record exit 0: recorded"
    got = json.loads((folder / "received.json").read_text())
    event_file = got["argv"][0]
    assert got["env"]["VIGIL_EVENT_FILE"] == event_file and len(got["argv"]) == 1
    assert got["stdin"] == got["file"]
    event = json.loads(got["stdin"])
    assert event["event"] == "opened" and event["subject"] == "[Vigil] Checkout ist DOWN"
    assert event["notification"]["incident_id"] == 42
    # A clean environment: PATH and the event's variables, nothing of ours.
    assert set(got["env"]) - {"PWD", "LC_CTYPE"} == {
        "PATH",
        "VIGIL_EVENT_FILE",
        "VIGIL_EVENT_KIND",
        "VIGIL_EVENT_KEY",
        "VIGIL_EVENT_MONITOR",
        "VIGIL_EVENT_INCIDENT",
    }
    assert got["env"]["VIGIL_EVENT_KIND"] == "opened" and got["env"]["VIGIL_EVENT_INCIDENT"] == "42"
    if os.geteuid() == 0:
        assert got["uid"] == 65534  # nobody, never root
    assert not os.path.exists(event_file)  # the event file is cleaned up


async def test_a_hook_that_hangs_is_killed_with_everything_it_started(folder) -> None:
    hanging = program(
        folder,
        "hang.sh",
        "#!/bin/sh\nsleep 60 &\necho $! > OUT/child\nwait\n".replace("OUT", str(folder)),
    )
    started = time.monotonic()
    with pytest.raises(DeliveryError) as err:
        await runner({"hang": hanging}, timeout_s=0.5).run("hang", incident())
    assert not err.value.permanent and "timed out" in err.value.message
    assert time.monotonic() - started < 10
    child = int((folder / "child").read_text())
    await eventually(lambda: _gone(child), "the hook's child to die")


async def _gone(pid: int) -> bool:
    """Dead, or a zombie waiting for whoever adopted it to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


@pytest.mark.parametrize(("code", "permanent"), [(75, False), (1, True), (2, True)])
async def test_the_exit_code_says_whether_to_retry(folder, code, permanent) -> None:
    path = program(folder, "fail.sh", f"#!/bin/sh\necho 'could not page'\nexit {code}\n")
    with pytest.raises(DeliveryError) as err:
        await runner({"fail": path}).run("fail", incident())
    assert err.value.permanent is permanent
    assert err.value.message == f"hook fail exit {code}: could not page"


async def test_output_is_kept_truncated(folder) -> None:
    path = program(folder, "loud.sh", "#!/bin/sh\nhead -c 1000000 /dev/zero | tr '\\0' x\n")
    note = await runner({"loud": path}).run("loud", incident())
    assert len(note) == len("hook loud exit 0: ") + MAX_OUTPUT


async def test_unknown_missing_and_non_executable_hooks_are_permanent(folder) -> None:
    text = folder / "not-executable"
    text.write_text("#!/bin/sh\n")
    hooks = runner({"gone": str(folder / "missing"), "text": str(text)})
    for name in ("nope", "gone", "text"):
        with pytest.raises(DeliveryError) as err:
            await hooks.run(name, incident())
        assert err.value.permanent, name


async def test_an_unknown_hook_user_is_permanent(folder) -> None:
    hooks = HookRunner({"r": program(folder, "r.sh", "#!/bin/sh\n")}, 5, user="no-such-user-x")
    with pytest.raises(DeliveryError) as err:
        await hooks.run("r", incident())
    assert err.value.permanent


def test_hooks_are_found_in_the_hooks_dir(folder) -> None:
    program(folder, "page-oncall.sh", "#!/bin/sh\n")
    (folder / "README").write_text("not a hook")
    found = discover((("log", "/bin/logger"),), str(folder))
    assert found == {"log": "/bin/logger", "page-oncall": str(folder / "page-oncall.sh")}
    assert discover((), str(folder / "missing")) == {}
