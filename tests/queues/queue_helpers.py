"""Helpers for the queue tests: calls in progress, agents, queues, and reading state back."""

from __future__ import annotations

from typing import Any

import httpx

from helpers import CALLER_ID, create_number, get_call
from orbit_voice.kit.clock import FakeClock

CUSTOMER = "+14155552671"


async def setup_number(api: httpx.AsyncClient) -> None:
    await create_number(api, CALLER_ID)


async def answered_calls(api: httpx.AsyncClient, clock: FakeClock, n: int = 1) -> list[str]:
    """``n`` outbound calls, answered by the simulator (2 s of ringing)."""
    ids = []
    for i in range(n):
        r = await api.post(
            "/v1/voice/calls", json={"to": f"+1415555{2600 + i:04d}", "from": CALLER_ID}
        )
        assert r.status_code == 201, r.text
        ids.append(str(r.json()["data"]["id"]))
    await clock.advance(2)
    for call_id in ids:
        assert (await get_call(api, call_id))["status"] == "in_progress"
    return ids


async def agent(
    api: httpx.AsyncClient, name: str, *, kind: str = "ai", presence: str | None = None
) -> str:
    body: dict[str, Any] = {"name": name, "kind": kind}
    if presence is not None:
        body["presence"] = presence
    r = await api.post("/v1/voice/agents", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def get_agent(api: httpx.AsyncClient, agent_id: str) -> dict[str, Any]:
    r = await api.get(f"/v1/voice/agents/{agent_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def set_status(api: httpx.AsyncClient, agent_id: str, status: str) -> dict[str, Any]:
    r = await api.post(f"/v1/voice/agents/{agent_id}/status", json={"status": status})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def queue(api: httpx.AsyncClient, agent_ids: list[str], **extra: Any) -> str:
    r = await api.post(
        "/v1/voice/queues", json={"name": "Support", "agent_ids": agent_ids, **extra}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def enqueue(
    api: httpx.AsyncClient, queue_id: str, call_id: str, priority: int = 0
) -> dict[str, Any]:
    r = await api.post(
        f"/v1/voice/queues/{queue_id}/enqueue", json={"call_id": call_id, "priority": priority}
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def stats(api: httpx.AsyncClient, queue_id: str) -> dict[str, Any]:
    r = await api.get(f"/v1/voice/queues/{queue_id}/stats")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def hang_up(api: httpx.AsyncClient, call_id: str) -> None:
    r = await api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text


async def events(api: httpx.AsyncClient, call_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    assert r.status_code == 200, r.text
    return sorted(r.json()["data"], key=lambda e: e["seq"])


async def event_types(api: httpx.AsyncClient, call_id: str) -> list[str]:
    return [e["type"] for e in await events(api, call_id)]


async def agent_of(api: httpx.AsyncClient, call_id: str) -> str | None:
    agent_id = (await get_call(api, call_id))["agent_id"]
    return None if agent_id is None else str(agent_id)


async def children(api: httpx.AsyncClient, call_id: str) -> list[dict[str, Any]]:
    r = await api.get("/v1/voice/calls", params={"limit": 100})
    return [c for c in r.json()["data"] if c["parent_call_id"] == call_id]
