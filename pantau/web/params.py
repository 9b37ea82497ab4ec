"""The one validation layer for web, API and tipline input: typed query, path and form values with bounds,
and a JSON decoder with size, depth and number-length limits.

Every parser raises :class:`ParamError` (``field``, an English and an Indonesian message); pages turn it
into a 400 page through :func:`checked`, the API into ``{"error": ...}`` with 400 (``api.token_guard``).
Integers take ASCII digits only (``str.isdigit`` is true for ``'²'``), ids lie in 1..2^63-1 (what
SQLite and PostgreSQL can hold), dates in 2000-01-01..2100-12-31, text carries no NUL (PostgreSQL
refuses it) or lone surrogate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import date
from functools import wraps
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response

from pantau.web.context import ctx_of

MAX_ID = 2**63 - 1
MIN_DAY, MAX_DAY = date(2000, 1, 1), date(2100, 12, 31)
MAX_PAGE = 10_000
MAX_TEXT_CHARS = 120
#: JSON limits of :func:`load_json` (the tipline's body): nesting depth, digits in a number.
MAX_JSON_DEPTH = 20
MAX_NUMBER_CHARS = 40

_DIGITS = re.compile(r"[0-9]{1,19}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)  # unterminated: to the end
_BRACKETS = re.compile(rb"[\[\]{}]")

Endpoint = Callable[[Request], Awaitable[Response]]


class ParamError(ValueError):
    """An input value that cannot be used: ``field`` names it; ``message`` (English, for the API) and
    ``pesan`` (Indonesian, for the pages) say why."""

    def __init__(self, field: str, message: str, pesan: str):
        self.field, self.message, self.pesan = field, message, pesan
        super().__init__(f"{field}: {message}")


def clean_text(value: str, field: str) -> str:
    """``value`` unchanged, or ParamError if it holds a NUL or a lone surrogate."""
    if _BAD_CHARS.search(value):
        raise ParamError(
            field, "contains a NUL byte or a lone surrogate", "berisi karakter NUL atau surrogate tunggal"
        )
    return value


def text(raw: str | None, field: str, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    """A free-text filter, trimmed; empty or over-long values mean no filter (None)."""
    value = clean_text((raw or "").strip(), field)
    return value if value and len(value) <= max_chars else None


def choice(raw: str | None, field: str, allowed: Collection[str]) -> str | None:
    """One of ``allowed``, or None when empty."""
    value = (raw or "").strip()
    if not value:
        return None
    if value not in allowed:
        listed = ", ".join(allowed)
        raise ParamError(field, f"use one of {listed}", f"harus salah satu dari: {listed}")
    return value


def integer(raw: str | None, field: str, *, default: int, low: int, high: int, clamp: bool = False) -> int:
    """A whole number of ASCII digits in ``low..high`` (``clamp``: pulled into the range instead)."""
    value = (raw or "").strip()
    if not value:
        return default
    if not _DIGITS.fullmatch(value):
        raise ParamError(field, "use a whole number (digits 0-9)", "harus bilangan bulat (angka 0-9)")
    number = int(value)
    if clamp:
        return min(max(number, low), high)
    if not low <= number <= high:
        raise ParamError(field, f"use a number from {low} to {high}", f"harus angka {low} sampai {high}")
    return number


def page_number(params: Mapping[str, str]) -> int:
    """The ``page`` of a listing page, 1..MAX_PAGE; anything unusable is page 1 (links are built by the
    app, so a garbled number is a stale or edited link, not worth an error page)."""
    try:
        return integer(params.get("page"), "page", default=1, low=1, high=MAX_PAGE, clamp=True)
    except ParamError:
        return 1


def day(raw: str | None, field: str) -> date | None:
    """A date YYYY-MM-DD within MIN_DAY..MAX_DAY, or None when empty."""
    value = (raw or "").strip()
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value) if _DAY.fullmatch(value) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ParamError(field, "use a date like 2024-11-27", "gunakan tanggal seperti 2024-11-27")
    if not MIN_DAY <= parsed <= MAX_DAY:
        raise ParamError(
            field, f"use a date from {MIN_DAY} to {MAX_DAY}", f"tanggal harus antara {MIN_DAY} dan {MAX_DAY}"
        )
    return parsed


def record_id(value: object, field: str) -> int:
    """A database id, 1..MAX_ID, from an int (a path converter's) or a string of ASCII digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = integer(str(value), field, default=0, low=0, high=10**19)
    if not 1 <= number <= MAX_ID:
        raise ParamError(field, f"use an id from 1 to {MAX_ID}", f"nomor harus 1 sampai {MAX_ID}")
    return number


def form_id(value: object) -> int | None:
    """A form field holding an id (a leading ``#`` allowed); None if empty or unusable (the caller
    words the message for its form)."""
    raw = str(value or "").strip().lstrip("#")
    try:
        return record_id(raw, "id") if raw else None
    except ParamError:
        return None


def _up_to(limit: int) -> str:
    """A regex for the decimal numbers 1..limit without leading zeros."""
    digits = str(limit)
    parts = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"]  # fewer digits than ``limit``
    for i, d in enumerate(digits):
        low = "1" if i == 0 else "0"
        if int(d) > int(low):
            rest = len(digits) - i - 1
            parts.append(digits[:i] + f"[{low}-{int(d) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "(?:" + "|".join(parts + [digits]) + ")"


class IdConvertor(Convertor[int]):
    """``{name:id}`` in a route path: a database id, 1..MAX_ID. Any other number matches no route (404),
    so no handler sees it; Starlette's ``{name:int}`` takes any digits, and over 4,300 of them fail in
    ``int()`` before any handler runs."""

    regex = _up_to(MAX_ID)

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(record_id(value, "id"))


register_url_convertor("id", IdConvertor())


def checked(endpoint: Endpoint) -> Endpoint:
    """A page endpoint whose ParamError becomes a 400 error page in Indonesian."""

    @wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ParamError as exc:
            return ctx_of(request).render(
                request,
                "error.html",
                {"status": 400, "message": f"Isian tidak sah: {exc.field}: {exc.pesan}"},
                status_code=400,
            )

    return wrapper


# --- JSON bodies ---------------------------------------------------------------------------------


class JsonLimitError(ParamError):
    """A JSON body that is not valid JSON or breaks a limit; ``reason`` is a SkipReason value."""

    def __init__(self, message: str, reason: str = "malformed"):
        self.reason = reason
        super().__init__("body", message, message)


def _number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(literal: str) -> Any:
        if len(literal) > MAX_NUMBER_CHARS:
            raise JsonLimitError(f"a number longer than {MAX_NUMBER_CHARS} characters", "too_large")
        return kind(literal)

    return parse


def _constant(name: str) -> Any:
    raise JsonLimitError(f"{name} is not JSON")


def _depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects, outside strings (the body's syntax is checked later)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub(b'""', body)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            clean_text(current, "body")
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def load_json(body: bytes, *, max_bytes: int, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The decoded JSON of a UTF-8 ``body``; raises JsonLimitError (never RecursionError, ValueError
    from a huge number, or a NUL/lone surrogate left in a string)."""
    if len(body) > max_bytes:
        raise JsonLimitError(f"body over {max_bytes} bytes", "too_large")
    if _depth(body) > max_depth:
        raise JsonLimitError(f"nested deeper than {max_depth} levels", "too_large")
    try:
        decoded = body.decode("utf-8")
        value = json.loads(
            decoded, parse_int=_number(int), parse_float=_number(float), parse_constant=_constant
        )
    except JsonLimitError:
        raise
    except UnicodeDecodeError:
        raise JsonLimitError("not valid UTF-8", "bad_encoding") from None
    except json.JSONDecodeError as exc:
        raise JsonLimitError(f"not valid JSON ({exc.msg})") from None
    except (RecursionError, ValueError) as exc:  # a last line of defence behind the limits above
        raise JsonLimitError(f"not usable JSON ({exc.__class__.__name__})") from None
    try:
        _check_strings(value)
    except ParamError as exc:
        raise JsonLimitError(f"a string {exc.message}") from None
    return value
