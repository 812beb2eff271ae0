"""GET /v1/voice/monitoring: the wallboard snapshot of active calls, queues and agents."""

from __future__ import annotations

from typing import Any

import httpx

from helpers import CALLER_ID, create_call, create_number
from orbit_voice.kit.clock import FakeClock

URL = "/v1/voice/monitoring"


async def snapshot(api: httpx.AsyncClient) -> dict[str, Any]:
    r = await api.get(URL)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def agent(api: httpx.AsyncClient, name: str, presence: str, kind: str = "human") -> str:
    r = await api.post("/v1/voice/agents", json={"name": name, "kind": kind, "presence": presence})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def test_needs_the_monitor_scope(client: httpx.AsyncClient, make_key: Any) -> None:
    key = await make_key("acme", scopes=["voice:read", "voice:write"])
    r = await client.get(URL, headers={"X-API-Key": key})
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
    key = await make_key("acme", scopes=["voice:monitor"])
    r = await client.get(URL, headers={"X-API-Key": key})
    assert r.status_code == 200


async def test_empty_org(api: httpx.AsyncClient) -> None:
    r = await api.get(URL)
    assert set(r.json()) == {"data", "meta"}
    assert r.json()["data"] == {
        "active_calls": 0,
        "queued_calls": 0,
        "available_agents": 0,
        "busy_agents": 0,
        "calls": [],
    }


async def test_agent_presence_counts(api: httpx.AsyncClient, other_api: httpx.AsyncClient) -> None:
    for i, presence in enumerate(["available", "available", "busy", "wrap_up", "offline"]):
        await agent(api, f"a{i}", presence)
    await agent(other_api, "theirs", "available")
    data = await snapshot(api)
    assert (data["available_agents"], data["busy_agents"]) == (2, 2)


async def test_active_calls_with_live_durations(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    answered = await create_call(api, "+14155550101")
    await clock.advance(2)
    ended = await create_call(api, "+15005550001")  # busy after ringing
    await clock.advance(3)
    ringing = await create_call(api, "+14155550102")
    await create_number(other_api, "+12025550000")
    await other_api.post("/v1/voice/calls", json={"to": "+14155550103", "from": "+12025550000"})
    # A supervisor leg is part of the monitored call, not a call of its own.
    r = await api.post(
        f"/v1/voice/calls/{answered['id']}/listen", json={"supervisor": "+14155559999"}
    )
    assert r.status_code == 200
    await clock.advance(1)

    data = await snapshot(api)
    assert data["active_calls"] == 2
    assert [c["id"] for c in data["calls"]] == [ringing["id"], answered["id"]]  # newest first
    by_id = {c["id"]: c for c in data["calls"]}
    assert ended["id"] not in by_id
    first = by_id[answered["id"]]
    assert first == {
        "id": answered["id"],
        "from": CALLER_ID,
        "to": "+14155550101",
        "agent_id": None,
        "duration_seconds": 6,
        "queue_id": None,
        "started_at": "2026-03-08T12:00:00Z",
    }
    assert by_id[ringing["id"]]["duration_seconds"] == 1
    await clock.advance(81)
    later = {c["id"]: c for c in (await snapshot(api))["calls"]}
    assert later[answered["id"]]["duration_seconds"] == 87  # live, counted at each read
    await api.post(f"/v1/voice/calls/{answered['id']}/hangup")
    data = await snapshot(api)
    assert [c["id"] for c in data["calls"]] == [ringing["id"]]
    assert data["active_calls"] == 1


async def test_queued_calls_and_their_queue(api: httpx.AsyncClient, clock: FakeClock) -> None:
    busy_agent = await agent(api, "Jane", "busy")
    r = await api.post("/v1/voice/queues", json={"name": "Support", "agent_ids": [busy_agent]})
    assert r.status_code == 201, r.text
    queue_id = r.json()["data"]["id"]
    r = await api.post(
        "/v1/voice/numbers",
        json={"number": "+18005551234", "handler": {"type": "queue", "target": queue_id}},
    )
    assert r.status_code == 201, r.text
    callers = []
    for caller in ["+14155550101", "+14155550102"]:
        r = await api.post(
            "/v1/voice/simulator/inbound", json={"from": caller, "to": "+18005551234"}
        )
        callers.append(r.json()["data"]["id"])
    await clock.advance(2)  # routing answers both and puts them in the queue
    data = await snapshot(api)
    assert data["queued_calls"] == 2 and data["active_calls"] == 2
    assert {c["id"]: c["queue_id"] for c in data["calls"]} == {
        callers[0]: queue_id,
        callers[1]: queue_id,
    }
    assert (data["available_agents"], data["busy_agents"]) == (0, 1)
    await api.post(f"/v1/voice/simulator/calls/{callers[0]}/hangup")
    data = await snapshot(api)
    assert data["queued_calls"] == 1
    assert [(c["id"], c["queue_id"]) for c in data["calls"]] == [(callers[1], queue_id)]


async def test_counts_agree_with_the_list(api: httpx.AsyncClient, clock: FakeClock) -> None:
    await create_number(api)
    for i in range(5):
        await create_call(api, f"+1415555010{i}")
    await clock.advance(2)
    data = await snapshot(api)
    assert data["active_calls"] == len(data["calls"]) == 5
