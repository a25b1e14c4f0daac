"""What the API's validate routes answer, as problems of the file (ascode.preflight): the
real answers are exercised in tests/e2e/test_ascode_apply.py; here, the mapping alone."""

from __future__ import annotations

import pytest

from ascode import loader, plan, preflight, validate
from ascode.client import ApiError
from shared.ascode_format import KINDS
from shared.ascode_state import Account

pytestmark = pytest.mark.unit

FILE = """\
monitors:
  - key: web
    name: Web
    tests:
      - {kind: http, url: 'https://example.com/', interval_s: 10}
"""


class Answers:
    """An API that answers each validate call with a given status and detail."""

    def __init__(self, status: int, detail: object) -> None:
        self.status, self.detail, self.calls = status, detail, []

    def call(self, method: str, path: str, body: object = None) -> None:
        self.calls.append((method, path, body))
        raise ApiError(method, path, self.status, self.detail)


def _steps() -> tuple[list[plan.Step], Account]:
    desired = validate.check([loader.parse(FILE, "f.yaml")])
    account = Account({k: [] for k in KINDS}, {k: {} for k in KINDS})
    return plan.plan(desired, account, False), account


def test_a_422_names_the_file_line_column_and_field():
    steps, account = _steps()
    api = Answers(
        422,
        [
            {
                "loc": ["body", "tests", 0, "interval_s"],
                "msg": "Input should be greater than or equal to 30",
            }
        ],
    )
    with pytest.raises(validate.Problems) as caught:
        preflight.check(api, steps, account)  # type: ignore[arg-type]
    assert caught.value.lines == [
        "f.yaml:5:63: monitor 'web' field tests.0.interval_s: "
        "Input should be greater than or equal to 30"
    ]
    [(method, path, body)] = api.calls
    assert (method, path, body["name"]) == ("POST", "/monitors/validate", "Web")


def test_a_cell_without_the_route_is_not_asked_again():
    steps, account = _steps()
    preflight.check(Answers(405, "Method Not Allowed"), steps, account)  # type: ignore[arg-type]


def test_an_unauthorised_key_is_the_api_error_it_is():
    steps, account = _steps()
    with pytest.raises(ApiError):
        preflight.check(Answers(401, "no valid token"), steps, account)  # type: ignore[arg-type]


def test_a_monitor_whose_tests_change_is_asked_whole():
    desired = validate.check([loader.parse(FILE, "f.yaml")])
    steps = plan.plan(desired, Account({k: [] for k in KINDS}, {k: {} for k in KINDS}), False)
    [create] = steps
    update = plan.Step(
        "update",
        "monitor",
        "web",
        obj=create.obj,
        tests=[plan.TestOp("update", 0, 7, {"interval_s": 10})],
    )
    renamed = plan.Step("update", "monitor", "web", obj=create.obj)  # no test changes
    api = Answers(422, [{"loc": ["body", "tests", 0, "interval_s"], "msg": "too short"}])
    with pytest.raises(validate.Problems):
        preflight.check(api, [update, renamed], _steps()[1])  # type: ignore[arg-type]
    assert len(api.calls) == 1
