"""A monitor's tests. A change bumps the test's version, so the scheduler sends it on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy import delete, func, update

from api import heartbeats, quotas, store
from api.cells import directory, owner_email
from api.deps import AccountId, Conn, EditorAccountId, SettingsDep
from api.masking import MaskError, unmasked
from api.resource_schemas import TestPatch
from api.routes import PREFIX
from api.routes.monitors import NOT_FOUND, QUOTA, MonitorId, monitor_not_found
from api.schemas import HEARTBEAT, MAX_ID, MAX_TESTS, ErrorOut, Page, Responses, TestIn, TestOut
from api.validation import check_test, relocated
from shared.tables import tests

router = APIRouter(prefix=f"{PREFIX}/monitors/{{monitor_id}}/tests", tags=["tests"])

TestId = Annotated[int, Path(ge=1, le=MAX_ID)]
TEST_404: Responses = {404: {"model": ErrorOut, "description": "no such test of this monitor"}}


def test_not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, "test not found")


@router.get("", response_model=Page[TestOut], responses=NOT_FOUND)
async def list_tests(
    monitor_id: MonitorId, account_id: AccountId, conn: Conn, settings: SettingsDep
) -> Page[TestOut]:
    if await store.find_monitor(conn, account_id, monitor_id) is None:
        raise monitor_not_found()
    by_monitor = await store.tests_of(conn, account_id, [monitor_id], settings.ping_url)
    # A monitor has at most MAX_TESTS tests: one page, always.
    return Page[TestOut](items=by_monitor[monitor_id], next=None)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TestOut,
    responses={**NOT_FOUND, **QUOTA},
)
async def add_test(
    monitor_id: MonitorId,
    body: TestIn,
    account_id: EditorAccountId,
    conn: Conn,
    settings: SettingsDep,
    request: Request,
) -> TestOut:
    limit = await quotas.quota(conn, account_id, settings, lock=True)
    check_test(body, settings, ("body",), limit.min_interval_s)
    # Locked until commit, so two concurrent additions cannot both pass the count.
    if await store.find_monitor(conn, account_id, monitor_id, lock=True) is None:
        raise monitor_not_found()
    if await store.count_tests(conn, account_id, monitor_id) >= MAX_TESTS:
        raise HTTPException(status.HTTP_409_CONFLICT, f"a monitor has at most {MAX_TESTS} tests")
    await quotas.check_room(conn, account_id, limit, 1)
    [test_id] = await store.insert_tests(conn, account_id, monitor_id, [body], settings.region)
    await heartbeats.start(conn, directory(request), account_id, [test_id], [body])
    await conn.commit()
    test = await store.find_test(conn, account_id, test_id, settings.ping_url)
    assert test is not None  # committed just above, in this account
    return test


async def _test_of(
    conn: Conn, account_id: int, monitor_id: int, test_id: int, ping_base: str
) -> TestOut:
    test = await store.find_test(conn, account_id, test_id, ping_base)
    if test is None or test.monitor_id != monitor_id:
        raise test_not_found()
    return test


@router.get("/{test_id}", response_model=TestOut, responses=TEST_404)
async def get_test(
    monitor_id: MonitorId, test_id: TestId, account_id: AccountId, conn: Conn, settings: SettingsDep
) -> TestOut:
    return await _test_of(conn, account_id, monitor_id, test_id, settings.ping_url)


def _patched(stored: Any, patch: TestPatch) -> TestIn:
    """The test as it will be: the stored row with the patch over it, validated whole, as a
    new one is (defaults included), so what create accepts an edit accepts.

    `region` alone (what a client that knows one region per test sends) makes it the only
    region; `regions` replaces the list; both must agree. A secret sent back masked keeps
    the stored one (api.masking)."""
    changes = {
        k: v
        for k, v in patch.model_dump(exclude_unset=True, exclude={"enabled"}).items()
        if v is not None or k not in ("region", "regions", "url")
    }  # null: no change
    if "kind" in changes:
        raise _invalid("kind", "a test's kind cannot change: create a test of the new kind")
    if "region" in changes and "regions" not in changes:
        changes["regions"] = [changes["region"]]
    config = {k: v for k, v in stored.config.items() if v is not None}  # a heartbeat's cron
    try:
        changes = unmasked(changes, stored.config)
    except MaskError as exc:
        raise _invalid(exc.field, str(exc).partition(": ")[2]) from None
    merged: dict[str, Any] = {
        "kind": stored.kind,
        **config,
        "interval_s": stored.interval_s,
        "timeout_s": stored.timeout_s,
        "regions": list(stored.regions),
        "alert_rule": stored.alert_rule,
        **changes,
    }
    if "interval_s" in changes and "timeout_s" not in changes:
        # The stored timeout was the default for the old interval, or chosen for it: a new
        # interval it does not fit takes the default rather than being refused.
        if stored.timeout_s >= changes["interval_s"]:
            merged.pop("timeout_s")
    try:
        return TestIn.model_validate(merged)
    except ValidationError as exc:
        raise relocated(exc, ("body",)) from None


def _invalid(field: str, why: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": why}])


def _only_pausing(patch: TestPatch) -> bool:
    """A PATCH that only pauses: allowed whatever the stored row holds (a row an older
    version stored may not pass today's rules, and it must still be stoppable)."""
    return patch.model_dump(exclude_unset=True) == {"enabled": False}


@router.patch("/{test_id}", response_model=TestOut, responses={**TEST_404, **QUOTA})
async def change_test(
    monitor_id: MonitorId,
    test_id: TestId,
    body: TestPatch,
    account_id: EditorAccountId,
    conn: Conn,
    settings: SettingsDep,
) -> TestOut:
    current = await _test_of(conn, account_id, monitor_id, test_id, settings.ping_url)
    if _only_pausing(body):
        await conn.execute(
            update(tests)
            .where(tests.c.id == test_id, tests.c.account_id == account_id)
            .values(enabled=False, version=tests.c.version + 1, updated_at=func.now())
        )
        if current.kind == HEARTBEAT:
            await heartbeats.rearm(conn, test_id, False, current.enabled)
        await conn.commit()
        return await _test_of(conn, account_id, monitor_id, test_id, settings.ping_url)
    stored = await store.stored_test(conn, account_id, test_id)
    assert stored is not None  # found just above, in this account
    changed = _patched(stored, body)
    limit = await quotas.quota(conn, account_id, settings)
    check_test(changed, settings, ("body",), limit.min_interval_s)
    regions = changed.region_list(current.region)
    values: dict[str, Any] = {
        "config": changed.config(),
        "alert_rule": changed.rule(),
        "interval_s": changed.interval_s,
        "timeout_s": changed.timeout_s,
        "region": regions[0],
        "regions": regions,
        "version": tests.c.version + 1,
        "updated_at": func.now(),
    }
    if body.enabled is not None:
        values["enabled"] = body.enabled
    await conn.execute(
        update(tests)
        .where(tests.c.id == test_id, tests.c.account_id == account_id)
        .values(**values)
    )
    if changed.is_heartbeat:
        enabled = current.enabled if body.enabled is None else body.enabled
        await heartbeats.rearm(conn, test_id, enabled, current.enabled)
    await conn.commit()
    return await _test_of(conn, account_id, monitor_id, test_id, settings.ping_url)


@router.post(
    "/{test_id}/ping-token",
    response_model=TestOut,
    responses={**TEST_404, 409: {"model": ErrorOut, "description": "not a heartbeat test"}},
)
async def regenerate_ping_token(
    monitor_id: MonitorId,
    test_id: TestId,
    account_id: EditorAccountId,
    conn: Conn,
    settings: SettingsDep,
    request: Request,
) -> TestOut:
    """A new ping URL for a heartbeat test; the old one answers 404 from now on."""
    await _test_of(conn, account_id, monitor_id, test_id, settings.ping_url)
    tokens = await heartbeats.regenerate(conn, test_id)
    if tokens is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "only heartbeat tests have a ping URL")
    old, new = tokens
    await heartbeats.note(directory(request), await owner_email(conn, account_id), [new])
    await conn.commit()
    await heartbeats.forget(directory(request), [old])
    return await _test_of(conn, account_id, monitor_id, test_id, settings.ping_url)


@router.delete("/{test_id}", status_code=status.HTTP_204_NO_CONTENT, responses=TEST_404)
async def delete_test(
    monitor_id: MonitorId,
    test_id: TestId,
    account_id: EditorAccountId,
    conn: Conn,
    request: Request,
) -> Response:
    """The test stops at the next scheduler pass; its results stay."""
    tokens = await heartbeats.tokens_of(conn, account_id, test_id=test_id)
    gone = await conn.execute(
        delete(tests).where(
            tests.c.id == test_id,
            tests.c.monitor_id == monitor_id,
            tests.c.account_id == account_id,
        )
    )
    if gone.rowcount == 0:
        raise test_not_found()
    await conn.commit()
    await heartbeats.forget(directory(request), tokens)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
