"""Idempotency-Key: a retried POST replays the first answer and never dials twice."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from helpers import CALLER_ID, create_number
from orbit_voice.idempotency.models import IdempotencyRecord
from orbit_voice.kit.clock import FakeClock
from orbit_voice.orgs.service import hash_key

BODY = {"to": "+14155552671", "from": CALLER_ID}


async def count_calls(api: httpx.AsyncClient) -> int:
    r = await api.get("/v1/voice/calls")
    return int(r.json()["meta"]["pagination"]["total"])


async def test_retry_replays_and_creates_one_call(api: httpx.AsyncClient, app: Any) -> None:
    await create_number(api)
    headers = {"Idempotency-Key": "order-42"}
    first = await api.post("/v1/voice/calls", json=BODY, headers=headers)
    second = await api.post("/v1/voice/calls", json=BODY, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    assert await count_calls(api) == 1
    sim = app.state.runtime.media.get("sim")
    assert len(sim.legs) == 1  # dialled once


async def test_same_key_other_body_is_422(api: httpx.AsyncClient) -> None:
    await create_number(api)
    headers = {"Idempotency-Key": "k1"}
    assert (await api.post("/v1/voice/calls", json=BODY, headers=headers)).status_code == 201
    other = {**BODY, "to": "+14155552672"}
    r = await api.post("/v1/voice/calls", json=other, headers=headers)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "idempotency_key_reused"
    assert await count_calls(api) == 1


async def test_in_flight_duplicate_is_409(api: httpx.AsyncClient, app: Any) -> None:
    await create_number(api)
    key = api.headers["X-API-Key"]
    async with app.state.sessionmaker() as session:
        import hashlib
        import json

        from orbit_voice.idempotency.middleware import _canonical

        fingerprint = hashlib.sha256(
            b"/v1/voice/calls\n" + _canonical(json.dumps(BODY).encode())
        ).hexdigest()
        session.add(
            IdempotencyRecord(
                scope=hash_key(key),
                key="busy",
                fingerprint=fingerprint,
                status="processing",
                created_at=app.state.clock.now(),
            )
        )
        await session.commit()
    r = await api.post("/v1/voice/calls", json=BODY, headers={"Idempotency-Key": "busy"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "idempotency_key_in_use"
    assert await count_calls(api) == 0


async def test_concurrent_duplicates_create_one_call(api: httpx.AsyncClient) -> None:
    await create_number(api)
    headers = {"Idempotency-Key": "race"}
    results = await asyncio.gather(
        *(api.post("/v1/voice/calls", json=BODY, headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in results} <= {201, 409}
    ids = {r.json()["data"]["id"] for r in results if r.status_code == 201}
    assert len(ids) == 1
    assert await count_calls(api) == 1


async def test_key_expires_after_24_hours(api: httpx.AsyncClient, clock: FakeClock) -> None:
    await create_number(api)
    headers = {"Idempotency-Key": "daily"}
    a = await api.post("/v1/voice/calls", json=BODY, headers=headers)
    await clock.advance(24 * 3600 + 1)
    b = await api.post("/v1/voice/calls", json=BODY, headers=headers)
    assert a.json()["data"]["id"] != b.json()["data"]["id"]
    assert await count_calls(api) == 2


async def test_validation_failures_are_replayed_too(api: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "bad"}
    a = await api.post("/v1/voice/calls", json={"to": "nope"}, headers=headers)
    b = await api.post("/v1/voice/calls", json={"to": "nope"}, headers=headers)
    assert a.status_code == b.status_code == 422
    assert b.headers["Idempotent-Replayed"] == "true"
