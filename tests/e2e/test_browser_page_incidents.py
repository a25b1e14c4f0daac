"""The owner posts a manual incident with the frontend's form in Chromium, moves it through
its updates to resolved, and a confirmed subscriber gets exactly three mails (real stack,
SMTP sink). Garbage in the form is refused beside its field and stores nothing."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import WAIT_MS, browser_page
from tests.e2e.conftest import Stack
from tests.e2e.test_browser_incident_and_channel import _api, _log_in
from tests.e2e.test_page_notices import _ledger, _mails_to, _news, _subscribe
from tests.helpers import wait_sync

pytestmark = pytest.mark.e2e


def test_post_update_and_resolve_an_incident_in_the_browser(
    stack: Stack, stack_services: tuple[str, str, str]
) -> None:
    owner_email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    owner = _api(stack, owner_email)
    monitor = owner.post(
        "/monitors",
        json={
            "name": "Checkout",
            "tests": [{"kind": "http", "url": f"{stack.frontend_url}/healthz", "interval_s": 60}],
        },
    ).json()
    slug = f"ui-{uuid.uuid4().hex[:8]}"
    page = owner.post(
        "/status-pages", json={"slug": slug, "title": "Shop status", "language": "en"}
    ).json()
    assert (
        owner.post(
            f"/status-pages/{page['id']}/monitors", json={"monitor_id": monitor["id"]}
        ).status_code
        == 201
    )
    reader = f"reader-{uuid.uuid4().hex[:8]}@example.com"
    _subscribe(stack, slug, reader)
    listed = f"/status-pages/{page['id']}/manual-incidents"

    with browser_page() as tab:
        _log_in(tab, stack, owner_email)
        tab.goto(f"{stack.frontend_url}/status-pages/{page['id']}")
        tab.get_by_role("link", name="Post an incident").click()
        expect(tab.get_by_role("heading", name="Incidents of Shop status")).to_be_visible(
            timeout=WAIT_MS
        )
        # Garbage: no monitor affected (the form says so), a title the API finds too long.
        tab.get_by_label("Title").fill("Bank down")
        tab.get_by_label("Message").fill("Card payments fail.")
        tab.get_by_role("button", name="Post the incident").click()
        expect(tab.locator("#affected-errors")).to_have_text(
            "Choose the impact on at least one monitor.", timeout=WAIT_MS
        )
        tab.eval_on_selector("#title", "e => e.removeAttribute('maxlength')")
        tab.get_by_label("Title").fill("x" * 201)
        tab.get_by_label("Checkout").select_option("major_outage")
        tab.get_by_role("button", name="Post the incident").click()
        expect(tab.locator("#title-errors")).to_contain_text("200", timeout=WAIT_MS)
        assert owner.get(listed).json()["items"] == []  # nothing stored

        tab.get_by_label("Title").fill("Bank down")
        tab.get_by_label("Checkout").select_option("major_outage")
        tab.get_by_label("State", exact=True).select_option("identified")
        tab.get_by_role("button", name="Post the incident").click()
        expect(tab.get_by_role("heading", name="Bank down (Identified)")).to_be_visible(
            timeout=WAIT_MS
        )
        for state, words in (("monitoring", "A fix is out."), ("resolved", "All good.")):
            tab.get_by_label("New state").select_option(state)
            tab.get_by_label("Update", exact=True).fill(words)
            tab.get_by_role("button", name="Post the update").click()
            expect(tab.get_by_text(words)).to_be_visible(timeout=WAIT_MS)
        expect(tab.get_by_role("heading", name="Bank down (Resolved)")).to_be_visible()
        expect(tab.get_by_role("button", name="Post the update")).to_have_count(0)

    [incident] = owner.get(listed).json()["items"]
    assert [u["status"] for u in incident["updates"]] == ["identified", "monitoring", "resolved"]
    assert incident["affected"] == [{"monitor_id": monitor["id"], "impact": "major_outage"}]
    wait_sync(lambda: len(_news(stack, reader)) >= 3, "the three mails")
    assert wait_sync(lambda: _ledger(stack_services[0], reader), "the ledger to settle") == {
        "sent": 3
    }
    assert _news(stack, reader) == ["manual_opened", "manual_updated", "manual_resolved"]
    resolved = _mails_to(stack, reader)[-1]
    assert resolved["Subject"] == "[Vigil] Resolved: Bank down"
    assert "All good." in resolved.get_body(("plain",)).get_content()
    stack.assert_running()
    owner.close()
