"""Request bodies are decoded once, strictly, here — whatever the handler.

Litestar converts bodies with `strict=False`, so `"4"` would pass for 4 beds and `"true"` for a
flag; a register fed from spreadsheets must refuse such cells instead of guessing. This
request class decodes a handler's `data` struct straight from the bytes with `strict=True`
(Litestar then passes the struct through untouched), so no handler has to remember anything:

- only `application/json` bodies are read (415 otherwise): a plain HTML form on another site
  cannot post to a cookie-authenticated route;
- an empty body, malformed JSON (where it broke), invalid UTF-8 or absurd nesting answer 400
  naming the body; wrong types and limits answer 422 naming the field;
- a NUL character is refused in every string (PostgreSQL cannot store it and SQLite would
  keep it silently), in the body and — by `refuse_nul_in_url` — in the path and query.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.empty import value_or_default

from housing.web.problems import FieldError, Problem, invalid

JSON_TYPES = ("application/json",)
_struct_of: dict[BaseRouteHandler, type[msgspec.Struct] | None] = {}


def body_struct(handler: BaseRouteHandler) -> type[msgspec.Struct] | None:
    """The struct a handler's `data` parameter expects, looked up once per handler."""
    if handler not in _struct_of:
        field = handler.parsed_data_field
        target = field.annotation if field is not None else None
        _struct_of[handler] = target if isinstance(target, type) and issubclass(target, msgspec.Struct) else None
    return _struct_of[handler]


EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)


def nul_path(value: Any, path: str = "") -> str | None:
    """Where the first unusable value sits in a decoded body (`records[3].txn_id`), if anywhere:
    a string with a NUL character, or a date outside 1900–2199 (no lease, shift or payslip of
    this park is dated year 1 or 9999, and date arithmetic there overflows)."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value  # a datetime is a date too
        return None if EARLIEST <= day <= LATEST else (path or "body")
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            found = nul_path(getattr(value, name), f"{path}.{name}" if path else name)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = nul_path(item, f"{path}[{index}]")
            if found:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            found = nul_path(key, path) or nul_path(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    return None


def decode_strictly(raw: bytes, target: type[msgspec.Struct]) -> msgspec.Struct:
    if not raw.strip():
        raise Problem(400, "empty_body", errors=[FieldError("body", "empty_body")])
    try:
        value = msgspec.json.decode(raw, type=target, strict=True)
    except msgspec.ValidationError as error:
        raise ValidationException(extra=[{"message": str(error), "key": None, "source": "body"}]) from None
    except msgspec.DecodeError as error:
        reason = str(error).removeprefix("JSON is malformed: ")
        raise Problem(400, "malformed_body", errors=[FieldError("body", "malformed_at", {"reason": reason})]) from None
    except UnicodeDecodeError as error:
        raise Problem(400, "malformed_body", errors=[FieldError("body", "not_utf8", {"at": error.start})]) from None
    except RecursionError:
        raise Problem(400, "malformed_body", errors=[FieldError("body", "too_deep")]) from None
    if where := nul_path(value):
        raise invalid(where, "unusable_value")
    return value


class ApiRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        target = body_struct(self.route_handler)
        if target is None:
            return await super().json()
        cached = value_or_default(self._connection_state.json, None)
        if isinstance(cached, target):
            return cached
        media_type = self.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type not in JSON_TYPES:
            raise Problem(415, "unsupported_media_type", errors=[FieldError("content-type", "json_only")])
        value = decode_strictly(await self.body(), target)
        self._json = self._connection_state.json = value
        return value


def refuse_nul_in_url(app: ASGIApp) -> ASGIApp:
    """A byte search on the raw path and query; the rest of the request is not touched."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            b"%00" in scope.get("query_string", b"")
            or "\x00" in scope["path"]
            or b"%00" in scope.get("raw_path", b"")
        ):
            raise Problem(400, "invalid_input", errors=[FieldError("query", "nul_character")])
        await app(scope, receive, send)

    return middleware
