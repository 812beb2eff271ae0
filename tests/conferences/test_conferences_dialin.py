"""Dial-in: an inbound call to a number routed to conferences is asked for the PIN (DTMF)."""

from __future__ import annotations

from typing import Any

import httpx
from conference_helpers import create_conference, joined, participant, sim_of, verb

from helpers import get_call
from orbit_voice.conferences import dialin
from orbit_voice.kit.clock import FakeClock

DIAL_IN = "+18005559999"
CALLER = "+14155550123"
ROUTING_RING = 2  # seconds an inbound call rings before routing picks it up


async def conference_number(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/v1/voice/numbers", json={"number": DIAL_IN, "handler": {"type": "conference"}}
    )
    assert r.status_code == 201, r.text


async def dial_in(api: httpx.AsyncClient, clock: FakeClock, caller: str = CALLER) -> str:
    r = await api.post("/v1/voice/simulator/inbound", json={"from": caller, "to": DIAL_IN})
    assert r.status_code == 201, r.text
    call_id = str(r.json()["data"]["id"])
    await clock.advance(ROUTING_RING)
    assert (await get_call(api, call_id))["status"] == "in_progress"
    return call_id


async def press(api: httpx.AsyncClient, call_id: str, digits: str) -> None:
    r = await api.post(f"/v1/voice/simulator/calls/{call_id}/dtmf", json={"digits": digits})
    assert r.status_code == 200, r.text


async def participants(api: httpx.AsyncClient, conference_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/voice/conferences/{conference_id}/participants")
    data: list[dict[str, Any]] = r.json()["data"]
    return data


async def test_right_pin_joins_the_room(api: httpx.AsyncClient, clock: FakeClock, app: Any) -> None:
    await conference_number(api)
    conference = await create_conference(api)
    assert conference["dial_in_number"] == DIAL_IN
    (host,) = await joined(api, clock, conference["id"], "+14155550101")
    call_id = await dial_in(api, clock)
    sim = sim_of(app)
    assert sim.legs[call_id].played == [dialin.PROMPT]
    assert await participants(api, conference["id"]) == [
        await participant(api, conference["id"], host["id"])
    ]
    await press(api, call_id, conference["pin"])
    parts = await participants(api, conference["id"])
    caller = next(p for p in parts if p["call_id"] == call_id)
    assert (caller["status"], caller["source"], caller["number"]) == ("joined", "dial_in", CALLER)
    assert sim.hears(call_id, host["call_id"]) and sim.hears(host["call_id"], call_id)
    # Later keypresses are ordinary DTMF, not PIN digits.
    await press(api, call_id, "123456")
    assert (await participant(api, conference["id"], caller["id"]))["status"] == "joined"
    # The caller hanging up leaves the room.
    await api.post(f"/v1/voice/simulator/calls/{call_id}/hangup")
    got = await participant(api, conference["id"], caller["id"])
    assert (got["status"], got["end_reason"]) == ("left", "far_end_hangup")


async def test_first_dial_in_starts_the_conference(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await conference_number(api)
    conference = await create_conference(api, mute_on_join=True)
    call_id = await dial_in(api, clock)
    await press(api, call_id, conference["pin"][:3])
    await clock.advance(5)  # pauses between keys are fine
    await press(api, call_id, conference["pin"][3:])
    got = await verb(api, f"{conference['id']}/lock")
    assert got["data"]["status"] == "active" and got["data"]["participants_count"] == 1
    (p,) = await participants(api, conference["id"])
    assert p["muted"] is True


async def test_wrong_pins_reprompt_then_hang_up(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await conference_number(api)
    conference = await create_conference(api)
    wrong = "000000" if conference["pin"] != "000000" else "111111"
    call_id = await dial_in(api, clock)
    await press(api, call_id, wrong)
    await press(api, call_id, "12#")  # a short PIN ended with # is also a try
    assert sim_of(app).legs[call_id].played == [dialin.PROMPT, dialin.RETRY, dialin.RETRY]
    assert (await get_call(api, call_id))["status"] == "in_progress"
    await press(api, call_id, wrong)
    assert sim_of(app).legs[call_id].played[-1] == dialin.GOODBYE
    call = await get_call(api, call_id)
    assert (call["status"], call["end_reason"]) == ("completed", "invalid_pin")
    assert await participants(api, conference["id"]) == []


async def test_third_try_can_still_be_right(api: httpx.AsyncClient, clock: FakeClock) -> None:
    await conference_number(api)
    conference = await create_conference(api)
    call_id = await dial_in(api, clock)
    await press(api, call_id, "9#")
    await press(api, call_id, "12*")  # * starts the entry over without costing a try
    await press(api, call_id, "#")
    await press(api, call_id, conference["pin"])
    (p,) = await participants(api, conference["id"])
    assert p["status"] == "joined" and p["call_id"] == call_id


async def test_silence_costs_tries_and_hangs_up(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await conference_number(api)
    await create_conference(api)
    call_id = await dial_in(api, clock)
    await clock.advance(dialin.INPUT_TIMEOUT)
    await clock.advance(dialin.INPUT_TIMEOUT)
    assert (await get_call(api, call_id))["status"] == "in_progress"
    await clock.advance(dialin.INPUT_TIMEOUT)
    call = await get_call(api, call_id)
    assert (call["status"], call["end_reason"]) == ("completed", "invalid_pin")
    assert sim_of(app).legs[call_id].played == [
        dialin.PROMPT,
        dialin.RETRY,
        dialin.RETRY,
        dialin.GOODBYE,
    ]


async def test_a_partial_pin_is_checked_when_the_caller_stops_typing(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await conference_number(api)
    conference = await create_conference(api)
    call_id = await dial_in(api, clock)
    await press(api, call_id, conference["pin"][:5])
    await clock.advance(dialin.INPUT_TIMEOUT - 1)
    await press(api, call_id, conference["pin"][5])  # each key restarts the timer
    (p,) = await participants(api, conference["id"])
    assert p["status"] == "joined"


async def test_locked_or_full_conference_turns_the_caller_away(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await conference_number(api)
    locked = await create_conference(api, name="locked")
    await verb(api, f"{locked['id']}/lock")
    call_id = await dial_in(api, clock)
    await press(api, call_id, locked["pin"])
    assert sim_of(app).legs[call_id].played[-1] == dialin.REFUSALS["conference_locked"]
    call = await get_call(api, call_id)
    assert (call["status"], call["end_reason"]) == ("completed", "conference_locked")
    assert await participants(api, locked["id"]) == []

    full = await create_conference(api, name="full", max_participants=1)
    await joined(api, clock, full["id"], "+14155550101")
    call_id = await dial_in(api, clock, "+14155550124")
    await press(api, call_id, full["pin"])
    call = await get_call(api, call_id)
    assert (call["status"], call["end_reason"]) == ("completed", "conference_full")


async def test_ended_or_foreign_conference_pins_are_not_valid(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await conference_number(api)
    ended = await create_conference(api)
    await verb(api, f"{ended['id']}/end")
    foreign = (await other_api.post("/v1/voice/conferences", json={"name": "x"})).json()["data"]
    call_id = await dial_in(api, clock)
    await press(api, call_id, ended["pin"])
    await press(api, call_id, foreign["pin"])
    assert sim_of(app).legs[call_id].played == [dialin.PROMPT, dialin.RETRY, dialin.RETRY]
    r = await other_api.get(f"/v1/voice/conferences/{foreign['id']}/participants")
    assert r.json()["data"] == []


async def test_caller_hangs_up_at_the_prompt(api: httpx.AsyncClient, clock: FakeClock) -> None:
    await conference_number(api)
    conference = await create_conference(api)
    call_id = await dial_in(api, clock)
    await press(api, call_id, "12")
    await api.post(f"/v1/voice/simulator/calls/{call_id}/hangup")
    await clock.advance(dialin.INPUT_TIMEOUT * 3)  # no timer acts on the ended call
    call = await get_call(api, call_id)
    assert (call["status"], call["end_reason"]) == ("completed", "far_end_hangup")
    assert await participants(api, conference["id"]) == []
    assert (await verb(api, f"{conference['id']}/lock"))["data"]["status"] == "waiting"
