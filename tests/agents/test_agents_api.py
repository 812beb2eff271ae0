"""Agents: full CRUD, presence, and calls routed straight to an agent (connect_to_agent)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from helpers import CALLER_ID, create_number, get_call
from orbit_voice.calls import repository as calls_repo
from orbit_voice.calls.models import Call
from orbit_voice.db import pop_after_commit
from orbit_voice.kit.clock import FakeClock

Route = Callable[[Any, Any, Call], Awaitable[None]]


async def _agent(api: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await api.post("/v1/voice/agents", json={"name": "Jane", **body})
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def _status(api: httpx.AsyncClient, agent_id: str, status: str) -> httpx.Response:
    return await api.post(f"/v1/voice/agents/{agent_id}/status", json={"status": status})


async def _answered(api: httpx.AsyncClient, clock: FakeClock) -> str:
    await create_number(api)
    r = await api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID})
    await clock.advance(2)
    return str(r.json()["data"]["id"])


async def _route(app: Any, call_id: str, agent_id: str) -> None:
    """What a number's handler or an IVR option does: hand the call to the agent."""
    from orbit_voice.agents.service import connect_to_agent

    rt = app.state.runtime
    async with app.state.sessionmaker() as session:
        call = await calls_repo.get_call(session, None, call_id, lock=True)
        assert call is not None
        await connect_to_agent(session, rt, call, agent_id)
        await session.commit()
        hooks = pop_after_commit(session)
    for hook in hooks:
        await hook()


async def test_create_defaults_and_new_fields(api: httpx.AsyncClient) -> None:
    human = await _agent(api)
    assert {k: human[k] for k in human if k not in {"id", "created_at", "updated_at"}} == {
        "name": "Jane",
        "kind": "human",
        "presence": "offline",
        "wrap_up_seconds": 0,
        "sip_uri": None,
        "phone_number": None,
        "tts_voice_id": None,
        "calls_handled": 0,
        "current_call_id": None,
        "last_call_ended_at": None,
        "wrap_up_until": None,
    }
    bot = await _agent(api, kind="ai", wrap_up_seconds=5)
    assert (bot["presence"], bot["wrap_up_seconds"]) == ("available", 5)
    r = await api.post("/v1/voice/agents", json={"name": "X", "wrap_up_seconds": 3601})
    assert (r.status_code, r.json()["error"]["param"]) == (422, "wrap_up_seconds")


async def test_update_keeps_what_is_not_given(api: httpx.AsyncClient) -> None:
    agent = await _agent(api, wrap_up_seconds=15)
    r = await api.put(f"/v1/voice/agents/{agent['id']}", json={"name": "Jane Doe"})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["name"], data["wrap_up_seconds"], data["presence"]) == ("Jane Doe", 15, "offline")
    r = await api.put(f"/v1/voice/agents/{agent['id']}", json={"presence": "available"})
    assert r.json()["data"]["presence"] == "available"
    for body, param in [
        ({"kind": "ai"}, "kind"),
        ({"name": ""}, "name"),
        ({"presence": "x"}, "presence"),
    ]:
        r = await api.put(f"/v1/voice/agents/{agent['id']}", json=body)
        assert (r.status_code, r.json()["error"]["param"]) == (422, param)


async def test_contact_fields_are_checked_and_can_be_cleared(api: httpx.AsyncClient) -> None:
    agent = await _agent(api, sip_uri="SIP:alice@pbx.example.com:5070", phone_number="+14155550123")
    assert (agent["sip_uri"], agent["phone_number"]) == (
        "sip:alice@pbx.example.com:5070",
        "+14155550123",
    )
    for body, param, code in [
        ({"sip_uri": "alice@pbx.example.com"}, "sip_uri", "invalid_sip_uri"),
        ({"sip_uri": "sip:alice:secret@pbx.example.com"}, "sip_uri", "invalid_sip_uri"),
        ({"sip_uri": "sip:pbx.example.com:70000"}, "sip_uri", "invalid_sip_uri"),
        ({"phone_number": "4155550123"}, "phone_number", "invalid_phone_number"),
        ({"kind": "ai", "sip_uri": "sip:bot@example.com"}, "sip_uri", "field_not_allowed"),
        ({"kind": "ai", "phone_number": "+14155550123"}, "phone_number", "field_not_allowed"),
    ]:
        r = await api.post("/v1/voice/agents", json={"name": "X", **body})
        assert (r.status_code, r.json()["error"]["param"], r.json()["error"]["code"]) == (
            422,
            param,
            code,
        ), body
        r = await api.put(f"/v1/voice/agents/{agent['id']}", json=body)
        if "kind" not in body:
            assert (r.status_code, r.json()["error"]["param"]) == (422, param), body
    r = await api.put(f"/v1/voice/agents/{agent['id']}", json={"sip_uri": None})
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["sip_uri"], r.json()["data"]["phone_number"]) == (
        None,
        "+14155550123",
    )
    r = await api.put(f"/v1/voice/agents/{agent['id']}", json={"phone_number": None})
    assert r.json()["data"]["phone_number"] is None


async def test_status_endpoint(api: httpx.AsyncClient) -> None:
    agent = await _agent(api)
    for status in ["available", "busy", "wrap_up", "offline"]:
        r = await _status(api, agent["id"], status)
        assert (r.status_code, r.json()["data"]["presence"]) == (200, status)
    r = await _status(api, agent["id"], "away")
    assert (r.status_code, r.json()["error"]["param"]) == (422, "status")
    r = await api.post(f"/v1/voice/agents/{agent['id']}/status", json={})
    assert (r.status_code, r.json()["error"]["param"]) == (422, "status")
    r = await _status(api, "agt_nope", "available")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "agent_not_found")


async def test_other_orgs_agent_is_404(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    agent = await _agent(api)
    for method, path, body in [
        ("GET", "", None),
        ("PUT", "", {"name": "x"}),
        ("DELETE", "", None),
        ("POST", "/status", {"status": "available"}),
    ]:
        r = await other_api.request(method, f"/v1/voice/agents/{agent['id']}{path}", json=body)
        assert r.status_code == 404, (method, path)


async def test_delete_leaves_queues_and_refuses_while_on_a_call(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    bot = await _agent(api, kind="ai")
    keep = await _agent(api, kind="ai", name="Keep")
    r = await api.post("/v1/voice/queues", json={"name": "Q", "agent_ids": [bot["id"], keep["id"]]})
    queue_id = r.json()["data"]["id"]
    call_id = await _answered(api, clock)
    await _route(app, call_id, bot["id"])
    r = await api.delete(f"/v1/voice/agents/{bot['id']}")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "agent_on_call")
    await api.post(f"/v1/voice/calls/{call_id}/hangup")
    r = await api.delete(f"/v1/voice/agents/{bot['id']}")
    assert r.status_code == 204
    assert (await api.get(f"/v1/voice/agents/{bot['id']}")).status_code == 404
    r = await api.get(f"/v1/voice/queues/{queue_id}")
    assert r.json()["data"]["agent_ids"] == [keep["id"]]


async def test_delete_refuses_an_agent_a_number_routes_to(api: httpx.AsyncClient) -> None:
    agent = await _agent(api)
    r = await api.post(
        "/v1/voice/numbers",
        json={"number": "+12025550188", "handler": {"type": "agent", "target": agent["id"]}},
    )
    assert r.status_code == 201, r.text
    r = await api.delete(f"/v1/voice/agents/{agent['id']}")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "agent_in_use")


async def test_ai_agent_takes_a_routed_call_and_wraps_up(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    bot = await _agent(api, kind="ai", wrap_up_seconds=3)
    call_id = await _answered(api, clock)
    await _route(app, call_id, bot["id"])
    assert (await get_call(api, call_id))["agent_id"] == bot["id"]
    r = await api.get(f"/v1/voice/agents/{bot['id']}")
    assert (r.json()["data"]["presence"], r.json()["data"]["calls_handled"]) == ("busy", 1)
    # While on the call the agent cannot be made available (it would get a second call).
    r = await _status(api, bot["id"], "available")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "agent_on_call")
    await api.post(f"/v1/voice/simulator/calls/{call_id}/hangup")
    assert (await api.get(f"/v1/voice/agents/{bot['id']}")).json()["data"]["presence"] == "wrap_up"
    await clock.advance(3)
    assert (await api.get(f"/v1/voice/agents/{bot['id']}")).json()["data"]["presence"] == (
        "available"
    )


async def test_ai_agents_take_calls_side_by_side(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    bot = await _agent(api, kind="ai")
    first = await _answered(api, clock)
    r = await api.post("/v1/voice/calls", json={"to": "+14155552672", "from": CALLER_ID})
    second = r.json()["data"]["id"]
    await clock.advance(2)
    await _route(app, first, bot["id"])
    await _route(app, second, bot["id"])
    await api.post(f"/v1/voice/calls/{first}/hangup")
    assert (await api.get(f"/v1/voice/agents/{bot['id']}")).json()["data"]["presence"] == "busy"
    await api.post(f"/v1/voice/calls/{second}/hangup")
    data = (await api.get(f"/v1/voice/agents/{bot['id']}")).json()["data"]
    assert (data["presence"], data["calls_handled"]) == ("available", 2)


async def test_human_agent_phone_is_dialled_and_bridged(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    jane = await _agent(api, presence="available")
    call_id = await _answered(api, clock)
    await _route(app, call_id, jane["id"])
    calls = (await api.get("/v1/voice/calls")).json()["data"]
    [leg] = [c for c in calls if c["parent_call_id"] == call_id]
    assert (leg["to"], leg["leg_role"]) == (jane["id"], "agent")
    await clock.advance(2)
    assert (await get_call(api, call_id))["agent_id"] == jane["id"]
    sim = app.state.runtime.media.get("sim")
    assert sim.hears(call_id, leg["id"])
    # The agent sets itself offline during the call: it stays offline afterwards.
    r = await _status(api, jane["id"], "offline")
    assert r.status_code == 200
    await api.post(f"/v1/voice/calls/{call_id}/hangup")
    data = (await api.get(f"/v1/voice/agents/{jane['id']}")).json()["data"]
    assert (data["presence"], data["current_call_id"], data["calls_handled"]) == (
        "offline",
        None,
        1,
    )


@pytest.mark.parametrize("presence", ["offline", "busy", "wrap_up"])
async def test_unavailable_human_agent_is_refused(
    api: httpx.AsyncClient, clock: FakeClock, app: Any, presence: str
) -> None:
    from orbit_voice.errors import Conflict

    jane = await _agent(api, presence=presence)
    call_id = await _answered(api, clock)
    with pytest.raises(Conflict) as info:
        await _route(app, call_id, jane["id"])
    assert info.value.code == "agent_unavailable"


async def test_human_agent_not_answering_ends_a_direct_call(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    jane = await _agent(api, presence="available")
    call_id = await _answered(api, clock)
    await _route(app, call_id, jane["id"])
    calls = (await api.get("/v1/voice/calls")).json()["data"]
    [leg] = [c for c in calls if c["parent_call_id"] == call_id]
    await clock.advance(1)  # ringing
    r = await api.post(f"/v1/voice/simulator/calls/{leg['id']}/hangup")  # rejected on the phone
    assert r.json()["data"]["status"] == "cancelled"
    call = await get_call(api, call_id)
    assert (call["status"], call["end_reason"]) == ("completed", "agent_no_answer")
    assert (await api.get(f"/v1/voice/agents/{jane['id']}")).json()["data"]["presence"] == (
        "offline"
    )


async def test_claims_are_race_free_across_sessions(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    """Two transactions claiming the same available agent at once: exactly one wins."""
    import asyncio

    from orbit_voice.agents import presence
    from orbit_voice.agents.models import Agent

    jane = await _agent(api, presence="available")

    async def claim(call_id: str) -> bool:
        async with app.state.sessionmaker() as session:
            agent = await session.get(Agent, jane["id"])
            assert agent is not None
            won = await presence.claim(session, agent, call_id, clock.now())
            await asyncio.sleep(0.05)  # hold the transaction open while the other tries
            await session.commit()
            return won

    results = await asyncio.gather(claim("call_a"), claim("call_b"))
    assert sorted(results) == [False, True]
    data = (await api.get(f"/v1/voice/agents/{jane['id']}")).json()["data"]
    assert data["presence"] == "busy"
    assert data["current_call_id"] == ("call_a" if results[0] else "call_b")
