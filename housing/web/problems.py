"""RFC 9457 problem details for every error the API gives.

A rule raises `Problem` with a message key and, for bad input, the fields at fault; the
handlers here turn it, Litestar's own HTTP exceptions (validation, 401, 403, 404, 405) and
database integrity errors into `application/problem+json` in the reader's language. Nothing
else reaches the client: an unexpected error is logged and answered with a plain 500 that
leaks no data.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import msgspec
from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsException

from housing.web.i18n import pick_language, text, translate_validation

log = logging.getLogger("housing")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://park-housing.example/problems/"


@dataclass
class FieldError:
    """One field at fault; `key` is a message key of `housing.web.i18n` or a raw message."""

    field: str
    key: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)


class Problem(ProblemDetailsException):
    """A problem a person can act on: a status, a message key, maybe the fields at fault."""

    def __init__(
        self,
        status_code: int,
        key: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(detail=key, status_code=status_code, headers=headers)
        self.key = key
        self.errors = errors or []
        self.params = params

    def to_response(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        lang = pick_language(request.headers.get("accept-language"))
        errors = [{"field": e.field, "message": text(e.key, lang, field=e.field, **e.params)} for e in self.errors]
        return problem_response(
            request, self.status_code, self.key, text(self.key, lang, **self.params), errors, self.headers
        )


def invalid(field_name: str, key: str, **params: Any) -> Problem:
    """Bad input in one field: 422, naming the field."""
    return Problem(422, "invalid_input", errors=[FieldError(field_name, key, params)])


def not_found() -> Problem:
    """Missing and not-yours answer the same, so a firm cannot probe another firm's ids."""
    return Problem(404, "not_found")


_TITLES: dict[int, str] = {
    400: "title_bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "title_not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "title_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "title_too_many",
    500: "server_error",
}
"""A short title per status, without placeholders; the detail says the particulars."""

_DETAILS: dict[int, str] = {
    400: "invalid_input",
    401: "not_authenticated",
    403: "forbidden",
    404: "route_not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "title_too_many",
}


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    key: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    lang = pick_language(request.headers.get("accept-language"))
    body: dict[str, Any] = {
        "type": TYPE_BASE + key.replace("_", "-"),
        "title": text(_TITLES[status], lang) if status in _TITLES else detail,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_of(key: str | None) -> str:
    """msgspec reports `$.firms[3].beds`-style paths; the client wants `beds` or `firms[3].beds`."""
    if not key or key == "data":  # Litestar names the request body `data`
        return "body"
    return key.removeprefix("$.").removeprefix("$") or "body"


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Litestar's validation errors (bad JSON, wrong types, limits) → 422 naming each field."""
    lang = pick_language(request.headers.get("accept-language"))
    errors: list[dict[str, str]] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        if item.get("key") == "data" and message == "'data'":
            # Litestar found no body at all for a handler that needs one.
            empty = [{"field": "body", "message": text("empty_body", lang)}]
            return problem_response(request, 400, "empty_body", text("empty_body", lang), empty)
        field_name = _field_of(item.get("key"))
        at = re.search(r" - at `\$\.?([^`]*)`$", message)
        if at and field_name == "body":
            field_name = at.group(1) or "body"
        named = re.match(r"^Object (?:contains unknown|missing required) field `([^`]+)`", message)
        if named:
            field_name = named.group(1) if field_name == "body" else f"{field_name}.{named.group(1)}"
        errors.append({"field": field_name, "message": translate_validation(message, lang)})
    if not errors:
        errors.append({"field": "body", "message": translate_validation(str(exc.detail), lang)})
    return problem_response(request, 422, "invalid_input", text("invalid_input", lang), errors)


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    lang = pick_language(request.headers.get("accept-language"))
    key = _DETAILS.get(status, "server_error" if status >= 500 else "invalid_input")
    return problem_response(request, status, key, text(key, lang), headers=exc.headers)


UNIQUE_FIELDS: dict[str, tuple[str, str]] = {}
"""A unique constraint or index (its name on PostgreSQL, `table.column` of its last column on
SQLite, which reports no names) → the field to blame and the message key. Features register
theirs with `unique_field`, so a race the service's own check could not see answers exactly
as the check would have."""


def unique_field(names: tuple[str, ...], field_name: str, key: str = "duplicate") -> None:
    for name in names:
        UNIQUE_FIELDS[name] = (field_name, key)


def _constraint_of(exc: Exception) -> tuple[str, str | None]:
    """("unique" | "foreign_key" | "rule" | "other", the constraint's name) from the exception itself."""
    import sqlite3

    import asyncpg

    if isinstance(exc, asyncpg.UniqueViolationError):
        return "unique", exc.constraint_name
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return "foreign_key", exc.constraint_name
    if isinstance(exc, asyncpg.ExclusionViolationError | asyncpg.CheckViolationError):
        return "rule", exc.constraint_name
    if isinstance(exc, sqlite3.IntegrityError):
        kind = {
            "SQLITE_CONSTRAINT_UNIQUE": "unique",
            "SQLITE_CONSTRAINT_PRIMARYKEY": "unique",
            "SQLITE_CONSTRAINT_FOREIGNKEY": "foreign_key",
            "SQLITE_CONSTRAINT_TRIGGER": "rule",
            "SQLITE_CONSTRAINT_CHECK": "rule",
        }.get(exc.sqlite_errorname, "other")
        if kind == "rule":  # our triggers raise with the rule's name as the whole message
            return kind, str(exc)
        # SQLite names no unique constraint; its message lists the columns: "UNIQUE constraint failed: t.a, t.b".
        columns = str(exc).partition(": ")[2]
        return kind, columns.rsplit(", ", 1)[-1] or None
    return "other", None


def integrity_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A race the service's own checks could not see; the database refused, nothing was written."""
    lang = pick_language(request.headers.get("accept-language"))
    kind, name = _constraint_of(exc)
    log.info("integrity error on %s %s: %s %s", request.method, request.url.path, kind, name)
    if kind == "foreign_key":
        return problem_response(request, 409, "in_use", text("in_use", lang))
    errors = None
    if name in UNIQUE_FIELDS:
        field_name, key = UNIQUE_FIELDS[name]
        sent = request._connection_state.json  # the body as it was decoded, if any
        value = getattr(sent, field_name, None)
        if key == "duplicate" and not isinstance(value, str | int):
            key = "duplicate_no_value"
        errors = [{"field": field_name, "message": text(key, lang, field=field_name, value=value)}]
    return problem_response(request, 409, "conflict", text("conflict", lang), errors)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    lang = pick_language(request.headers.get("accept-language"))
    return problem_response(request, 500, "server_error", text("server_error", lang))


class FieldErrorOut(msgspec.Struct):
    field: str
    message: str


class ProblemBody(msgspec.Struct):
    """RFC 9457 problem details, as every error of this API is answered."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldErrorOut] | msgspec.UnsetType = msgspec.UNSET


_DOCUMENTED = {
    400: "Malformed or empty body, or a NUL character in the URL",
    401: "Not logged in, or the session has ended",
    403: "The role may not do this (or the firm has left the park)",
    404: "No such record, or not yours to see",
    409: "Conflicts with an existing record",
    415: "The body is not application/json",
    422: "Invalid input; `errors` names each field",
    429: "Too many failed logins; see Retry-After",
}


def document_problems(app: Litestar) -> None:
    """Document the problem answers on every /api route (Litestar would call its 400 plain JSON)."""
    responses = {
        status: ResponseSpec(
            data_container=ProblemBody, media_type=PROBLEM_MEDIA_TYPE, description=description, generate_examples=False
        )
        for status, description in _DOCUMENTED.items()
    }
    for route in app.routes:
        if not route.path.startswith("/api"):
            continue
        for handler in getattr(route, "route_handlers", []):
            handler.responses = {**responses, **(handler.responses or {})}


def exception_handlers() -> dict[type[Exception] | int, Any]:
    import sqlite3

    import asyncpg

    handlers: dict[type[Exception] | int, Any] = {
        Problem: lambda request, exc: exc.to_response(request),
        ValidationException: validation_handler,
        HTTPException: http_exception_handler,
        sqlite3.IntegrityError: integrity_handler,
        asyncpg.IntegrityConstraintViolationError: integrity_handler,
        Exception: internal_error_handler,
    }
    return handlers
