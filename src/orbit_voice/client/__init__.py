"""The Orbit Voice Python SDK, shipped in the server's package::

    from orbit_voice.client import OrbitClient

    orbit = OrbitClient(api_key="dv_test_sk_...", base_url="http://127.0.0.1:8000")
    call = orbit.voice.calls.create(
        to="+14155552671", from_number="+12025551234", agent_id="agt_...", record=True
    )
    print(call.data.id)
    for call in orbit.voice.calls.iter(limit=100):
        ...

``AsyncOrbitClient`` has the same resources with ``await``-able methods and ``async for``
iteration. Errors raise ``OrbitAPIError`` subclasses carrying ``status``, ``code``,
``message``, ``param``, ``details`` and ``request_id``. ``api_key`` and ``base_url`` default
to the ``ORBIT_API_KEY`` and ``ORBIT_BASE_URL`` environment variables.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from orbit_voice.client import _async, _sync
from orbit_voice.client._base import DEFAULT_TIMEOUT, client_headers, settings
from orbit_voice.client._errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    OrbitAPIError,
    OrbitError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
)
from orbit_voice.client._models import (
    Agent,
    Call,
    CallEvent,
    ListResponse,
    Meta,
    MonitoringSnapshot,
    Number,
    Object,
    Pagination,
    Recording,
    Resource,
    Response,
    SipCredential,
    SipCredentialWithPassword,
    SoftphoneToken,
    Trunk,
    VoiceClone,
    WebhookDelivery,
    WebhookSecret,
)


class OrbitClient:
    """Synchronous client. ``transport`` swaps httpx's network transport (tests, proxies)."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        key, url = settings(api_key, base_url)
        self.base_url = url
        self._http = http_client or httpx.Client(
            base_url=url, headers=client_headers(key), timeout=timeout, transport=transport
        )
        if http_client is not None:
            self._http.headers.update(client_headers(key))
        self._transport = _sync._T(self._http)
        self.voice = _sync.Voice(self._transport)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Any endpoint under ``/v1/voice`` (``path`` like ``"/calls"``), errors raised."""
        from orbit_voice.client._base import API_PREFIX, check

        return check(self._http.request(method, API_PREFIX + path, **kwargs))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OrbitClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncOrbitClient:
    """Asynchronous client; ``transport=httpx.ASGITransport(app)`` talks to an app in-process."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        key, url = settings(api_key, base_url)
        self.base_url = url
        self._http = http_client or httpx.AsyncClient(
            base_url=url, headers=client_headers(key), timeout=timeout, transport=transport
        )
        if http_client is not None:
            self._http.headers.update(client_headers(key))
        self._transport = _async._T(self._http)
        self.voice = _async.Voice(self._transport)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        from orbit_voice.client._base import API_PREFIX, check

        return check(await self._http.request(method, API_PREFIX + path, **kwargs))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncOrbitClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


__all__ = [
    "APIConnectionError",
    "Agent",
    "AsyncOrbitClient",
    "AuthenticationError",
    "BadRequestError",
    "Call",
    "CallEvent",
    "ConflictError",
    "InternalServerError",
    "ListResponse",
    "Meta",
    "MonitoringSnapshot",
    "NotFoundError",
    "Number",
    "Object",
    "OrbitAPIError",
    "OrbitClient",
    "OrbitError",
    "Pagination",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "Recording",
    "Resource",
    "Response",
    "ServiceUnavailableError",
    "SipCredential",
    "SipCredentialWithPassword",
    "SoftphoneToken",
    "Trunk",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "VoiceClone",
    "WebhookDelivery",
    "WebhookSecret",
]
