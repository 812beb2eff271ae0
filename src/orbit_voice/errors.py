"""The one error base class; the API edge renders every subclass in the error envelope."""

from __future__ import annotations

from typing import Any


class OrbitError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        details: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.details = details
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code


class Unauthorized(OrbitError):
    status_code = 401
    code = "unauthorized"


class Forbidden(OrbitError):
    status_code = 403
    code = "forbidden"


class NotFound(OrbitError):
    status_code = 404
    code = "not_found"


class Conflict(OrbitError):
    status_code = 409
    code = "conflict"


class Invalid(OrbitError):
    status_code = 422
    code = "validation_error"


class ServiceUnavailable(OrbitError):
    status_code = 503
    code = "service_unavailable"


def not_found(kind: str, resource_id: str, param: str | None = None) -> NotFound:
    return NotFound(f"No {kind} with id '{resource_id}'.", code=f"{kind}_not_found", param=param)
