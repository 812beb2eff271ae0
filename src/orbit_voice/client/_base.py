"""Request plumbing shared by the sync and async clients: building requests, reading the
envelope into typed models, turning error envelopes into exceptions."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
from pydantic import BaseModel

from orbit_voice.client._errors import OrbitError, error_from_response
from orbit_voice.client._models import ListResponse, Response

M = TypeVar("M", bound=BaseModel)

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = 30.0
API_PREFIX = "/v1/voice"
FileInput = str | os.PathLike[str] | bytes | IO[bytes]


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def settings(api_key: str | None, base_url: str | None) -> tuple[str, str]:
    key = api_key or os.environ.get("ORBIT_API_KEY")
    if not key:
        raise OrbitError("Pass api_key=... or set ORBIT_API_KEY.")
    url = base_url or os.environ.get("ORBIT_BASE_URL") or DEFAULT_BASE_URL
    return key, url.rstrip("/")


def client_headers(api_key: str) -> dict[str, str]:
    from orbit_voice import __version__

    return {"X-API-Key": api_key, "User-Agent": f"orbit-voice-python/{__version__}"}


def body(**fields: Any) -> dict[str, Any]:
    """A JSON body without the arguments left at None (the server's defaults apply)."""
    return {k: v for k, v in fields.items() if v is not None}


def query(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def idempotency(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


def file_part(file: FileInput, filename: str | None) -> tuple[str, Any, str]:
    if isinstance(file, bytes):
        return (filename or "sample", file, "application/octet-stream")
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        return (filename or path.name, path.read_bytes(), "application/octet-stream")
    name = filename or Path(getattr(file, "name", "sample") or "sample").name
    return (name, file, "application/octet-stream")


def build(req: Req) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"method": req.method, "url": API_PREFIX + req.path}
    if req.json is not None:
        kwargs["json"] = req.json
    if req.params:
        kwargs["params"] = req.params
    if req.data is not None:
        kwargs["data"] = req.data
    if req.files is not None:
        kwargs["files"] = req.files
    if req.headers:
        kwargs["headers"] = req.headers
    return kwargs


def check(response: httpx.Response) -> httpx.Response:
    if response.is_error:
        raise error_from_response(response)
    return response


def one(response: httpx.Response, model: type[M]) -> Response[M]:
    return Response[model].model_validate(response.json())  # type: ignore[valid-type]


def many(response: httpx.Response, model: type[M]) -> ListResponse[M]:
    return ListResponse[model].model_validate(response.json())  # type: ignore[valid-type]
