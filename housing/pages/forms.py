"""Form posts turned into the API's own request structs, and the API's problems into messages
next to each field.

A form sends text; `decode` converts it to the struct the JSON API decodes (a blank field is
"not sent", so the struct's default applies), with the same limits and the same NUL and date
checks. Anything the rules refuse comes back as the `Problem` the API would answer with, and
`messages` words it in the reader's language for the page.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import msgspec
from litestar import Request

from housing.pages.layout import lang_of, see_other
from housing.web.body import nul_path
from housing.web.i18n import MESSAGES, Lang, text, translate_validation
from housing.web.problems import FieldError, Problem, invalid

StructT = TypeVar("StructT", bound=msgspec.Struct)
R = TypeVar("R")
CSRF_FIELD = "_csrf_token"


async def form_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The posted fields (the CSRF token left out), stripped of surrounding spaces."""
    form = await request.form()
    return {k: str(v).strip() for k, v in form.items() if k != CSRF_FIELD and isinstance(v, str)}


def _field_of(message: str) -> str:
    named = re.search(r"field `([^`]+)`", message)
    if named:
        return named.group(1)
    at = re.search(r" - at `\$\.?([^`\[]*)", message)
    return at.group(1) if at and at.group(1) else "body"


def decode(values: dict[str, Any], target: type[StructT], lang: Lang) -> StructT:
    """The struct the API would have decoded; blank fields are left out. Bad values raise the
    422 `Problem` naming the field, with msgspec's reason worded as the API words it."""
    sent = {k: v for k, v in values.items() if v != "" and v is not None and k in target.__struct_fields__}
    try:
        value = msgspec.convert(sent, type=target, strict=False)
    except msgspec.ValidationError as error:
        message = str(error)
        raise Problem(
            422, "invalid_input", errors=[FieldError(_field_of(message), translate_validation(message, lang))]
        ) from None
    if where := nul_path(value):
        raise invalid(where, "unusable_value")
    return value


def yuan_to_fen(form: dict[str, str], yuan_field: str, fen_field: str) -> dict[str, str]:
    """A money field typed in yuan (`1500` or `1500.50`) as the API's fen field; the struct's
    own limits then judge the amount. More than two decimals is refused by name."""
    sent = {k: v for k, v in form.items() if k != yuan_field}
    yuan = form.get(yuan_field, "")
    if yuan:
        try:
            exact = Decimal(yuan) * 100
        except InvalidOperation:
            raise invalid(yuan_field, "unusable_value") from None
        if not exact.is_finite() or exact != exact.to_integral_value():
            raise invalid(yuan_field, "excel_yuan_precision")
        sent[fen_field] = str(int(exact))
    return sent


@dataclass
class Messages:
    """What a refused form shows: one line at the top and a message per field."""

    summary: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    status_code: int = 200


def messages(problem: Problem, lang: Lang) -> Messages:
    fields = {}
    for error in problem.errors:
        if error.key in MESSAGES:
            fields[error.field] = text(error.key, lang, field=error.field, **error.params)
        else:
            fields[error.field] = error.key
    return Messages(text(problem.key, lang, **problem.params), fields, problem.status_code)


async def submit(
    request: Request[Any, Any, Any],
    action: Callable[[], Awaitable[R]],
    done: str | Callable[[R], str],
    again: Callable[[Messages], Awaitable[Any]],
    *,
    own_page: bool = False,
) -> Any:
    """A page's form post, the one way every page does it: run the API's own function
    (`action`, which decodes the form inside, so a bad field is a refusal like any other); on
    success go to `done` (a 303, so a reload does not post again), on a refusal show the form
    `again` with the API's words and status. With `own_page` the post's address names the
    thing it acts on: its 404 stays the 404 page (someone else's application or ticket is
    not a form to show again), where a 404 of something picked in the form is the form's error."""
    try:
        result = await action()
    except Problem as problem:
        if own_page and problem.status_code == 404:
            raise
        return await again(messages(problem, lang_of(request)))
    return see_other(done if isinstance(done, str) else done(result))
