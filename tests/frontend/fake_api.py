"""A real HTTP server speaking the slice of the Vigil API contract the frontend uses.

It runs in a background thread on a free port of 127.0.0.1, and a test controls it:
the accounts, the monitors, and canned failures (401, 500, garbage, slowness, a refused
connection).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from api.routes.auth import SIGNUP_SENT
from tests.frontend import fake_manual, fake_pages, fake_tests

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "vigil-demo"


@dataclass
class Canned:
    """One answer given to every request while it is set."""

    status: int
    body: bytes
    content_type: str = "application/json"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeApi:
    accounts: dict[str, str] = field(default_factory=lambda: {DEMO_EMAIL: DEMO_PASSWORD})
    monitors: list[dict[str, Any]] = field(default_factory=list)
    next: str | None = None
    canned: Canned | None = None
    delay_s: float = 0.0
    set_cookie: str | None = None  # sent with every answer when set
    seen: list[Seen] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    cells: dict[str, str] = field(default_factory=dict)  # email -> API URL /locate answers
    public_pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug -> body
    domains: dict[str, str] = field(default_factory=dict)  # custom domain -> slug
    # slug -> password of a private page: its public page answers 401 without the access
    # token POST .../access answers for that password (the API's rules: api.page_access)
    page_passwords: dict[str, str] = field(default_factory=dict)
    access_retry_after: int | None = None  # set: POST .../access answers 429
    # slug -> allowed domains of an email_domain page: POST .../sign-in answers 202 for an
    # address there (422 elsewhere), and .../sign-in/confirm takes "link-<slug>" once
    sign_in_domains: dict[str, list[str]] = field(default_factory=dict)
    spent_links: set[str] = field(default_factory=set)
    domain_cells: dict[str, str] = field(default_factory=dict)  # domain -> another cell's API
    stats: dict[str, Any] | None = None  # None: the API has no /stats yet (404)
    series: dict[str, Any] | None = None  # None: no /series yet (404)
    results: list[dict[str, Any]] = field(default_factory=list)  # every test's results
    refuse_with: tuple[int, Any] | None = None  # the next write answers this instead
    # what POST .../domain/verify answers (status, detail); None: the domain is proven
    verify_answer: tuple[int, Any] | None = None
    incidents: list[dict[str, Any]] | None = None  # None: no /incidents yet (404)
    nodes: dict[str, Any] | None = None  # None: the caller is no operator (403)
    is_admin: Any = False  # what /auth/me says (None: it says nothing, as an older API)
    me_status: int = 200  # what /auth/me answers with (500: it fails)
    system: dict[str, Any] | None = None  # None: no /system yet (404); operators only too
    # what the notifier makes of a test notification: an attempt ({outcome, error, ...}),
    # or None when it has not got to it yet
    test_attempt: dict[str, Any] | None = None
    attempts_page: int = 200  # the API's page size for attempts, whatever the limit asked
    # status-pages, notification-channels, maintenance-windows, members, and
    # "pages/<id>/monitors", "channels/<id>/monitors", "channels/<id>/attempts"
    collections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Sign-up as the API does it (api/routes/auth.py): the same 202 for a free address and a
    # taken one; a free one's account is made when its link ("signup-<n>", in `mails`) is
    # confirmed, or at once when `signup_confirm` is off; an empty fake (no accounts) makes
    # the first run's account with a 201.
    signup_mode: str = "open"
    signup_domains: list[str] = field(default_factory=list)
    signup_confirm: bool = True
    pending: dict[str, tuple[str, str]] = field(default_factory=dict)  # link -> (email, pw)
    mails: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, to, link or "")
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # A short poll interval makes stop() quick; each test starts and stops its own.
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), name="fake-api", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    @contextmanager
    def refusing_connections(self) -> Iterator[None]:
        """Nothing listens on the port for a while, so connecting is refused."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def answer_everything_with(
        self, status: int, body: bytes | str, content_type: str = ""
    ) -> None:
        raw = body.encode() if isinstance(body, str) else body
        self.canned = Canned(status, raw, content_type or "application/json")

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


class _Handler(BaseHTTPRequestHandler):
    api: FakeApi

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on `seen`, not on a log."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        api = self.api
        api.seen.append(
            Seen(self.command, parts.path, parse_qs(parts.query), dict(self.headers), body)
        )
        if api.delay_s:
            time.sleep(api.delay_s)
        if api.canned is not None:
            self._send(api.canned.status, api.canned.body, api.canned.content_type)
            return
        route = {
            ("POST", "/api/v1/auth/login"): self._login,
            ("POST", "/api/v1/auth/locate"): self._locate,
            ("GET", "/api/v1/auth/signup-policy"): self._signup_policy,
            ("POST", "/api/v1/auth/signup"): self._signup,
            ("POST", "/api/v1/auth/signup/confirm"): self._confirm_signup,
            ("GET", "/api/v1/monitors"): self._monitors,
        }.get((self.command, parts.path))
        if route is not None:
            route(body)
            return
        if parts.path.startswith("/api/v1/public/status-pages/"):
            self._public_page(parts.path, body)
            return
        if parts.path.startswith("/api/v1/public/domains/"):
            host = parts.path.rsplit("/", 1)[1]
            if host in api.domain_cells:  # as the API answers for another cell's domain
                self.send_response(307)
                self.send_header("Location", f"{api.domain_cells[host]}{parts.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            slug = api.domains.get(host)
            self._json(200 if slug else 404, {"slug": slug} if slug else {"detail": "unknown"})
            return
        if not self._authorized():
            self._json(401, {"detail": "Not authenticated"})
            return
        for pattern, handler in _RESOURCES:
            match = re.fullmatch(pattern, f"{self.command} {parts.path}")
            if match:
                handler(self, body, *match.groups())
                return
        self._json(404, {"detail": "Not Found"})

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[len("Bearer ") :] in self.api.tokens

    def _find(self, mid: str) -> dict[str, Any] | None:
        return next((m for m in self.api.monitors if str(m["id"]) == mid), None)

    def _refused(self) -> bool:
        if self.api.refuse_with is None:
            return False
        status, detail = self.api.refuse_with
        self.api.refuse_with = None
        self._json(status, {"detail": detail})
        return True

    def _get_monitor(self, body: bytes, mid: str) -> None:
        found = self._find(mid)
        self._json(200 if found else 404, found or {"detail": "monitor not found"})

    def _create_monitor(self, body: bytes) -> None:
        if self._refused():
            return
        data = json.loads(body)
        tests = data.get("tests") if isinstance(data, dict) else None
        if not isinstance(tests, list) or not tests:
            self._json(
                422,
                {
                    "detail": [
                        {"type": "missing", "loc": ["body", "tests"], "msg": "Field required"}
                    ]
                },
            )
            return
        errors = [
            e for i, t in enumerate(tests) for e in fake_tests.errors(t, ["body", "tests", i])
        ]
        if errors:
            self._json(422, {"detail": errors})
            return
        new = monitor(data["name"], "pending", checked_at=None, monitor_id=str(_next_id()))
        new["id"] = int(new["id"])
        new["tests"] = [stored_test(t, new["id"]) for t in tests]
        self.api.monitors.append(new)
        self._json(201, new)

    def _rename_monitor(self, body: bytes, mid: str) -> None:
        found = self._find(mid)
        if found is None:
            self._json(404, {"detail": "monitor not found"})
            return
        if not self._refused():
            found["name"] = json.loads(body)["name"]
            self._json(200, found)

    def _delete_monitor(self, body: bytes, mid: str) -> None:
        found = self._find(mid)
        if found is None:
            self._json(404, {"detail": "monitor not found"})
            return
        self.api.monitors.remove(found)
        self._send(204, b"", "application/json")

    def _add_test(self, body: bytes, mid: str) -> None:
        found = self._find(mid)
        if found is None or self._refused():
            if found is None:
                self._json(404, {"detail": "monitor not found"})
            return
        data = json.loads(body)
        errors = fake_tests.errors(data, ["body"])
        if errors:
            self._json(422, {"detail": errors})
            return
        test = stored_test(data, found["id"])
        found["tests"].append(test)
        self._json(201, test)

    def _change_test(self, body: bytes, mid: str, tid: str) -> None:
        found = self._find(mid)
        test = next((t for t in (found or {}).get("tests", []) if str(t["id"]) == tid), None)
        if test is None:
            self._json(404, {"detail": "test not found"})
            return
        if self.command == "DELETE":
            found["tests"].remove(test)  # type: ignore[index]
            self._send(204, b"", "application/json")
            return
        if self._refused():
            return
        data = json.loads(body)
        if isinstance(data, dict) and "kind" in data:  # a test keeps its kind
            self._json(
                422,
                {
                    "detail": [
                        {
                            "type": "extra_forbidden",
                            "loc": ["body", "kind"],
                            "msg": "Extra inputs are not permitted",
                        }
                    ]
                },
            )
            return
        errors = fake_tests.errors(data, ["body"], flat(test))
        if errors:
            self._json(422, {"detail": errors})
            return
        test.update(
            stored_test({**flat(test), **data}, test["monitor_id"]),
            id=test["id"],
            state=test.get("state"),
        )
        self._json(200, test)

    def _stats(self, body: bytes, mid: str) -> None:
        self._json(200 if self.api.stats else 404, self.api.stats or {"detail": "Not Found"})

    def _series(self, body: bytes, tid: str) -> None:
        self._json(200 if self.api.series else 404, self.api.series or {"detail": "Not Found"})

    def _public_page(self, path: str, body: bytes) -> None:
        """A public page (a private one only with its access token), or its /access."""
        if path.endswith("/access"):
            self._access(path.split("/")[-2], body)
            return
        if "/sign-in" in path:
            self._sign_in(path.split("/")[5], path.endswith("/confirm"), body)
            return
        slug = path.rsplit("/", 1)[1]
        private = (
            "password"
            if slug in self.api.page_passwords
            else ("email_domain" if slug in self.api.sign_in_domains else None)
        )
        if private and self.headers.get("X-Vigil-Page-Access") != f"access-{slug}":
            self._json(401, {"detail": "this status page is private", "visibility": private})
            return
        page = self.api.public_pages.get(slug)
        if not page:
            self._json(404, {"detail": "status page not found"})
            return
        # An ETag of the body, and a 304 to whom has it, as the API's public cache answers.
        body = json.dumps(page).encode()
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def _sign_in(self, slug: str, confirm: bool, body: bytes) -> None:
        """An email_domain page's sign-in, as api.routes.public_sign_in answers."""
        data = json.loads(body or b"{}")
        if slug not in self.api.sign_in_domains:
            self._json(404, {"detail": "no status page that takes a sign-in"})
        elif confirm and (data.get("token") != f"link-{slug}" or slug in self.api.spent_links):
            self._json(400, {"detail": "token: this sign-in link was used already"})
        elif confirm:
            self.api.spent_links.add(slug)
            self._json(
                200, {"access_token": f"access-{slug}", "expires_at": "2099-01-01T00:00:00+00:00"}
            )
        elif str(data.get("email", "")).rpartition("@")[2] not in self.api.sign_in_domains[slug]:
            self._json(
                422,
                {
                    "detail": [
                        {
                            "loc": ["body", "email"],
                            "type": "value_error",
                            "msg": "Value error, not an allowed domain",
                        }
                    ]
                },
            )
        else:
            self._json(202, {"detail": "sign-in link sent"})

    def _access(self, slug: str, body: bytes) -> None:
        """A visitor's password for a private page, as api.routes.public_access answers."""
        password = json.loads(body or b"{}").get("password")
        if self.api.access_retry_after is not None:
            self.send_response(429)
            self.send_header("Retry-After", str(self.api.access_retry_after))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif not isinstance(password, str) or not password:
            self._json(
                422,
                {"detail": [{"loc": ["body", "password"], "msg": "required", "type": "missing"}]},
            )
        elif slug not in self.api.page_passwords:
            self._json(404, {"detail": "no password-protected status page"})
        elif password != self.api.page_passwords[slug]:
            self._json(401, {"detail": "wrong password"})
        else:
            self._json(
                200, {"access_token": f"access-{slug}", "expires_at": "2099-01-01T00:00:00+00:00"}
            )

    def _collection(self, body: bytes, name: str, ident: str | None = None) -> None:
        """A plain stored list: list, create, read, change, delete."""
        items = self.api.collections.setdefault(name, [])
        found = next((i for i in items if str(i["id"]) == ident), None)
        if ident is not None and found is None:
            self._json(404, {"detail": "not found"})
        elif self.command == "GET" and found is not None:
            self._json(200, found)
        elif self.command == "GET":
            self._json(200, {"items": items, "next": None})
        elif self.command == "DELETE":
            items.remove(found)  # type: ignore[arg-type]
            self._send(204, b"", "application/json")
        elif not self._refused():
            data = json.loads(body)
            brand_errors = fake_pages.errors(data) if name == "status-pages" else []
            if brand_errors:
                self._json(422, {"detail": brand_errors})
                return
            if name == "status-pages" and isinstance(data.get("accent_color"), str):
                data["accent_color"] = data["accent_color"].lower()
            if name == "status-pages" and data.get("footer_links", []) is None:
                data.pop("footer_links")  # null: as it is, as the API takes it
            if found is not None:
                found.update(data)
                self._json(200, found)
            else:
                items.append({"id": _next_id(), **data})
                self._json(201, items[-1])

    def _verify_domain(self, body: bytes, pid: str) -> None:
        pages = self.api.collections.get("status-pages", [])
        page = next((p for p in pages if str(p["id"]) == pid), None)
        if page is None:
            self._json(404, {"detail": "status page not found"})
        elif self.api.verify_answer is not None:
            status, detail = self.api.verify_answer
            self._json(status, {"detail": detail})
        else:
            page["domain_verification"] = {
                **page["domain_verification"],
                "status": "verified",
                "verified_at": "2026-11-26T10:00:00+00:00",
                "claim_expires_at": None,
            }
            self._json(200, page)

    def _page_monitors(self, body: bytes, pid: str, mid: str | None = None) -> None:
        links = self.api.collections.setdefault(f"pages/{pid}/monitors", [])
        if self.command == "GET":
            self._json(200, {"items": links, "next": None})
        elif self.command == "DELETE":
            links[:] = [m for m in links if str(m["monitor_id"]) != mid]
            self._send(204, b"", "application/json")
        elif not self._refused():
            data = json.loads(body)
            target = data.get("sla_target")
            if target is not None and not (
                isinstance(target, int | float)
                and not isinstance(target, bool)
                and 0 < target < 100
            ):
                self._json(
                    422,
                    {
                        "detail": [
                            {
                                "type": "less_than",
                                "loc": ["body", "sla_target"],
                                "msg": "Input should be less than 100",
                            }
                        ]
                    },
                )
                return
            links.append(
                {
                    "monitor_id": data["monitor_id"],
                    "name": f"m{data['monitor_id']}",
                    "group": data.get("group"),
                    "position": 0,
                    "sla_target": target,
                }
            )
            self._json(201, links[-1])

    def _manual(self, body: bytes, pid: str, iid: str | None = None, _: str | None = None) -> None:
        if self.command == "GET" or not self._refused():
            self._json(
                *fake_manual.answer(self.api.collections, self.command, body, pid, iid, _next_id())
            )

    def _incidents(self, body: bytes, iid: str | None = None, updates: str | None = None) -> None:
        if self.api.incidents is None:
            self._json(404, {"detail": "Not Found"})
            return
        if iid is None:
            self._json(200, {"items": self.api.incidents, "next": None})
            return
        found = next((i for i in self.api.incidents if str(i["id"]) == iid), None)
        if found is None:
            self._json(404, {"detail": "incident not found"})
        elif self.command == "GET":
            self._json(200, found)
        elif not self._refused():
            update = {
                "id": _next_id(),
                "message": json.loads(body)["message"],
                "author_id": 1,
                "created_at": "2026-01-02T08:10:00+00:00",
            }
            found.setdefault("updates", []).append(update)
            self._json(201, update)

    def _channel_part(self, body: bytes, cid: str, part: str, mid: str | None = None) -> None:
        channels = self.api.collections.get("notification-channels", [])
        if not any(str(c["id"]) == cid for c in channels):
            self._json(404, {"detail": "channel not found"})
            return
        stored = self.api.collections.setdefault(f"channels/{cid}/{part}", [])
        if part == "attempts":
            self._attempts(stored)
        elif part == "test":
            self._channel_test(cid)
        elif self.command == "GET":
            self._json(200, {"items": stored, "next": None})
        elif self.command == "DELETE":
            stored[:] = [m for m in stored if str(m["monitor_id"]) != mid]
            self._send(204, b"", "application/json")
        elif not self._refused():
            data = json.loads(body)
            stored.append({"monitor_id": data["monitor_id"], "name": f"m{data['monitor_id']}"})
            self._json(201, stored[-1])

    def _attempts(self, stored: list[dict[str, Any]]) -> None:
        """Oldest first, or newest first with order=newest; at most `limit` (and never more
        than attempts_page) a page; the cursor is the index to go on from."""
        query = parse_qs(urlsplit(self.path).query)
        order = (query.get("order") or ["oldest"])[0]
        if order not in ("oldest", "newest"):
            self._json(
                422,
                {
                    "detail": [
                        {
                            "type": "literal_error",
                            "loc": ["query", "order"],
                            "msg": "Input should be 'oldest' or 'newest'",
                        }
                    ]
                },
            )
            return
        listed = stored[::-1] if order == "newest" else stored
        start = int((query.get("cursor") or ["0"])[0])
        end = start + min(int((query.get("limit") or ["50"])[0]), self.api.attempts_page)
        self._json(
            200, {"items": listed[start:end], "next": str(end) if end < len(listed) else None}
        )

    def _me(self, body: bytes) -> None:
        me = {
            "id": 1,
            "email": DEMO_EMAIL,
            "role": "owner",
            "account_id": 1,
            "created_at": "2026-01-01T00:00:00+00:00",
            "language": "en",
        }
        if self.api.is_admin is not None:
            me["is_admin"] = self.api.is_admin
        self._json(self.api.me_status, me if self.api.me_status == 200 else {"detail": "boom"})

    def _channel_test(self, cid: str) -> None:
        if self._refused():
            return
        key = f"test/{cid}/{secrets.token_hex(8)}/{cid}"
        if self.api.test_attempt is not None:
            self.api.collections.setdefault(f"channels/{cid}/attempts", []).append(
                {
                    "id": _next_id(),
                    "key": key,
                    "attempt": 1,
                    "duration_ms": 12.0,
                    "attempted_at": "2026-01-02T08:09:00+00:00",
                    "permanent": False,
                    "error": None,
                    "detail": None,
                    "event": "test",
                    "incident_id": None,
                    "test_id": None,
                    "exit_code": None,
                    "output": None,
                    **self.api.test_attempt,
                }
            )
        self._json(202, {"key": key})

    def _system(self, body: bytes) -> None:
        if self.api.nodes is None:
            self._json(403, {"detail": "the system page is for operators"})
        else:
            self._json(200 if self.api.system else 404, self.api.system or {"detail": "Not Found"})

    def _acknowledge(self, body: bytes, iid: str) -> None:
        found = next((i for i in self.api.incidents or [] if str(i["id"]) == iid), None)
        if found is None:
            self._json(404, {"detail": "incident not found"})
        elif not self._refused():
            if found.get("acknowledged_at") is None:  # the first acknowledgement stands
                found.update(acknowledged_at="2026-01-02T08:07:00+00:00", acknowledged_by=1)
            self._json(200, found)

    def _nodes(self, body: bytes) -> None:
        if self.api.nodes is None:
            self._json(403, {"detail": "this is for operators"})
        else:
            self._json(200, self.api.nodes)

    def _results(self, body: bytes, tid: str) -> None:
        self._json(200, {"items": self.api.results, "next": None})

    def _login(self, body: bytes) -> None:
        try:
            creds = json.loads(body)
            email, password = creds["email"], creds["password"]
        except (ValueError, KeyError, TypeError):
            self._json(422, {"detail": [{"loc": ["body"], "msg": "invalid body"}]})
            return
        if "@" not in email:
            # What FastAPI's EmailStr validation answers.
            self._json(422, {"detail": [{"loc": ["body", "email"], "msg": "not an email"}]})
            return
        if self.api.accounts.get(email) != password:
            self._json(401, {"detail": "Incorrect email or password"})
            return
        token = secrets.token_urlsafe(16)
        self.api.tokens.add(token)
        self._json(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600})

    def _signup_policy(self, body: bytes) -> None:
        api = self.api
        self._json(
            200,
            {
                "mode": api.signup_mode,
                "domains": api.signup_domains,
                "first_run": not api.accounts,
                "confirm": api.signup_confirm,
            },
        )

    def _signup(self, body: bytes) -> None:
        api = self.api
        try:
            data = json.loads(body)
            email, password = str(data["email"]).lower(), data["password"]
        except (ValueError, KeyError, TypeError):
            self._json(422, {"detail": [{"loc": ["body"], "msg": "invalid body"}]})
            return
        errors = (
            [{"loc": ["body", "email"], "msg": "not an email"}]
            if email.count("@") != 1 or not email.rpartition("@")[2]
            else []
        )
        if not isinstance(password, str) or len(password) < 8:
            errors.append({"loc": ["body", "password"], "msg": "at least 8 characters"})
        if errors:
            self._json(422, {"detail": errors})
            return
        first_run = not api.accounts
        domain = email.rpartition("@")[2]
        allowed = api.signup_mode == "open" or (
            api.signup_mode == "domains" and domain in api.signup_domains
        )
        if not (allowed or first_run):
            self._json(
                403,
                {
                    "detail": "sign-up is by invitation only"
                    if api.signup_mode == "invite"
                    else "sign-up is limited to addresses at "
                    + ", ".join(sorted(api.signup_domains))
                },
            )
            return
        if first_run:
            api.accounts[email] = password
            self._json(
                201, {"id": _next_id(), "email": email, "created_at": "2026-01-01T00:00:00Z"}
            )
            return
        if email in api.accounts:
            api.mails.append(("signup_taken", email, ""))
        elif api.signup_confirm:
            link = f"signup-{_next_id()}"
            api.pending[link] = (email, password)
            api.mails.append(("signup_confirm", email, link))
        else:
            api.accounts[email] = password
        self._json(202, {"detail": SIGNUP_SENT})

    def _confirm_signup(self, body: bytes) -> None:
        api = self.api
        try:
            link = json.loads(body)["token"]
        except (ValueError, KeyError, TypeError):
            link = None
        if not isinstance(link, str) or not 1 <= len(link) <= 600:
            self._json(422, {"detail": [{"loc": ["body", "token"], "msg": "a link's token"}]})
            return
        email, password = api.pending.pop(link, ("", ""))
        if not email or email in api.accounts:
            self._json(401, {"detail": "invalid, used or expired sign-up link"})
            return
        api.accounts[email] = password
        token = secrets.token_urlsafe(16)
        api.tokens.add(token)
        self._json(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600})

    def _locate(self, body: bytes) -> None:
        try:
            email = json.loads(body)["email"]
        except (ValueError, KeyError, TypeError):
            email = None
        if not isinstance(email, str) or "@" not in email:
            self._json(422, {"detail": [{"loc": ["body", "email"], "msg": "not an email"}]})
            return
        url = self.api.cells.get(email, self.api.url)
        self._json(200, {"cell": "a", "api_url": url})

    def _monitors(self, body: bytes) -> None:
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[len("Bearer ") :] not in self.api.tokens:
            self._json(401, {"detail": "Not authenticated"})
            return
        self._json(200, {"items": self.api.monitors, "next": self.api.next})

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.api.set_cookie:
            self.send_header("Set-Cookie", f"{self.api.set_cookie}; Path=/")
        self.end_headers()
        self.wfile.write(body)


def monitor(
    name: str,
    status: str = "up",
    *,
    url: str = "https://example.com/",
    latency_ms: float | None = 123.4,
    checked_at: str | None = "2025-01-01T12:00:00+00:00",
    error: str | None = None,
    http_status: int | None = 200,
    monitor_id: str | None = None,
) -> dict[str, Any]:
    """A monitor as the API shows it, with one HTTP test and (unless unchecked) its state."""
    mid = monitor_id or secrets.token_hex(8)
    state = None
    if checked_at is not None:
        state = {
            "status": status,
            "since": checked_at,
            "checked_at": checked_at,
            "latency_ms": latency_ms,
            "http_status": http_status,
            "error_kind": "http_status" if error else None,
            "error": error,
            "region": "local",
        }
    test = {
        "id": secrets.token_hex(8),
        "monitor_id": mid,
        "kind": "http",
        "region": "local",
        "interval_s": 60,
        "timeout_s": 10,
        "enabled": True,
        "config": {"url": url, "method": "GET", "expected_status": [200]},
        "state": state,
    }
    return {
        "id": mid,
        "name": name,
        "created_at": "2025-01-01T00:00:00+00:00",
        "status": status,
        "tests": [test],
    }


def stored_test(data: dict[str, Any], mid: Any) -> dict[str, Any]:
    """A valid flat test body as the API shows it: the kind's fields in `config`."""
    top = ("kind", "interval_s", "timeout_s", "region", "regions", "alert_rule", "enabled")
    config = {k: v for k, v in data.items() if k not in top and v is not None}
    region = data.get("region") or "local"
    return {
        "id": _next_id(),
        "monitor_id": mid,
        "kind": data["kind"],
        "region": region,
        "regions": data.get("regions") or [region],
        "interval_s": data.get("interval_s", 60),
        "timeout_s": data.get("timeout_s", 10),
        "enabled": data.get("enabled", True),
        "config": config,
        "alert_rule": data.get("alert_rule"),
        "state": None,
    }


def flat(test: dict[str, Any]) -> dict[str, Any]:
    """A stored test as the flat body that made it."""
    keep = ("kind", "interval_s", "timeout_s", "alert_rule")
    return {**{k: test[k] for k in keep if test.get(k) is not None}, **test["config"]}


_ids = iter(range(1000, 10**9))


def _next_id() -> int:
    return next(_ids)


_RESOURCES: list[tuple[str, Any]] = [
    (r"POST /api/v1/monitors", _Handler._create_monitor),
    (r"GET /api/v1/monitors/(\d+)", _Handler._get_monitor),
    (r"PATCH /api/v1/monitors/(\d+)", _Handler._rename_monitor),
    (r"DELETE /api/v1/monitors/(\d+)", _Handler._delete_monitor),
    (r"POST /api/v1/monitors/(\d+)/tests", _Handler._add_test),
    (r"(?:PATCH|DELETE) /api/v1/monitors/(\d+)/tests/(\d+)", _Handler._change_test),
    (r"GET /api/v1/monitors/(\d+)/stats", _Handler._stats),
    (r"GET /api/v1/tests/(\d+)/series", _Handler._series),
    (r"GET /api/v1/tests/(\d+)/results", _Handler._results),
    (r"GET /api/v1/incidents", _Handler._incidents),
    (r"(?:GET|POST) /api/v1/incidents/(\d+)(/updates)?", _Handler._incidents),
    (r"POST /api/v1/incidents/(\d+)/acknowledge", _Handler._acknowledge),
    (r"GET /api/v1/nodes", _Handler._nodes),
    (r"GET /api/v1/auth/me", _Handler._me),
    (r"GET /api/v1/system", _Handler._system),
    (r"GET /api/v1/(members)", _Handler._collection),
    (
        r"(?:GET|POST|DELETE) /api/v1/notification-channels/(\d+)/(monitors|attempts|test)"
        r"(?:/(\d+))?",
        _Handler._channel_part,
    ),
    (r"POST /api/v1/status-pages/(\d+)/domain/verify", _Handler._verify_domain),
    (
        r"(?:GET|POST) /api/v1/status-pages/(\d+)/manual-incidents(?:/(\d+))?(/updates)?",
        _Handler._manual,
    ),
    (
        r"(?:GET|POST|PATCH|DELETE) /api/v1/status-pages/(\d+)/monitors(?:/(\d+))?",
        _Handler._page_monitors,
    ),
    (
        r"(?:GET|POST|PATCH|DELETE) /api/v1/(status-pages|notification-channels|"
        r"maintenance-windows)(?:/(\d+))?",
        _Handler._collection,
    ),
]
