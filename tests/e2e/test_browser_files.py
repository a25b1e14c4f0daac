"""The account's Files page: which objects a file manages, and the export to download,
which apply takes back as a no-op."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import WAIT_MS, browser_page
from tests.e2e.ascode_helpers import new_account, vigil, write
from tests.e2e.test_browser_heartbeat import _log_in

pytestmark = pytest.mark.e2e

FILE = """\
monitors:
  - key: web
    name: From the file
    tests: [{kind: tcp, url: "tcp://127.0.0.1:9"}]
"""


def test_files_page_lists_what_a_file_manages_and_downloads_the_export(stack, tmp_path: Path):
    account = new_account(stack.api_url)
    applied = vigil(account, "apply", "-f", str(write(tmp_path / "v.yaml", FILE)))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    made = httpx.post(
        f"{stack.api_url}/api/v1/monitors",
        headers=account.headers,
        timeout=30,
        json={"name": "Made in the UI", "tests": [{"kind": "tcp", "url": "tcp://127.0.0.1:7"}]},
    )
    assert made.status_code == 201, made.text
    with browser_page() as page:
        _log_in(page, stack, account.email)
        page.get_by_role("link", name="Files").click()
        rows = page.locator("table tbody tr")
        expect(rows).to_have_count(1, timeout=WAIT_MS)
        expect(rows.first).to_contain_text("web")
        expect(rows.first).to_contain_text("From the file")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the export (YAML)").click()
        exported = tmp_path / "export.yaml"
        download.value.save_as(exported)
    text = exported.read_text()
    assert "key: web" in text and "Made in the UI" in text
    plan = vigil(account, "apply", "-f", str(exported), "--dry-run")
    assert plan.returncode == 0, plan.stderr
    # The UI's monitor is taken over (adopted), the file's is unchanged.
    assert "= adopt monitor made-in-the-ui" in plan.stdout and "web" not in plan.stdout, plan.stdout
