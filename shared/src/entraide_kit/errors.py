"""Typed errors and the handlers that render every failure in the contract's shape.

400: ``{"field": ["message"], "non_field_errors": [...]}``; every other status:
``{"detail": "..."}`` (plus ``code`` where the contract shows one). A FastAPI
422 never leaves a service: request validation failures become 400s.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("entraide.errors")


class APIError(Exception):
    status_code = 400
    default_detail = "Bad request."
    default_code: str | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.code = code or self.default_code
        self.headers = dict(headers or {})
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"detail": self.detail}
        if self.code:
            out["code"] = self.code
        return out


class BadRequest(APIError):
    status_code = 400


class ValidationFailed(APIError):
    """400 with field errors: ``ValidationFailed({"email": ["Enter a valid email address."]})``."""

    status_code = 400

    def __init__(self, errors: Mapping[str, Sequence[str] | str]) -> None:
        self.errors = {k: [v] if isinstance(v, str) else list(v) for k, v in errors.items()}
        super().__init__("Invalid input.")

    @classmethod
    def field(cls, name: str, message: str) -> ValidationFailed:
        return cls({name: [message]})

    def body(self) -> dict[str, Any]:
        return dict(self.errors)


class NotAuthenticated(APIError):
    status_code = 401
    default_detail = "Authentication credentials were not provided."


class AuthenticationFailed(APIError):
    status_code = 401
    default_detail = "Incorrect authentication credentials."


class InvalidToken(AuthenticationFailed):
    default_detail = "Given token not valid for any token type"
    default_code = "token_not_valid"


class PermissionDenied(APIError):
    status_code = 403
    default_detail = "You do not have permission to perform this action."


class NotFound(APIError):
    status_code = 404
    default_detail = "Not found."


class NotAcceptable(APIError):
    status_code = 406
    default_detail = "Could not satisfy the request Accept header."


class PayloadTooLarge(APIError):
    status_code = 413
    default_detail = "Request body is too large."


class UnsupportedMediaType(APIError):
    status_code = 415
    default_detail = "Unsupported media type in request."


class Throttled(APIError):
    status_code = 429
    default_detail = "Request was throttled."


class ServiceUnavailable(APIError):
    status_code = 503
    default_detail = "Service temporarily unavailable, try again later."


# Pydantic error types rendered in the words API clients already know (DRF's).
_MESSAGES: dict[str, str] = {
    "missing": "This field is required.",
    "int_parsing": "A valid integer is required.",
    "int_type": "A valid integer is required.",
    "int_from_float": "A valid integer is required.",
    "float_parsing": "A valid number is required.",
    "float_type": "A valid number is required.",
    "decimal_parsing": "A valid number is required.",
    "bool_parsing": "Must be a valid boolean.",
    "bool_type": "Must be a valid boolean.",
    "string_type": "Not a valid string.",
    "date_parsing": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    "date_from_datetime_parsing": (
        "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
    ),
    "date_type": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    "datetime_parsing": "Datetime has wrong format. Use ISO 8601.",
    "datetime_from_date_parsing": "Datetime has wrong format. Use ISO 8601.",
    "datetime_type": "Datetime has wrong format. Use ISO 8601.",
    "time_parsing": "Time has wrong format. Use one of these formats instead: hh:mm[:ss].",
    "time_type": "Time has wrong format. Use one of these formats instead: hh:mm[:ss].",
    "url_parsing": "Enter a valid URL.",
    "url_type": "Enter a valid URL.",
    "url_scheme": "Enter a valid URL.",
    "list_type": "Expected a list of items.",
    "dict_type": "Expected a dictionary of items.",
    "model_type": "Invalid data. Expected a dictionary.",
    "model_attributes_type": "Invalid data. Expected a dictionary.",
    "json_type": "Value must be valid JSON.",
}


def _message(err: Mapping[str, Any]) -> str:
    etype = err.get("type", "")
    ctx = err.get("ctx") or {}
    if etype in _MESSAGES:
        return _MESSAGES[etype]
    if etype in ("literal_error", "enum"):
        return f'"{err.get("input")}" is not a valid choice.'
    if etype == "string_too_short":
        if ctx.get("min_length") == 1:
            return "This field may not be blank."
        return f"Ensure this field has at least {ctx.get('min_length')} characters."
    if etype == "string_too_long":
        return f"Ensure this field has no more than {ctx.get('max_length')} characters."
    if etype in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return f"Ensure this value is greater than or equal to {bound}."
    if etype in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return f"Ensure this value is less than or equal to {bound}."
    if etype == "too_long":
        return f"Ensure this field has no more than {ctx.get('max_length')} elements."
    if etype == "value_error":
        msg = str(err.get("msg", ""))
        if "email" in msg.lower() and "valid" in msg.lower():
            return "Enter a valid email address."
        return msg.removeprefix("Value error, ")
    if etype == "string_pattern_mismatch":
        return "This value does not match the required pattern."
    return str(err.get("msg", "Invalid value."))


def validation_errors_to_fields(errors: Sequence[Mapping[str, Any]]) -> tuple[int, dict[str, Any]]:
    """Turn pydantic errors into (status, body) in the contract's shape."""
    fields: dict[str, list[str]] = {}
    for err in errors:
        loc = list(err.get("loc") or ())
        etype = err.get("type", "")
        if etype == "json_invalid":
            ctx = err.get("ctx") or {}
            return 400, {"detail": f"JSON parse error - {ctx.get('error', 'invalid JSON')}"}
        if loc and loc[0] == "path":
            # A malformed id in the path names no resource: that is a 404.
            return 404, {"detail": "Not found."}
        if loc and loc[0] in ("body", "query", "header", "cookie", "form"):
            loc = loc[1:]
        # Drop union-member and validator tags pydantic inserts, keep field names/indexes.
        parts = [
            str(p)
            for p in loc
            if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
        ]
        if not parts:
            key = "non_field_errors"
            msg = (
                "No data provided."
                if etype == "missing"
                else "Invalid data. Expected a dictionary."
                if etype in ("model_attributes_type", "dict_type", "model_type")
                else _message(err)
            )
        else:
            key = ".".join(parts)
            msg = _message(err)
        bucket = fields.setdefault(key, [])
        if msg not in bucket:
            bucket.append(msg)
    return 400, fields


def _response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(dict(body), status_code=status, headers=dict(headers or {}))


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, APIError)
    headers = dict(exc.headers)
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    return _response(exc.status_code, exc.body(), headers)


async def request_validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    status, body = validation_errors_to_fields(exc.errors())
    return _response(status, body)


_HTTP_DETAILS = {
    404: "Not found.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to perform this action.",
}


async def http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        detail = f'Method "{request.method}" not allowed.'
    elif isinstance(exc.detail, str) and exc.detail and exc.detail not in ("Not Found",):
        detail = exc.detail
    else:
        detail = _HTTP_DETAILS.get(exc.status_code, "Error.")
    if exc.status_code == 422:
        return _response(400, {"non_field_errors": [detail]})
    return _response(exc.status_code, {"detail": detail}, exc.headers)


INT32 = range(-(2**31), 2**31)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (SQLAlchemy's ``orig``, then causes)."""
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(out) < 5 and seen not in out:
        out.append(seen)
        seen = getattr(seen, "orig", None) or seen.__cause__
    return out


def _is_data_error(exc: BaseException) -> bool:
    """asyncpg's class 22 "data exception": a number out of its column's range, a NUL
    character in text... (raised by the server, or by asyncpg encoding an argument)."""
    from asyncpg.exceptions import DataError

    return any(isinstance(e, DataError) for e in _chain(exc))


def _database_unreachable(exc: BaseException) -> bool:
    """The database is down, restarting, or dropped the connection."""
    from asyncpg.exceptions import (
        InterfaceError,
        OperatorInterventionError,
        PostgresConnectionError,
    )

    if getattr(exc, "connection_invalidated", False):
        return True
    for e in _chain(exc):
        if isinstance(e, ConnectionError | TimeoutError):
            return True
        if isinstance(e, PostgresConnectionError | OperatorInterventionError):
            return True
        if isinstance(e, InterfaceError) and "connection" in str(e):
            return True
    return False


def _unavailable() -> JSONResponse:
    return _response(503, {"detail": ServiceUnavailable.default_detail}, {"Retry-After": "5"})


async def database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot hold is the client's mistake (400, or 404 for an id
    in the path); a database that cannot be reached is a 503, not a server error."""
    if _database_unreachable(exc):
        log.warning("database unreachable: %s", exc)
        return _unavailable()
    if not _is_data_error(exc):
        return await unhandled_error_handler(request, exc)
    for value in request.path_params.values():
        # An id no row can have (past the column's range) names no resource.
        if isinstance(value, str) and value.lstrip("-").isdigit() and int(value) not in INT32:
            return _response(404, {"detail": "Not found."})
    return _response(
        400,
        {
            "non_field_errors": [
                "A value is out of range or holds characters that cannot be stored."
            ]
        },
    )


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if _database_unreachable(exc):
        # Also what the edge middleware's token check meets with PostgreSQL down
        # (asyncpg raises a refused connection as a bare ConnectionRefusedError).
        log.warning("database unreachable: %r", exc)
        return _unavailable()
    log.exception("unhandled error", exc_info=exc)
    return _response(500, {"detail": "A server error occurred."})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(APIError, api_error_handler)
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(DBAPIError, database_error_handler)
    # The lean reads (fastread) run on asyncpg itself: its errors come unwrapped.
    from asyncpg.exceptions import DataError

    app.add_exception_handler(DataError, database_error_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)
