"""listen / whisper / barge / unlisten: the supervisor leg, the rules, and the audio paths the
simulator routes (``sim.hears(listener, speaker)``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from helpers import create_call, create_number, get_call
from orbit_voice.kit.clock import FakeClock
from orbit_voice.media.graph import operator
from orbit_voice.media.sim import BUSY, SimBackend

SUPERVISOR = "+14155559999"
OTHER_SUPERVISOR = "+14155558888"


def sim_of(app: Any) -> SimBackend:
    backend = app.state.runtime.media.get("sim")
    assert isinstance(backend, SimBackend)
    return backend


async def answered(api: httpx.AsyncClient, clock: FakeClock) -> str:
    await create_number(api)
    call = await create_call(api)
    await clock.advance(2)
    return str(call["id"])


async def monitor(
    api: httpx.AsyncClient, call_id: str, mode: str, supervisor: str = SUPERVISOR
) -> httpx.Response:
    return await api.post(f"/v1/voice/calls/{call_id}/{mode}", json={"supervisor": supervisor})


async def events(api: httpx.AsyncClient, call_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    return sorted(r.json()["data"], key=lambda e: e["seq"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "listen"),
        ("POST", "whisper"),
        ("POST", "barge"),
        ("POST", "unlisten"),
    ],
)
async def test_every_verb_needs_the_monitor_scope(
    api: httpx.AsyncClient,
    client: httpx.AsyncClient,
    make_key: Any,
    clock: FakeClock,
    method: str,
    path: str,
) -> None:
    call_id = await answered(api, clock)
    key = await make_key("acme", scopes=["voice:read", "voice:write"])
    r = await client.request(
        method,
        f"/v1/voice/calls/{call_id}/{path}",
        json={"supervisor": SUPERVISOR},
        headers={"X-API-Key": key},
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "insufficient_scope"
    assert r.json()["error"]["details"] == {"required_scope": "voice:monitor"}


async def test_listen_is_silent(api: httpx.AsyncClient, clock: FakeClock, app: Any) -> None:
    call_id = await answered(api, clock)
    r = await monitor(api, call_id, "listen")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["call_id"], data["supervisor"], data["mode"], data["status"]) == (
        call_id,
        SUPERVISOR,
        "listen",
        "dialing",
    )
    leg = await get_call(api, data["supervisor_call_id"])
    assert (leg["to"], leg["parent_call_id"], leg["leg_role"]) == (
        SUPERVISOR,
        call_id,
        "supervisor",
    )
    sim = sim_of(app)
    sup, agent = data["supervisor_call_id"], operator(call_id)
    assert not sim.hears(sup, call_id)  # nothing until the supervisor answers
    await clock.advance(2)
    again = (await monitor(api, call_id, "listen")).json()["data"]
    assert (again["supervisor_call_id"], again["status"]) == (sup, "active")
    assert sim.hears(sup, call_id) and sim.hears(sup, agent)
    assert not sim.hears(call_id, sup) and not sim.hears(agent, sup)
    assert sim.hears(call_id, agent) and sim.hears(agent, call_id)  # the call goes on


async def test_switching_modes_keeps_the_same_supervisor_leg(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    call_id = await answered(api, clock)
    sup = (await monitor(api, call_id, "listen")).json()["data"]["supervisor_call_id"]
    await clock.advance(2)
    sim, agent = sim_of(app), operator(call_id)

    r = await monitor(api, call_id, "whisper")
    assert r.json()["data"]["supervisor_call_id"] == sup  # no redial
    assert r.json()["data"]["mode"] == "whisper"
    assert sim.hears(agent, sup) and not sim.hears(call_id, sup)
    assert sim.hears(sup, call_id) and sim.hears(sup, agent)

    r = await monitor(api, call_id, "barge")
    assert r.json()["data"]["supervisor_call_id"] == sup
    assert sim.hears(agent, sup) and sim.hears(call_id, sup)
    assert sim.hears(sup, call_id) and sim.hears(sup, agent)

    r = await monitor(api, call_id, "listen")
    assert not sim.hears(agent, sup) and not sim.hears(call_id, sup)
    r = await api.get("/v1/voice/calls", params={"limit": 100})
    assert [c["leg_role"] for c in r.json()["data"]].count("supervisor") == 1
    types = [e["type"] for e in await events(api, call_id)]
    assert types.count("call.monitor.started") == 1
    assert types.count("call.monitor.connected") == 1
    assert types.count("call.monitor.mode_changed") == 3


async def test_a_mode_chosen_while_the_supervisor_rings_applies_on_answer(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    call_id = await answered(api, clock)
    sup = (await monitor(api, call_id, "listen")).json()["data"]["supervisor_call_id"]
    await monitor(api, call_id, "barge")
    await clock.advance(2)
    sim = sim_of(app)
    assert sim.hears(call_id, sup) and sim.hears(operator(call_id), sup)


async def test_one_supervisor_at_a_time(api: httpx.AsyncClient, clock: FakeClock) -> None:
    call_id = await answered(api, clock)
    first = (await monitor(api, call_id, "listen")).json()["data"]
    r = await monitor(api, call_id, "barge", OTHER_SUPERVISOR)
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "monitor_in_progress"
    assert error["details"] == {
        "supervisor": SUPERVISOR,
        "mode": "listen",
        "supervisor_call_id": first["supervisor_call_id"],
    }


async def test_unlisten_hangs_the_supervisor_up(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    call_id = await answered(api, clock)
    sup = (await monitor(api, call_id, "whisper")).json()["data"]["supervisor_call_id"]
    await clock.advance(2)
    r = await api.post(f"/v1/voice/calls/{call_id}/unlisten")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "ended"
    leg = await get_call(api, sup)
    assert (leg["status"], leg["end_reason"]) == ("completed", "unlisten")
    sim = sim_of(app)
    assert not sim.hears(sup, call_id) and not sim.hears(operator(call_id), sup)
    assert (await get_call(api, call_id))["status"] == "in_progress"
    r = await api.post(f"/v1/voice/calls/{call_id}/unlisten")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_monitoring"
    # Someone else may monitor now.
    r = await monitor(api, call_id, "listen", OTHER_SUPERVISOR)
    assert r.status_code == 200 and r.json()["data"]["supervisor_call_id"] != sup


async def test_unlisten_while_the_supervisor_rings_cancels_the_leg(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    call_id = await answered(api, clock)
    sup = (await monitor(api, call_id, "listen")).json()["data"]["supervisor_call_id"]
    await clock.advance(1)
    r = await api.post(f"/v1/voice/calls/{call_id}/unlisten")
    assert r.json()["data"]["status"] == "ended"
    assert (await get_call(api, sup))["status"] == "cancelled"


async def test_supervisor_hangs_up_or_is_busy(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    call_id = await answered(api, clock)
    sup = (await monitor(api, call_id, "barge")).json()["data"]["supervisor_call_id"]
    await clock.advance(2)
    await api.post(f"/v1/voice/simulator/calls/{sup}/hangup")
    assert not sim_of(app).hears(call_id, sup)
    assert sup not in sim_of(app).monitors
    r = await monitor(api, call_id, "listen", BUSY)
    assert r.status_code == 200  # the first session is over
    await clock.advance(2)
    r = await monitor(api, call_id, "listen", OTHER_SUPERVISOR)
    assert r.status_code == 200  # the busy supervisor never connected
    types = [e["type"] for e in await events(api, call_id)]
    assert types.count("call.monitor.ended") == 2


async def test_the_call_ending_ends_the_monitoring(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    call_id = await answered(api, clock)
    sup = (await monitor(api, call_id, "listen")).json()["data"]["supervisor_call_id"]
    await clock.advance(2)
    await api.post(f"/v1/voice/calls/{call_id}/hangup")
    leg = await get_call(api, sup)
    assert (leg["status"], leg["end_reason"]) == ("completed", "parent_ended")
    assert sup not in sim_of(app).monitors
    r = await monitor(api, call_id, "listen")
    assert r.status_code == 409 and r.json()["error"]["code"] == "call_not_active"


async def test_whisper_reaches_the_bridged_agent_leg_only(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    """A call bridged to another leg (here a blind transfer): that leg is the agent side."""
    call_id = await answered(api, clock)
    r = await api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": "+14155550199"})
    assert r.status_code == 200
    await clock.advance(2)
    r = await api.get("/v1/voice/calls", params={"limit": 100})
    (agent_leg,) = [c["id"] for c in r.json()["data"] if c["leg_role"] == "transfer"]
    sup = (await monitor(api, call_id, "whisper")).json()["data"]["supervisor_call_id"]
    await clock.advance(2)
    sim = sim_of(app)
    assert sim.hears(agent_leg, sup) and not sim.hears(call_id, sup)
    assert sim.hears(sup, call_id) and sim.hears(sup, agent_leg)
    assert sim.hears(call_id, agent_leg) and sim.hears(agent_leg, call_id)
    await monitor(api, call_id, "barge")
    assert sim.hears(agent_leg, sup) and sim.hears(call_id, sup)


async def test_whisper_to_a_human_agent_routed_by_the_number(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    r = await api.post("/v1/voice/agents", json={"name": "Jane", "presence": "available"})
    agent_id = r.json()["data"]["id"]
    r = await api.post(
        "/v1/voice/numbers",
        json={"number": "+18005551234", "handler": {"type": "agent", "target": agent_id}},
    )
    assert r.status_code == 201, r.text
    r = await api.post(
        "/v1/voice/simulator/inbound", json={"from": "+14155550123", "to": "+18005551234"}
    )
    call_id = r.json()["data"]["id"]
    await clock.advance(2)  # routing answers and dials the agent's phone
    await clock.advance(2)  # the agent answers and is bridged
    r = await api.get("/v1/voice/calls", params={"limit": 100})
    (agent_leg,) = [c["id"] for c in r.json()["data"] if c["leg_role"] == "agent"]
    assert (await get_call(api, agent_leg))["status"] == "in_progress"
    sup = (await monitor(api, call_id, "whisper")).json()["data"]["supervisor_call_id"]
    await clock.advance(2)
    sim = sim_of(app)
    assert sim.hears(agent_leg, sup) and not sim.hears(call_id, sup)
    assert sim.hears(sup, call_id) and sim.hears(sup, agent_leg)


async def test_supervisor_extension(api: httpx.AsyncClient, clock: FakeClock) -> None:
    call_id = await answered(api, clock)
    r = await monitor(api, call_id, "listen", "ext_doesnotexist")
    assert r.status_code == 422
    assert (r.json()["error"]["code"], r.json()["error"]["param"]) == (
        "extension_not_found",
        "supervisor",
    )
    r = await api.post("/v1/voice/sip-credentials", json={"username": "boss", "extension": "2001"})
    assert r.status_code == 201, r.text
    ext = r.json()["data"]["extension_id"]
    r = await monitor(api, call_id, "listen", ext)
    assert r.status_code == 200, r.text
    leg = await get_call(api, r.json()["data"]["supervisor_call_id"])
    assert leg["to"] == ext
    await clock.advance(2)
    assert (await monitor(api, call_id, "listen", ext)).json()["data"]["status"] == "active"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"supervisor": "4155559999"},
        {"supervisor": "agt_123"},
        {"supervisor": SUPERVISOR, "x": 1},
    ],
)
async def test_invalid_bodies(api: httpx.AsyncClient, clock: FakeClock, body: Any) -> None:
    call_id = await answered(api, clock)
    r = await api.post(f"/v1/voice/calls/{call_id}/listen", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["param"] in {"supervisor", "x"}
    r = await api.get("/v1/voice/calls")
    assert r.json()["meta"]["pagination"]["total"] == 1  # no supervisor leg was dialled


async def test_state_and_tenancy(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    ringing = await create_call(api)
    r = await monitor(api, ringing["id"], "listen")
    assert r.status_code == 409 and r.json()["error"]["code"] == "call_not_active"
    await clock.advance(2)
    r = await monitor(other_api, ringing["id"], "listen")
    assert r.status_code == 404
    r = await other_api.post(f"/v1/voice/calls/{ringing['id']}/unlisten")
    assert r.status_code == 404
    sup = (await monitor(api, ringing["id"], "listen")).json()["data"]["supervisor_call_id"]
    await clock.advance(2)
    r = await monitor(api, sup, "listen", OTHER_SUPERVISOR)
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_call_state"
