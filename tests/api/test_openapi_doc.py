"""The OpenAPI document's statuses and the 405's Allow header, without a database."""

from __future__ import annotations

from typing import Any

import pytest

from api.app import create_app
from tests.api.helpers import running, settings

pytestmark = pytest.mark.unit

DOC = create_app(settings("postgresql://127.0.0.1:1/unused")).openapi()
OPERATIONS = [
    (f"{method.upper()} {path}", op)
    for path, item in DOC["paths"].items()
    for method, op in item.items()
]
PUBLIC = {
    "GET /api/v1/health",
    "POST /api/v1/auth/signup",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/logout",
    "POST /api/v1/auth/locate",
    "POST /api/v1/auth/accept-invite",
    "GET /api/v1/auth/signup-policy",
    "POST /api/v1/auth/password-reset",
    "POST /api/v1/auth/password-reset/confirm",
    "POST /api/v1/auth/signup/confirm",
}


def _public(name: str) -> bool:
    """What a visitor without an account may call: the listed auth routes, and /public/."""
    return name in PUBLIC or name.split()[1].startswith("/api/v1/public/")


def _schema(op: dict[str, Any], code: str) -> dict[str, Any]:
    return op["responses"][code]["content"]["application/json"]["schema"]


@pytest.mark.parametrize(("name", "op"), OPERATIONS, ids=[n for n, _ in OPERATIONS])
def test_every_operation_documents_what_the_machinery_answers(name: str, op: dict) -> None:
    responses = op["responses"]
    if not _public(name):
        assert _schema(op, "401") == {"$ref": "#/components/schemas/ErrorOut"}, name
    if "requestBody" in op:
        assert {"400", "413", "422"} <= set(responses), name
    if "422" in responses:
        schema = _schema(op, "422")
        refs = [s["$ref"] for s in schema.get("anyOf", [schema])]
        assert "#/components/schemas/ValidationErrorOut" in refs, name


def test_writes_document_the_role_refusal() -> None:
    writes = [
        (n, op)
        for n, op in OPERATIONS
        if n.split()[0] in ("POST", "PATCH", "DELETE")
        and not _public(n)
        and "/api/v1/auth/" not in n
    ]  # one's own log-in: any role
    assert writes
    for name, op in writes:
        assert "403" in op["responses"], name


def test_the_422_schema_is_the_list_the_api_sends() -> None:
    detail = DOC["components"]["schemas"]["ValidationErrorOut"]["properties"]["detail"]
    assert detail["type"] == "array"
    assert "HTTPValidationError" not in DOC["components"]["schemas"]


async def test_a_405_allows_every_method_of_the_path() -> None:
    async with running(create_app(settings("postgresql://127.0.0.1:1/unused"))) as api:
        for method, path, allowed in [
            ("PUT", "/api/v1/monitors", "GET, POST"),
            ("PUT", "/api/v1/monitors/5", "DELETE, GET, PATCH"),
            ("OPTIONS", "/api/v1/auth/me", "GET, PATCH"),
        ]:
            response = await api.request(method, path)
            assert (response.status_code, response.headers["allow"]) == (405, allowed), path
