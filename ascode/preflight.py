"""The objects apply would create, and the monitors whose tests change, asked of the API
before anything changes (`POST .../validate`: the create's own checks, nothing stored): a
field only the API can judge (the cell's minimum interval, private targets, a channel's
settings) is reported with its file, line and column like the file's own problems, and the
exit status is 2."""

from __future__ import annotations

from ascode.apply import Ids, create_body
from ascode.client import Api, ApiError
from ascode.plan import Step
from ascode.validate import Problems
from shared.ascode_state import Account

VALIDATE = {"monitor": "/monitors/validate", "channel": "/notification-channels/validate"}
_NOT_THERE = (404, 405)  # a cell from before the route: it cannot check in advance


def _lines(step: Step, error: ApiError) -> list[str]:
    assert step.obj is not None
    if not isinstance(error.detail, list):
        return [f"{step.obj.at()}: the API refuses it: {error.detail}"]
    out = []
    for item in error.detail:
        path = list(item.get("loc", []))[1:]  # after "body": the file's own path
        field = ".".join(str(p) for p in path) or "(the object)"
        out.append(f"{step.obj.at(*path)} field {field}: {item.get('msg')}")
    return out


def _asked(step: Step) -> bool:
    """Creates; and monitors whose tests change, as the file writes them whole. A channel's
    update is not asked: the file may keep a secret as the API's mask, no create takes that."""
    if step.kind not in VALIDATE or step.action == "delete":
        return False
    if step.action == "create":
        return True
    return step.kind == "monitor" and any(op.action != "delete" for op in step.tests)


def check(api: Api, steps: list[Step], account: Account) -> None:
    """Problems listing every refusal the API would make; nothing is changed either way."""
    ids, problems = Ids(account), []
    for step in steps:
        if not _asked(step):
            continue
        try:
            api.call("POST", VALIDATE[step.kind], create_body(step, ids))
        except ApiError as exc:
            if exc.status in _NOT_THERE:
                return
            if exc.status == 401 or exc.status >= 500:
                raise
            problems += _lines(step, exc)
    if problems:
        raise Problems(problems)
