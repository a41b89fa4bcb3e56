"""Every error the API answers, in one envelope: ``{"error": {"code", "message", "field"}}``.

The codes come from `talking_head.errors` (the same a failed job records), so
an HTTP error and a failed job read alike. `add_error_handlers` installs the
handlers: this package's own errors (`TalkingHeadError`: bad input, a full
queue, an unreachable store, a wrong set-up), FastAPI's request validation,
and HTTP errors (the router's own 404 and 405 included).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ..errors import TalkingHeadError, status_code
from .models import ErrorResponse

RETRY_AFTER_S = 5
RETRY_STATUSES = (429, 503, 507)  # worth trying again shortly: the answer says when


def envelope(status: int, code: str, message: str, field: str | None = None, headers=None) -> JSONResponse:
    """The one error body."""
    if status in RETRY_STATUSES:
        headers = {"Retry-After": str(RETRY_AFTER_S), **(headers or {})}
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status, headers=headers)


def error_responses(*statuses: int) -> dict:
    """The OpenAPI `responses` of a route that may answer these error statuses."""
    return {status: {"model": ErrorResponse} for status in statuses}


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TalkingHeadError)
    async def our_error(request: Request, exc: TalkingHeadError):
        record = exc.record()
        return envelope(exc.status, record["code"], record["message"], record["field"])

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        first: dict[str, Any] = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header")]
        field = loc[0] if loc else None
        message = f"{field}: {first['msg']}" if field else first["msg"]
        return envelope(422, "invalid_request", message + ".", field)

    @app.exception_handler(StarletteHTTPException)  # also the router's own 404 and 405
    async def http_error(request: Request, exc: StarletteHTTPException):
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return envelope(
            exc.status_code, status_code(exc.status_code), str(exc.detail), getattr(exc, "field", None), headers=headers
        )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path (the router's own 405 names only the first route's)."""
    methods = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= route.methods
    return sorted(methods)


class FieldHTTPException(StarletteHTTPException):
    """An HTTP error about one request field, raised where FastAPI lets only HTTP errors through
    (while it reads the body)."""

    def __init__(self, status: int, message: str, field: str):
        super().__init__(status, message)
        self.field = field
