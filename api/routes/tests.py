"""A monitor's tests. A change bumps the test's version, so the scheduler sends it on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from pydantic import ValidationError
from sqlalchemy import delete, func, update

from api import heartbeats, quotas, store
from api.cells import directory, owner_email
from api.deps import AccountId, Conn, EditorAccountId, SettingsDep
from api.resource_schemas import TestPatch
from api.routes import PREFIX
from api.routes.monitors import NOT_FOUND, QUOTA, MonitorId, monitor_not_found
from api.schemas import MAX_ID, MAX_TESTS, ErrorOut, Page, TestIn, TestOut
from api.validation import check_test, relocated
from shared.tables import tests

router = APIRouter(prefix=f"{PREFIX}/monitors/{{monitor_id}}/tests", tags=["tests"])

TestId = Annotated[int, Path(ge=1, le=MAX_ID)]
TEST_404 = {404: {"model": ErrorOut, "description": "no such test of this monitor"}}


def test_not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, "test not found")


@router.get("", response_model=Page[TestOut], responses=NOT_FOUND)
async def list_tests(monitor_id: MonitorId, account_id: AccountId, conn: Conn,
                     settings: SettingsDep) -> Page[TestOut]:
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


async def _test_of(conn: Conn, account_id: int, monitor_id: int, test_id: int,
                   ping_base: str) -> TestOut:
    test = await store.find_test(conn, account_id, test_id, ping_base)
    if test is None or test.monitor_id != monitor_id:
        raise test_not_found()
    return test


@router.get("/{test_id}", response_model=TestOut, responses=TEST_404)
async def get_test(monitor_id: MonitorId, test_id: TestId, account_id: AccountId, conn: Conn,
                   settings: SettingsDep) -> TestOut:
    return await _test_of(conn, account_id, monitor_id, test_id, settings.ping_url)


def _patched(current: TestOut, patch: TestPatch) -> TestIn:
    """The test as it will be: the stored one with the patch over it, validated whole.

    `region` alone (what a client that knows one region per test sends) makes it the only
    region; `regions` replaces the list; both must agree."""
    changes = {k: v for k, v in patch.model_dump(exclude_unset=True, exclude={"enabled"}).items()
               if v is not None or k not in ("region", "regions")}  # null: no change
    if "region" in changes and "regions" not in changes:
        changes["regions"] = [changes["region"]]
    config = {k: v for k, v in current.config.items() if v is not None}  # a heartbeat's cron
    merged: dict[str, Any] = {
        "kind": current.kind, **config, "interval_s": current.interval_s,
        "timeout_s": current.timeout_s, "regions": current.regions, **changes,
    }
    try:
        return TestIn.model_validate(merged)
    except ValidationError as exc:
        raise relocated(exc, ("body",)) from None


@router.patch("/{test_id}", response_model=TestOut, responses={**TEST_404, **QUOTA})
async def change_test(
    monitor_id: MonitorId, test_id: TestId, body: TestPatch, account_id: EditorAccountId,
    conn: Conn, settings: SettingsDep,
) -> TestOut:
    current = await _test_of(conn, account_id, monitor_id, test_id, settings.ping_url)
    changed = _patched(current, body)
    limit = await quotas.quota(conn, account_id, settings)
    check_test(changed, settings, ("body",), limit.min_interval_s)
    regions = changed.region_list(current.region)
    values: dict[str, Any] = {
        "config": changed.config(), "interval_s": changed.interval_s,
        "timeout_s": changed.timeout_s, "region": regions[0], "regions": regions,
        "version": tests.c.version + 1, "updated_at": func.now(),
    }
    if body.enabled is not None:
        values["enabled"] = body.enabled
    await conn.execute(update(tests).where(
        tests.c.id == test_id, tests.c.account_id == account_id).values(**values))
    if changed.is_heartbeat:
        enabled = current.enabled if body.enabled is None else body.enabled
        await heartbeats.rearm(conn, test_id, enabled, current.enabled)
    await conn.commit()
    return await _test_of(conn, account_id, monitor_id, test_id, settings.ping_url)


@router.post("/{test_id}/ping-token", response_model=TestOut,
             responses={**TEST_404, 409: {"model": ErrorOut,
                                          "description": "not a heartbeat test"}})
async def regenerate_ping_token(monitor_id: MonitorId, test_id: TestId,
                                account_id: EditorAccountId, conn: Conn, settings: SettingsDep,
                                request: Request) -> TestOut:
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
async def delete_test(monitor_id: MonitorId, test_id: TestId, account_id: EditorAccountId,
                      conn: Conn, request: Request) -> Response:
    """The test stops at the next scheduler pass; its results stay."""
    tokens = await heartbeats.tokens_of(conn, account_id, test_id=test_id)
    gone = await conn.execute(delete(tests).where(
        tests.c.id == test_id, tests.c.monitor_id == monitor_id,
        tests.c.account_id == account_id))
    if gone.rowcount == 0:
        raise test_not_found()
    await conn.commit()
    await heartbeats.forget(directory(request), tokens)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

