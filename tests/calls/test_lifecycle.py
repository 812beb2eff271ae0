"""Each magic number's full lifecycle on the simulator, driven by the FakeClock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from helpers import create_agent, create_call, create_number, get_call
from orbit_voice.kit.clock import FakeClock


async def statuses(api: httpx.AsyncClient, call_id: str) -> list[str]:
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    assert r.status_code == 200
    events = sorted(r.json()["data"], key=lambda e: e["seq"])
    return [e["to_status"] for e in events if e["to_status"]]


async def test_spec_curl_example_returns_the_spec_shape(api: httpx.AsyncClient) -> None:
    await create_number(api, "+12025551234")
    agent = await create_agent(api, "Support")
    r = await api.post(
        "/v1/voice/calls",
        json={
            "to": "+14155552671",
            "from": "+12025551234",
            "agent_id": agent,
            "record": True,
            "webhook_url": "https://example.com/webhooks/calls",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"data", "meta"}
    data = body["data"]
    assert data["id"].startswith("call_")
    assert data["to"] == "+14155552671"
    assert data["from"] == "+12025551234"
    assert data["agent_id"] == agent
    assert data["status"] == "initiating"
    assert data["record"] is True
    assert data["created_at"].endswith("Z")
    assert body["meta"]["request_id"].startswith("req_")
    assert r.headers["X-Request-Id"] == body["meta"]["request_id"]


@pytest.mark.parametrize(
    ("to", "advance", "final", "reason", "sip"),
    [
        ("+14155552671", 2, "in_progress", None, 200),
        ("+15005550001", 2, "busy", "busy", 486),
        ("+15005550002", 30, "no_answer", "no_answer", 408),
        ("+15005550003", 1, "failed", "failed", 503),
        ("+15005550004", 32, "completed", "far_end_hangup", 200),
    ],
)
async def test_magic_numbers(
    api: httpx.AsyncClient,
    clock: FakeClock,
    to: str,
    advance: float,
    final: str,
    reason: str | None,
    sip: int,
) -> None:
    await create_number(api)
    call = await create_call(api, to)
    await clock.advance(advance)
    got = await get_call(api, call["id"])
    assert got["status"] == final
    assert got["end_reason"] == reason
    assert got["sip_code"] == sip
    history = await statuses(api, call["id"])
    assert history[0] == "initiating"
    assert history[-1] == final


async def test_answered_call_ends_with_hangup_and_has_duration(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    call = await create_call(api)
    await clock.advance(1)
    assert (await get_call(api, call["id"]))["status"] == "ringing"
    await clock.advance(1)
    await clock.advance(45)
    r = await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    assert r.status_code == 200, r.text
    got = r.json()["data"]
    assert got["status"] == "completed"
    assert got["end_reason"] == "hangup"
    assert got["duration_seconds"] == 45
    assert await statuses(api, call["id"]) == ["initiating", "ringing", "in_progress", "completed"]
    again = await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "call_not_active"


async def test_hangup_while_ringing_cancels(api: httpx.AsyncClient, clock: FakeClock) -> None:
    await create_number(api)
    call = await create_call(api)
    await clock.advance(1)
    r = await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    assert r.json()["data"]["status"] == "cancelled"
    await clock.advance(5)  # the simulator's answer must not resurrect it
    assert (await get_call(api, call["id"]))["status"] == "cancelled"


async def test_max_duration_ends_the_call(api: httpx.AsyncClient, clock: FakeClock) -> None:
    await create_number(api)
    call = await create_call(api, max_duration=60)
    await clock.advance(2)
    await clock.advance(59)
    assert (await get_call(api, call["id"]))["status"] == "in_progress"
    await clock.advance(1)
    got: dict[str, Any] = await get_call(api, call["id"])
    assert got["status"] == "completed"
    assert got["end_reason"] == "max_duration"
    assert got["duration_seconds"] == 60
