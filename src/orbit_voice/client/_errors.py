"""Exceptions the SDK raises. Every API error carries what the server's error envelope said::

OrbitError
├── APIConnectionError          the server could not be reached (status None)
└── OrbitAPIError               the server answered with an error envelope
    ├── BadRequestError             400
    ├── AuthenticationError         401
    ├── PermissionDeniedError       403
    ├── NotFoundError               404
    ├── ConflictError               409
    ├── PayloadTooLargeError        413
    ├── UnsupportedMediaTypeError   415
    ├── UnprocessableEntityError    422 (``param`` names the field)
    ├── RateLimitError              429
    └── InternalServerError         5xx (ServiceUnavailableError for 503)
"""

from __future__ import annotations

from typing import Any

import httpx


class OrbitError(Exception):
    """Base of every exception this SDK raises."""


class APIConnectionError(OrbitError):
    status: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OrbitAPIError(OrbitError):
    status: int

    def __init__(
        self,
        *,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.details = details
        self.request_id = request_id
        self.response = response


class BadRequestError(OrbitAPIError):
    pass


class AuthenticationError(OrbitAPIError):
    pass


class PermissionDeniedError(OrbitAPIError):
    pass


class NotFoundError(OrbitAPIError):
    pass


class ConflictError(OrbitAPIError):
    pass


class PayloadTooLargeError(OrbitAPIError):
    pass


class UnsupportedMediaTypeError(OrbitAPIError):
    pass


class UnprocessableEntityError(OrbitAPIError):
    pass


class RateLimitError(OrbitAPIError):
    pass


class InternalServerError(OrbitAPIError):
    pass


class ServiceUnavailableError(InternalServerError):
    pass


_BY_STATUS: dict[int, type[OrbitAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def error_from_response(response: httpx.Response) -> OrbitAPIError:
    """The exception for a non-2xx ``response`` (the error envelope, or what can be told)."""
    status = response.status_code
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else OrbitAPIError)
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    meta = body.get("meta") if isinstance(body, dict) else None
    request_id = response.headers.get("x-request-id")
    if isinstance(meta, dict) and isinstance(meta.get("request_id"), str):
        request_id = meta["request_id"]
    if not isinstance(error, dict):
        return cls(
            status=status,
            code="http_error",
            message=response.text[:500] or response.reason_phrase,
            request_id=request_id,
            response=response,
        )
    details = error.get("details")
    return cls(
        status=status,
        code=str(error.get("code", "error")),
        message=str(error.get("message", "")),
        param=error.get("param"),
        details=details if isinstance(details, dict) else None,
        request_id=request_id,
        response=response,
    )
