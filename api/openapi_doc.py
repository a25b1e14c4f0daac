"""The statuses every operation can answer, added to the OpenAPI document in one place.

A client generator trusts the document, so it must list every status an operation answers,
each with its body. Routes document what only they answer (a 404 for their resource, a 409
for their conflict); what comes from the machinery around them is added here, from what
each route depends on rather than by hand per route:

- 401 when it needs a caller (`current_caller`), 403 and 423 when it needs a role
  (`require`: editor or owner; a frozen account is moving cells), 403 for operators' routes;
- 422 with the shape `api.errors.validation_error` really sends (`detail` a list naming each
  field) on every operation that takes input; a route whose own 422 carries a message
  (`detail` a string) keeps that too, as the other of two shapes;
- 400 and 413 on every operation with a body: a body that is not UTF-8 cannot be parsed
  (FastAPI's 400), one over VIGIL_MAX_BODY_BYTES is refused before it is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import _get_api_route_for_openapi
from fastapi.routing import _APIRouteLike, iter_route_contexts  # a route, as the doc reads it
from pydantic import BaseModel, Field

from api import deps
from api.schemas import ErrorOut

_ERROR_REF = "#/components/schemas/ErrorOut"
_INVALID_REF = "#/components/schemas/ValidationErrorOut"


class FieldError(BaseModel):
    """One refused field: pydantic's error, its input echoed safely (`api.errors`)."""

    type: str = Field(description="what is wrong, e.g. missing, string_too_long, value_error")
    loc: list[str | int] = Field(
        description="where: body, query, path or header, then the field's path",
        examples=[["body", "name"]],
    )
    msg: str
    input: Any = Field(
        None, description="the refused value, cut to 256 characters; left out for secrets"
    )
    ctx: dict[str, Any] | None = Field(None, description="the rule's parameters, e.g. {'ge': 30}")


class ValidationErrorOut(BaseModel):
    """The 422 of input that breaks the schema or a rule: each bad field, named."""

    detail: list[FieldError]


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _ERROR_REF}}},
    }


# status -> (the dependency whose presence means the operation can answer it, its answer)
_BY_DEPENDENCY: list[tuple[Callable[..., Any], int, dict[str, Any]]] = [
    (deps.current_caller, 401, _error("no valid token or API key (WWW-Authenticate: Bearer)")),
    (deps.editor_account, 403, _error("the caller's role may not do this")),
    (deps.editor_caller, 403, _error("the caller's role may not do this")),
    (deps.owner_caller, 403, _error("the caller's role may not do this")),
    (deps.admin_account, 403, _error("this is for the operator's accounts")),
    (deps.editor_account, 423, _error("the account is moving to another cell; try again")),
    (deps.editor_caller, 423, _error("the account is moving to another cell; try again")),
    (deps.owner_caller, 423, _error("the account is moving to another cell; try again")),
]
_WITH_BODY = {
    400: _error("the body could not be parsed (not UTF-8)"),
    413: _error("the body is larger than the API takes (VIGIL_MAX_BODY_BYTES)"),
}
_INVALID = {
    "description": "invalid input: each refused field, named",
    "content": {"application/json": {"schema": {"$ref": _INVALID_REF}}},
}


def install(app: FastAPI) -> None:
    """Make `app.openapi()` document, for every operation, the statuses listed above."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(plain(), app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(schema: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """The document with each operation's machinery statuses and the real 422 added."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorOut, ValidationErrorOut):
        defs = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(defs.pop("$defs", {}))
        components[model.__name__] = defs
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for route in _api_routes(app):
        path = schema["paths"].get(route.path_format, {})
        for method in route.methods:
            operation = path.get(method.lower())
            if operation is not None:
                _complete_operation(operation, route)
    return schema


def _complete_operation(operation: dict[str, Any], route: _APIRouteLike) -> None:
    responses = operation.setdefault("responses", {})
    calls = set(_calls(route.dependant))
    for dependency, code, answer in _BY_DEPENDENCY:
        if dependency in calls:
            responses.setdefault(str(code), answer)
    if "requestBody" in operation:
        for code, answer in _WITH_BODY.items():
            responses.setdefault(str(code), answer)
    if "requestBody" in operation or operation.get("parameters") or "422" in responses:
        responses["422"] = _unprocessable(responses.get("422"))


def _unprocessable(declared: dict[str, Any] | None) -> dict[str, Any]:
    """The real 422, and the route's own (a message) if it declared one."""
    schema = (declared or {}).get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("$ref") != _ERROR_REF:
        return _INVALID
    assert declared is not None
    both = {"anyOf": [{"$ref": _INVALID_REF}, {"$ref": _ERROR_REF}]}
    return {
        "description": f"{_INVALID['description']}; or {declared['description']}",
        "content": {"application/json": {"schema": both}},
    }


def route_methods(app: FastAPI) -> Iterator[tuple[re.Pattern[str], set[str]]]:
    """(path regex, methods) of every documented route, for `api.allow`."""
    for route in _api_routes(app):
        yield route.path_regex, set(route.methods)


def _api_routes(app: FastAPI) -> Iterator[_APIRouteLike]:
    # The routes as FastAPI's own document generator sees them through included routers.
    for context in iter_route_contexts(app.routes):
        route = _get_api_route_for_openapi(context)
        if route is not None and route.include_in_schema:
            yield route


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)
