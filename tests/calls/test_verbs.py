"""Control verbs on live simulated calls: what a user sees through the API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from helpers import create_agent, create_call, create_number, get_call
from orbit_voice.kit.clock import FakeClock


async def answered_call(api: httpx.AsyncClient, clock: FakeClock, **extra: Any) -> str:
    await create_number(api)
    call = await create_call(api, **extra)
    await clock.advance(2)
    assert (await get_call(api, call["id"]))["status"] == "in_progress"
    return str(call["id"])


async def event_types(api: httpx.AsyncClient, call_id: str) -> list[str]:
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    return [e["type"] for e in sorted(r.json()["data"], key=lambda e: e["seq"])]


async def test_mute_and_hold_are_idempotent_and_evented(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    call_id = await answered_call(api, clock)
    for verb, field, value in [
        ("mute", "muted", True),
        ("mute", "muted", True),
        ("unmute", "muted", False),
        ("hold", "on_hold", True),
        ("unhold", "on_hold", False),
    ]:
        r = await api.post(f"/v1/voice/calls/{call_id}/{verb}")
        assert r.status_code == 200, r.text
        assert r.json()["data"][field] is value
    types = await event_types(api, call_id)
    assert types.count("call.muted") == 1
    assert "call.unmuted" in types and "call.held" in types and "call.unheld" in types


@pytest.mark.parametrize("verb", ["mute", "unmute", "hold", "unhold"])
async def test_verbs_on_an_unanswered_call_are_409(api: httpx.AsyncClient, verb: str) -> None:
    await create_number(api)
    call = await create_call(api)
    r = await api.post(f"/v1/voice/calls/{call['id']}/{verb}")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "call_not_active"


async def test_dtmf(api: httpx.AsyncClient, clock: FakeClock, app: Any) -> None:
    call_id = await answered_call(api, clock)
    r = await api.post(f"/v1/voice/calls/{call_id}/dtmf", json={"digits": "12#*AD"})
    assert r.status_code == 200
    assert app.state.runtime.media.get("sim").legs[call_id].dtmf_sent == ["12#*AD"]
    for bad in ["", "12E", "x", "1" * 65]:
        r = await api.post(f"/v1/voice/calls/{call_id}/dtmf", json={"digits": bad})
        assert r.status_code == 422
        assert r.json()["error"]["param"] == "digits"


async def test_far_end_dtmf_becomes_call_events(api: httpx.AsyncClient, clock: FakeClock) -> None:
    call_id = await answered_call(api, clock)
    r = await api.post(f"/v1/voice/simulator/calls/{call_id}/dtmf", json={"digits": "42"})
    assert r.status_code == 200
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    digits = [
        e["data"]["digit"]
        for e in sorted(r.json()["data"], key=lambda e: e["seq"])
        if e["type"] == "call.dtmf.received"
    ]
    assert digits == ["4", "2"]


async def test_inbound_accept(api: httpx.AsyncClient, clock: FakeClock) -> None:
    await create_number(api)
    r = await api.post(
        "/v1/voice/simulator/inbound", json={"from": "+14155550123", "to": "+12025551234"}
    )
    assert r.status_code == 201, r.text
    call = r.json()["data"]
    assert call["direction"] == "inbound"
    assert call["status"] == "ringing"
    r = await api.post(f"/v1/voice/calls/{call['id']}/accept")
    assert r.json()["data"]["status"] == "in_progress"
    r = await api.post(f"/v1/voice/calls/{call['id']}/accept")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "invalid_call_state"


async def test_inbound_decline_is_busy_declined(api: httpx.AsyncClient) -> None:
    await create_number(api)
    r = await api.post(
        "/v1/voice/simulator/inbound", json={"from": "+14155550123", "to": "+12025551234"}
    )
    call_id = r.json()["data"]["id"]
    r = await api.post(f"/v1/voice/calls/{call_id}/decline")
    data = r.json()["data"]
    assert (data["status"], data["end_reason"], data["sip_code"]) == ("busy", "declined", 486)


async def test_accept_on_outbound_call_is_409(api: httpx.AsyncClient) -> None:
    await create_number(api)
    call = await create_call(api)
    r = await api.post(f"/v1/voice/calls/{call['id']}/accept")
    assert r.status_code == 409


async def test_inbound_caller_hangs_up_while_ringing(api: httpx.AsyncClient) -> None:
    await create_number(api)
    r = await api.post(
        "/v1/voice/simulator/inbound", json={"from": "+14155550123", "to": "+12025551234"}
    )
    call_id = r.json()["data"]["id"]
    r = await api.post(f"/v1/voice/simulator/calls/{call_id}/hangup")
    assert r.json()["data"]["status"] == "cancelled"


async def test_simulator_refuses_live_keys(client: httpx.AsyncClient, make_key: Any) -> None:
    live = await make_key("acme", test=False)
    r = await client.post(
        "/v1/voice/simulator/inbound",
        json={"from": "+14155550123", "to": "+12025551234"},
        headers={"X-API-Key": live},
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "test_key_required"


async def test_live_key_without_engine_is_503_and_writes_nothing(
    client: httpx.AsyncClient, make_key: Any
) -> None:
    live = await make_key("acme", test=False)
    headers = {"X-API-Key": live}
    await client.post("/v1/voice/numbers", json={"number": "+12025551234"}, headers=headers)
    r = await client.post(
        "/v1/voice/calls", json={"to": "+14155552671", "from": "+12025551234"}, headers=headers
    )
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "media_unavailable"
    r = await client.get("/v1/voice/calls", headers=headers)
    assert r.json()["meta"]["pagination"]["total"] == 0


async def test_blind_transfer_to_number(api: httpx.AsyncClient, clock: FakeClock) -> None:
    agent = await create_agent(api)
    call_id = await answered_call(api, clock, agent_id=agent)
    r = await api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": "+14155550999"})
    assert r.status_code == 200, r.text
    await clock.advance(2)
    call = await get_call(api, call_id)
    assert call["status"] == "in_progress"
    assert call["agent_id"] is None  # the agent leg was dropped
    assert "call.transferred" in await event_types(api, call_id)
    r = await api.get("/v1/voice/calls", params={"to": "+14155550999"})
    leg = r.json()["data"][0]
    assert (leg["parent_call_id"], leg["leg_role"], leg["status"]) == (
        call_id,
        "transfer",
        "in_progress",
    )
    assert leg["from"] == "+12025551234"  # the original caller id by default
    # The transferee hangs up: the caller is alone, so the call ends.
    await api.post(f"/v1/voice/simulator/calls/{leg['id']}/hangup")
    call = await get_call(api, call_id)
    assert (call["status"], call["end_reason"]) == ("completed", "transfer_target_hangup")


async def test_a_second_transfer_hangs_up_the_first_transferee(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    call_id = await answered_call(api, clock)
    await api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": "+14155550101"})
    await clock.advance(2)
    await api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": "+14155550102"})
    await clock.advance(2)
    first = (await api.get("/v1/voice/calls", params={"to": "+14155550101"})).json()["data"][0]
    second = (await api.get("/v1/voice/calls", params={"to": "+14155550102"})).json()["data"][0]
    # The new leg is bridged, then the old one (the caller's other side until now) hung up.
    assert (first["status"], first["end_reason"]) == ("completed", "transferred")
    assert second["status"] == "in_progress"
    assert (await get_call(api, call_id))["status"] == "in_progress"
    sim = app.state.runtime.media.get("sim")
    assert sim.hears(call_id, second["id"]) and not sim.hears(call_id, first["id"])
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    transferred = [e["data"] for e in r.json()["data"] if e["type"] == "call.transferred"]
    assert sorted(d["dropped_call_ids"] for d in transferred) == [[], [first["id"]]]


async def test_warm_transfer_consult_window_joins_an_agent_leg_and_the_consult_party(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    """The caller's agent is a leg of its own (it took a transfer): while the caller is on
    hold, that agent and the consult party hear each other; completing leaves caller and
    consult party together."""
    call_id = await answered_call(api, clock)
    await api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": "+14155550101"})
    await clock.advance(2)
    agent_leg = (await api.get("/v1/voice/calls", params={"to": "+14155550101"})).json()["data"]
    agent_id = agent_leg[0]["id"]
    r = await api.post(
        f"/v1/voice/calls/{call_id}/warm-transfer",
        json={"to": "+14155550102", "whisper_message": "A billing question"},
    )
    assert r.status_code == 200, r.text
    consult = r.json()["data"]["warm_transfer"]["consult_call_id"]
    await clock.advance(2)
    sim = app.state.runtime.media.get("sim")
    assert sim.legs[consult].played == ["A billing question"]
    assert sim.hears(agent_id, consult) and sim.hears(consult, agent_id)
    assert not sim.hears(call_id, consult) and not sim.hears(consult, call_id)
    assert not sim.hears(call_id, agent_id)  # the caller is on hold
    r = await api.post(f"/v1/voice/calls/{call_id}/warm-transfer/complete")
    assert r.status_code == 200, r.text
    assert sim.hears(call_id, consult) and sim.hears(consult, call_id)
    assert (await get_call(api, agent_id))["end_reason"] == "transferred"


async def test_blind_transfer_to_busy_number_keeps_the_call(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    call_id = await answered_call(api, clock)
    await api.post(
        f"/v1/voice/calls/{call_id}/transfer",
        json={"to": "+15005550001", "caller_id": "+12025550000"},
    )
    await clock.advance(2)
    assert (await get_call(api, call_id))["status"] == "in_progress"
    assert "call.transfer.failed" in await event_types(api, call_id)


async def test_transfer_target_validation(api: httpx.AsyncClient, clock: FakeClock) -> None:
    call_id = await answered_call(api, clock)
    for to, code in [
        ("12345", "validation_error"),
        ("agt_missing", "agent_not_found"),
        ("ext_missing", "extension_not_found"),
    ]:
        r = await api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": to})
        assert r.status_code == 422, to
        assert r.json()["error"]["code"] == code
        assert r.json()["error"]["param"] == "to"


async def test_warm_transfer_complete(api: httpx.AsyncClient, clock: FakeClock, app: Any) -> None:
    first = await create_agent(api, "Tier 1")
    second = await create_agent(api, "Tier 2")
    call_id = await answered_call(api, clock, agent_id=first)
    r = await api.post(
        f"/v1/voice/calls/{call_id}/warm-transfer",
        json={"to": second, "whisper_message": "Jane Doe, tier 2"},
    )
    data = r.json()["data"]
    assert data["on_hold"] is True
    assert data["warm_transfer"]["state"] == "dialing"
    consult = data["warm_transfer"]["consult_call_id"]
    early = await api.post(f"/v1/voice/calls/{call_id}/warm-transfer/complete")
    assert early.status_code == 409
    await clock.advance(2)
    assert (await get_call(api, call_id))["warm_transfer"]["state"] == "consulting"
    sim = app.state.runtime.media.get("sim")
    assert sim.legs[consult].played == ["Jane Doe, tier 2"]
    r = await api.post(f"/v1/voice/calls/{call_id}/warm-transfer/complete")
    data = r.json()["data"]
    assert (data["on_hold"], data["agent_id"], data["warm_transfer"]["state"]) == (
        False,
        second,
        "completed",
    )
    assert consult in sim.legs[call_id].bridged_to


async def test_warm_transfer_cancel_returns_the_caller(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    agent = await create_agent(api)
    call_id = await answered_call(api, clock, agent_id=agent)
    r = await api.post(f"/v1/voice/calls/{call_id}/warm-transfer", json={"to": "+14155550777"})
    consult = r.json()["data"]["warm_transfer"]["consult_call_id"]
    again = await api.post(f"/v1/voice/calls/{call_id}/warm-transfer", json={"to": "+14155550778"})
    assert again.status_code == 409
    await clock.advance(2)
    r = await api.post(f"/v1/voice/calls/{call_id}/warm-transfer/cancel")
    data = r.json()["data"]
    assert (data["on_hold"], data["agent_id"], data["warm_transfer"]["state"]) == (
        False,
        agent,
        "cancelled",
    )
    assert (await get_call(api, consult))["status"] == "completed"
    r = await api.post(f"/v1/voice/calls/{call_id}/warm-transfer/cancel")
    assert r.status_code == 409


async def test_hanging_up_ends_spawned_legs(api: httpx.AsyncClient, clock: FakeClock) -> None:
    call_id = await answered_call(api, clock)
    r = await api.post(f"/v1/voice/calls/{call_id}/warm-transfer", json={"to": "+14155550777"})
    consult = r.json()["data"]["warm_transfer"]["consult_call_id"]
    await api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert (await get_call(api, consult))["status"] == "cancelled"
