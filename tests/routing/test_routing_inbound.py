"""Inbound calls to a number with a handler: they ring for ORBIT_ROUTING_RING_SECONDS (2 s)
so the API can accept or decline them, then the platform answers and routes them, by the
calendar's off-hours handler while it is closed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from helpers import (
    CALLER_ID,
    call_events,
    create_agent,
    create_call,
    create_number,
    event_types,
    get_call,
    ring_inbound,
    set_handler,
)
from orbit_voice.kit.clock import FakeClock

ISTANBUL_WEEKDAYS = {
    "name": "Office",
    "timezone": "Europe/Istanbul",
    "weekday_windows": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 6)],
}


async def test_number_without_handler_keeps_ringing(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    call = await ring_inbound(api)
    await clock.advance(10)
    got = await get_call(api, call["id"])
    assert got["status"] == "ringing"
    assert "call.routed" not in await event_types(api, call["id"])
    await clock.advance(25)
    assert (await get_call(api, call["id"]))["status"] == "no_answer"


async def test_hangup_handler_answers_after_the_ring_period_then_hangs_up(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    number = await create_number(api)
    await set_handler(api, number["id"], "hangup")
    call = await ring_inbound(api)
    await clock.advance(1.9)
    assert (await get_call(api, call["id"]))["status"] == "ringing"
    await clock.advance(0.1)
    got = await get_call(api, call["id"])
    assert got["status"] == "completed"
    assert got["end_reason"] == "routing_hangup"
    events = await call_events(api, call["id"])
    assert [e["type"] for e in events] == [
        "call.initiated",
        "call.ringing",
        "call.answered",
        "call.routed",
        "call.completed",
    ]
    assert events[2]["data"]["answered_by"] == "routing"
    assert events[3]["data"]["handler"] == {"type": "hangup", "target": None}
    assert events[3]["data"]["number_id"] == number["id"]


@pytest.mark.parametrize(("verb", "final"), [("accept", "in_progress"), ("decline", "busy")])
async def test_accept_or_decline_within_the_ring_period_wins(
    api: httpx.AsyncClient, clock: FakeClock, verb: str, final: str
) -> None:
    number = await create_number(api)
    await set_handler(api, number["id"], "hangup")
    call = await ring_inbound(api)
    await clock.advance(1)
    r = await api.post(f"/v1/voice/calls/{call['id']}/{verb}")
    assert r.status_code == 200, r.text
    await clock.advance(5)
    got = await get_call(api, call["id"])
    assert got["status"] == final
    assert "call.routed" not in await event_types(api, call["id"])


async def test_caller_hanging_up_while_ringing_is_not_routed(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    number = await create_number(api)
    await set_handler(api, number["id"], "hangup")
    call = await ring_inbound(api)
    r = await api.post(f"/v1/voice/simulator/calls/{call['id']}/hangup")
    assert r.status_code == 200
    await clock.advance(5)
    got = await get_call(api, call["id"])
    assert (got["status"], got["end_reason"]) == ("cancelled", "caller_hangup")


async def test_forward_handler_dials_the_target_and_bridges(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    number = await create_number(api)
    await set_handler(api, number["id"], "forward", "+14155550100")
    call = await ring_inbound(api)
    await clock.advance(2)
    r = await api.get("/v1/voice/calls", params={"to": "+14155550100"})
    legs = r.json()["data"]
    assert len(legs) == 1
    leg = legs[0]
    assert (leg["parent_call_id"], leg["leg_role"]) == (call["id"], "transfer")
    await clock.advance(2)  # the forwarded leg rings 2 s and answers
    assert (await get_call(api, leg["id"]))["status"] == "in_progress"
    types = await event_types(api, call["id"])
    assert types[-3:] == ["call.routed", "call.transfer.started", "call.transferred"]
    assert (await get_call(api, call["id"]))["status"] == "in_progress"


async def test_calendar_picks_the_off_hours_handler_while_closed(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    r = await api.post("/v1/voice/calendars", json=ISTANBUL_WEEKDAYS)
    calendar = r.json()["data"]
    number = await create_number(api)
    await set_handler(
        api,
        number["id"],
        "forward",
        "+14155550100",
        calendar_id=calendar["id"],
        off_hours_handler={"type": "hangup"},
    )
    # The clock starts on Sunday 2026-03-08 12:00Z: the office is closed.
    call = await ring_inbound(api)
    await clock.advance(2)
    got = await get_call(api, call["id"])
    assert (got["status"], got["end_reason"]) == ("completed", "routing_hangup")
    routed = next(e for e in await call_events(api, call["id"]) if e["type"] == "call.routed")
    assert routed["data"]["calendar_open"] is False
    assert routed["data"]["handler"] == {"type": "hangup", "target": None}

    # Monday 10:00 in Istanbul (07:00Z): open, so the main handler forwards the call.
    await clock.advance(19 * 3600)
    call = await ring_inbound(api)
    await clock.advance(2)
    assert (await get_call(api, call["id"]))["status"] == "in_progress"
    routed = next(e for e in await call_events(api, call["id"]) if e["type"] == "call.routed")
    assert routed["data"]["calendar_open"] is True
    assert routed["data"]["handler"] == {"type": "forward", "target": "+14155550100"}


async def test_a_target_deleted_after_configuration_ends_the_call_cleanly(
    api: httpx.AsyncClient, clock: FakeClock, sessionmaker: Any
) -> None:
    from sqlalchemy import update

    from orbit_voice.numbers.models import Number

    number = await create_number(api)
    await set_handler(api, number["id"], "hangup")
    # Simulate a handler pointing at something that no longer exists.
    async with sessionmaker() as session:
        await session.execute(
            update(Number)
            .where(Number.id == number["id"])
            .values(handler={"type": "voicemail", "target": "vmail_gone"})
        )
        await session.commit()
    call = await ring_inbound(api)
    await clock.advance(2)
    got = await get_call(api, call["id"])
    # No box at all: the caller is told and the call ends (never a silent line).
    assert (got["status"], got["end_reason"]) == ("completed", "voicemail_unavailable")
    assert "voicemail.unavailable" in await event_types(api, call["id"])


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"handler": {"type": "agent", "target": "agt_nope"}}, "handler.target", "agent_not_found"),
        ({"handler": {"type": "ivr"}}, "handler.target", "target_required"),
        (
            {"handler": {"type": "forward", "target": "0800 123"}},
            "handler.target",
            "invalid_phone_number",
        ),
        (
            {"handler": {"type": "extension", "target": "ext_nope"}},
            "handler.target",
            "extension_not_found",
        ),
        (
            {"handler": {"type": "hangup", "target": "agt_x"}},
            "handler.target",
            "target_not_allowed",
        ),
        ({"handler": {"type": "teleport"}}, "handler.type", "validation_error"),
        (
            {"calendar_id": "cal_nope", "off_hours_handler": {"type": "hangup"}},
            "calendar_id",
            "calendar_not_found",
        ),
        ({"off_hours_handler": {"type": "hangup"}}, "calendar_id", "calendar_required"),
        (
            {"off_hours_handler": {"type": "voicemail", "target": "vmail_nope"}},
            "off_hours_handler.target",
            "voicemail_not_found",
        ),
    ],
)
async def test_number_handler_validation(
    api: httpx.AsyncClient, body: dict[str, Any], param: str, code: str
) -> None:
    number = await create_number(api)
    r = await api.put(f"/v1/voice/numbers/{number['id']}", json=body)
    assert r.status_code == 422, r.text
    assert (r.json()["error"]["param"], r.json()["error"]["code"]) == (param, code)
    r = await api.post("/v1/voice/numbers", json={"number": "+12025550199", **body})
    assert r.status_code == 422
    got = (await api.get(f"/v1/voice/numbers/{number['id']}")).json()["data"]
    assert got["handler"] is None and got["calendar_id"] is None


async def test_calendar_needs_an_off_hours_handler(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/voice/calendars", json=ISTANBUL_WEEKDAYS)
    calendar = r.json()["data"]
    number = await create_number(api)
    r = await api.put(f"/v1/voice/numbers/{number['id']}", json={"calendar_id": calendar["id"]})
    assert r.status_code == 422 and r.json()["error"]["param"] == "off_hours_handler"


async def test_handlers_show_on_the_number_and_updates_are_partial(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    agent = await create_agent(api)
    r = await api.post(
        "/v1/voice/numbers",
        json={"number": CALLER_ID, "label": "main", "handler": {"type": "agent", "target": agent}},
    )
    assert r.status_code == 201, r.text
    number = r.json()["data"]
    assert number["handler"] == {"type": "agent", "target": agent}
    r = await api.put(f"/v1/voice/numbers/{number['id']}", json={"label": "support"})
    data = r.json()["data"]
    assert data["label"] == "support"
    assert data["handler"] == {"type": "agent", "target": agent}
    # Another org's agent is not a valid target.
    theirs = await create_agent(other_api, "Theirs")
    r = await api.put(
        f"/v1/voice/numbers/{number['id']}", json={"handler": {"type": "agent", "target": theirs}}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "agent_not_found"


async def test_outbound_call_with_ivr_id_runs_the_ivr_on_answer(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    r = await api.post(
        "/v1/voice/ivr",
        json={
            "name": "Survey",
            "greeting": "Press 1 if you were happy.",
            "menu": {"options": [{"key": "1", "action": "hangup"}]},
        },
    )
    ivr = r.json()["data"]
    call = await create_call(api, ivr_id=ivr["id"])
    assert call["ivr_id"] == ivr["id"]
    await clock.advance(2)
    assert await event_types(api, call["id"], "ivr.") == ["ivr.prompt"]


async def test_outbound_ivr_id_is_checked_in_org(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    await create_number(api)
    r = await other_api.post(
        "/v1/voice/ivr",
        json={
            "name": "X",
            "greeting": "Hi",
            "menu": {"options": [{"key": "1", "action": "hangup"}]},
        },
    )
    theirs = r.json()["data"]["id"]
    body = {"to": "+14155552671", "from": CALLER_ID, "ivr_id": theirs}
    r = await api.post("/v1/voice/calls", json=body)
    assert r.status_code == 422
    assert (r.json()["error"]["code"], r.json()["error"]["param"]) == ("ivr_not_found", "ivr_id")
    agent = await create_agent(api)
    r = await api.post("/v1/voice/calls", json={**body, "agent_id": agent, "ivr_id": "ivr_x"})
    assert r.status_code == 422 and r.json()["error"]["param"] == "ivr_id"
    assert (await api.get("/v1/voice/calls")).json()["meta"]["pagination"]["total"] == 0


async def test_outbound_call_with_agent_id_connects_the_agent_on_answer(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    bot = await create_agent(api, "Bot", kind="ai")
    call = await create_call(api, agent_id=bot)
    await clock.advance(2)
    assert "agent.connected" in await event_types(api, call["id"], "agent.")
    r = await api.get(f"/v1/voice/agents/{bot}")
    assert (r.json()["data"]["presence"], r.json()["data"]["current_call_id"]) == (
        "busy",
        call["id"],
    )


async def test_agent_handler_dials_an_available_human(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    number = await create_number(api)
    jane = await create_agent(api, "Jane", kind="human")
    r = await api.post(f"/v1/voice/agents/{jane}/status", json={"status": "available"})
    assert r.status_code == 200
    await set_handler(api, number["id"], "agent", jane)
    call = await ring_inbound(api)
    await clock.advance(2)
    [leg] = (await api.get("/v1/voice/calls", params={"to": jane})).json()["data"]
    assert leg["parent_call_id"] == call["id"]
    await clock.advance(2)
    got = await get_call(api, call["id"])
    assert (got["status"], got["agent_id"]) == ("in_progress", jane)


async def test_an_unavailable_agent_ends_the_call_with_routing_failed(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    number = await create_number(api)
    jane = await create_agent(api, "Jane", kind="human")  # humans start offline
    await set_handler(api, number["id"], "agent", jane)
    call = await ring_inbound(api)
    await clock.advance(2)
    got = await get_call(api, call["id"])
    assert (got["status"], got["end_reason"]) == ("completed", "routing_failed")
    failed = next(e for e in await call_events(api, call["id"]) if e["type"] == "routing.failed")
    assert failed["data"]["action"] == "agent"
    assert failed["data"]["code"] == "agent_unavailable"
