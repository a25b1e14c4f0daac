"""The application as a whole: headers every answer carries, and how it is served."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from frontend import main
from shared.config import Settings


def test_every_page_forbids_inline_and_foreign_code(client: FlaskClient) -> None:
    headers = client.get("/login").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Accept-Language" in headers["Vary"]


@pytest.mark.parametrize(
    "path", ["/static/style.css", "/static/dashboard.js", "/static/timezone.js"]
)
def test_static_files_are_served(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    response.close()
    assert "http://" not in body and "https://" not in body  # nothing from elsewhere


def test_run_sets_up_logging_then_serves_on_the_configured_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(main.vigil_log, "setup", lambda *a: calls.append(("log", a)))
    monkeypatch.setattr(main.waitress, "serve", lambda app, **kw: calls.append(("serve", kw)))
    settings = Settings.from_env(
        {
            "VIGIL_FRONTEND_HOST": "127.0.0.2",
            "VIGIL_FRONTEND_PORT": "8181",
            "VIGIL_LOG_FORMAT": "text",
            "VIGIL_LOG_LEVEL": "debug",
        }
    )
    main.run(settings)
    assert calls[0] == ("log", ("frontend", "DEBUG", "text"))
    assert calls[1][0] == "serve"
    assert calls[1][1]["host"] == "127.0.0.2" and calls[1][1]["port"] == 8181
