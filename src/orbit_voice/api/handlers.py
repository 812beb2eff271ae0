"""Exception handlers: every failure leaves in the error envelope, never a bare ``detail``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from orbit_voice.api.envelope import error_response
from orbit_voice.errors import OrbitError

log = logging.getLogger("orbit_voice.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _param(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or None


def install(app: FastAPI) -> None:
    @app.exception_handler(OrbitError)
    async def _orbit(request: Request, exc: OrbitError) -> JSONResponse:
        return error_response(
            request, exc.status_code, exc.code, exc.message, exc.param, exc.details
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "Invalid request"}
        param = _param(tuple(first.get("loc", ())))
        msg = str(first.get("msg", "Invalid request")).removeprefix("Value error, ")
        message = f"{param}: {msg}" if param else msg
        details = {
            "errors": [
                {"param": _param(tuple(e.get("loc", ()))), "message": str(e.get("msg"))}
                for e in errors
            ]
        }
        return error_response(request, 422, "validation_error", message, param, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = str(exc.detail) if exc.detail else code.replace("_", " ")
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = f"No route for {request.method} {request.url.path}."
        if exc.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}."
        return error_response(
            request, exc.status_code, code, message, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return error_response(
            request,
            409,
            "concurrent_update",
            "The resource changed while this request ran; read it again and retry.",
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return error_response(request, 500, "internal_error", "An unexpected error occurred.")
