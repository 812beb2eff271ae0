"""A write that loses a version race is run again on fresh state before the client sees 409."""

from __future__ import annotations

import json

import httpx
from starlette.types import Receive, Scope, Send

from orbit_voice.api.retry import ATTEMPTS, RetryOnConcurrentUpdate


def app_failing(times: int, calls: list[bytes]) -> RetryOnConcurrentUpdate:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        body = (await receive())["body"]
        calls.append(body)
        lost = len(calls) <= times
        payload = {"error": {"code": "concurrent_update"}} if lost else {"data": {"ok": True}}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 409 if lost else 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": raw})

    return RetryOnConcurrentUpdate(inner)


async def request(app: RetryOnConcurrentUpdate) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.post("/v1/voice/calls/x/hangup", json={"a": 1})


async def test_retried_until_it_wins() -> None:
    calls: list[bytes] = []
    r = await request(app_failing(ATTEMPTS - 1, calls))
    assert r.status_code == 200
    assert len(calls) == ATTEMPTS and len(set(calls)) == 1  # the same body each time


async def test_gives_up_with_409() -> None:
    calls: list[bytes] = []
    r = await request(app_failing(99, calls))
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "concurrent_update"
    assert len(calls) == ATTEMPTS
