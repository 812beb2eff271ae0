"""The response envelope: ``{"data", "meta"}`` on success, ``{"error", "meta"}`` on failure."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from orbit_voice.kit.timeutil import iso

T = TypeVar("T")


class Meta(BaseModel):
    request_id: str
    timestamp: str


class Pagination(BaseModel):
    cursor: str | None
    has_more: bool
    total: int


class ListMeta(Meta):
    pagination: Pagination


class Envelope(BaseModel, Generic[T]):
    data: T
    meta: Meta


class ListEnvelope(BaseModel, Generic[T]):
    data: list[T]
    meta: ListMeta


class ErrorBody(BaseModel):
    code: str
    message: str
    param: str | None = None
    details: dict[str, Any] | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody
    meta: Meta


def meta_for(request: Request) -> Meta:
    clock = request.app.state.clock
    request_id = getattr(request.state, "request_id", None) or "req_unknown"
    return Meta(request_id=request_id, timestamp=iso(clock.now()))


def ok(request: Request, data: T) -> Envelope[T]:
    return Envelope[T](data=data, meta=meta_for(request))


def page(request: Request, items: list[T], pagination: Pagination) -> ListEnvelope[T]:
    meta = meta_for(request)
    return ListEnvelope[T](data=items, meta=ListMeta(**meta.model_dump(), pagination=pagination))


def error_response(
    request: Request,
    status_code: int,
    code: str,
    message: str,
    param: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorEnvelope(
        error=ErrorBody(code=code, message=message, param=param, details=details),
        meta=meta_for(request),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope, "description": desc}
    for code, desc in {
        400: "The body is not valid JSON",
        401: "Missing, unknown or revoked API key",
        403: "The key lacks the scope this endpoint needs (or a URL's signature is not valid)",
        404: "No such resource in your organisation",
        409: "The resource is in a state that does not allow this",
        413: "The upload is too large",
        415: "The upload is not a format this endpoint takes",
        422: "Invalid input; `error.param` names the field",
        503: "A service this needs (the media engine, text to speech) is not available",
    }.items()
}
