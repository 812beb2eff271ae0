"""End to end on the simulator, observed through the API and signed webhooks:

1. an inbound call to a number routed by its calendar to an IVR, a key that sends it to a
   queue, an agent picked by the queue's strategy and connected, the agent's wrap-up;
2. an unanswered ring group falling back to voicemail, and the message listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from helpers import (
    call_events,
    create_number,
    create_voicemail_box,
    event_types,
    get_call,
    press,
    ring_inbound,
    set_handler,
)
from orbit_voice.kit.clock import FakeClock
from receiver import Receiver

NO_ANSWER = "+15005550002"  # the simulator lets this number ring out


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


async def post(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await api.post(path, json=body)
    assert r.status_code in (200, 201), r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def agent_state(api: httpx.AsyncClient, agent_id: str) -> dict[str, Any]:
    r = await api.get(f"/v1/voice/agents/{agent_id}")
    data: dict[str, Any] = r.json()["data"]
    return data


async def deliver_all(app: Any) -> None:
    while await app.state.deliverer.deliver_due():
        pass


def webhook_types(receiver: Receiver, call_id: str) -> list[str]:
    assert all(r.valid_signature for r in receiver.requests)
    return [
        r.payload["type"]
        for r in receiver.requests
        if r.status == 200 and r.payload["data"].get("call", {}).get("id") == call_id
    ]


async def test_calendar_to_ivr_to_queue_to_agent_with_wrap_up(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.secret = (await api.get("/v1/voice/webhook-secret")).json()["data"]["secret"]
    # Two human agents on their phones; Jane joined first.
    jane = (await post(api, "/v1/voice/agents", {"name": "Jane", "kind": "human"}))["id"]
    await clock.advance(1)
    bob = (await post(api, "/v1/voice/agents", {"name": "Bob", "kind": "human"}))["id"]
    for agent_id in (jane, bob):
        await post(api, f"/v1/voice/agents/{agent_id}/status", {"status": "available"})
    queue = await post(
        api,
        "/v1/voice/queues",
        {
            "name": "Support",
            "strategy": "longest_idle",
            "agent_ids": [jane, bob],
            "wrap_up_seconds": 10,
        },
    )
    after_hours = await create_voicemail_box(api, name="After hours")
    ivr = await post(
        api,
        "/v1/voice/ivr",
        {
            "name": "Main Menu",
            "greeting": "Welcome. Press 2 for support.",
            "menu": {"options": [{"key": "2", "action": "queue", "target": queue["id"]}]},
            "timeout_seconds": 8,
        },
    )
    calendar = await post(
        api,
        "/v1/voice/calendars",
        {
            "name": "Office hours",
            "timezone": "Europe/Istanbul",
            "weekday_windows": [
                {"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 6)
            ],
        },
    )
    number = await create_number(api)
    await set_handler(
        api,
        number["id"],
        "ivr",
        ivr["id"],
        calendar_id=calendar["id"],
        off_hours_handler={"type": "voicemail", "target": after_hours["id"]},
    )
    # Monday 10:00 in Istanbul (the clock starts on Sunday 12:00Z).
    await clock.advance(19 * 3600 - 1)
    r = await api.get(f"/v1/voice/calendars/{calendar['id']}/status")
    assert r.json()["data"]["open"] is True

    async def support_call(caller: str) -> tuple[str, dict[str, Any]]:
        call = await ring_inbound(api, from_=caller, webhook_url=receiver.url)
        await clock.advance(2)  # rings, then the platform answers and runs the IVR
        assert await event_types(api, call["id"], "ivr.") == ["ivr.prompt"]
        await press(api, call["id"], "2")
        r = await api.get("/v1/voice/calls", params={"to": jane})
        legs = (
            r.json()["data"] + (await api.get("/v1/voice/calls", params={"to": bob})).json()["data"]
        )
        [leg] = [leg for leg in legs if leg["parent_call_id"] == call["id"]]
        await clock.advance(2)  # the agent's phone rings and answers
        return call["id"], leg

    # First caller: both agents are idle and have never had a call; Jane has been longer.
    first, leg = await support_call("+14155550001")
    assert leg["agent_id"] == jane
    got = await get_call(api, first)
    assert (got["status"], got["agent_id"], got["ivr_id"]) == ("in_progress", jane, ivr["id"])
    assert (await agent_state(api, jane))["presence"] == "busy"
    assert (await agent_state(api, bob))["presence"] == "available"
    stats = (await api.get(f"/v1/voice/queues/{queue['id']}/stats")).json()["data"]
    assert (stats["waiting"], stats["connected"]) == (0, 1)

    await clock.advance(30)
    r = await api.post(f"/v1/voice/simulator/calls/{first}/hangup")
    assert r.json()["data"]["status"] == "completed"
    jane_state = await agent_state(api, jane)
    assert jane_state["presence"] == "wrap_up"
    await clock.advance(9)
    assert (await agent_state(api, jane))["presence"] == "wrap_up"
    await clock.advance(1)
    assert (await agent_state(api, jane))["presence"] == "available"

    # Second caller: Jane just had a call, Bob never did, so longest_idle picks Bob.
    second, leg = await support_call("+14155550002")
    assert leg["agent_id"] == bob
    assert (await get_call(api, second))["agent_id"] == bob

    types = await event_types(api, first)
    assert types[:8] == [
        "call.initiated",
        "call.ringing",
        "call.answered",
        "call.routed",
        "ivr.prompt",
        "call.dtmf.received",
        "ivr.digit",
        "ivr.action",
    ]
    assert "queue.joined" in types and "queue.connected" in types
    routed = next(e for e in await call_events(api, first) if e["type"] == "call.routed")
    assert routed["data"]["calendar_open"] is True
    await deliver_all(app)
    hooks = webhook_types(receiver, first)
    for expected in (
        "call.routed",
        "ivr.prompt",
        "ivr.digit",
        "ivr.action",
        "queue.joined",
        "queue.connected",
        "call.completed",
    ):
        assert expected in hooks, (expected, hooks)
    assert hooks.index("ivr.action") < hooks.index("queue.joined") < hooks.index("queue.connected")


async def test_unanswered_ring_group_falls_back_to_voicemail(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.secret = (await api.get("/v1/voice/webhook-secret")).json()["data"]["secret"]
    box = await create_voicemail_box(api, name="Sales inbox", webhook_url=receiver.url)
    group = await post(
        api,
        "/v1/voice/ring-groups",
        {
            "name": "Sales reps",
            "strategy": "simultaneous",
            "members": [{"phone_number": NO_ANSWER, "ring_seconds": 10}],
            "timeout_seconds": 10,
            "fallback_action": "voicemail",
            "fallback_target": box["id"],
        },
    )
    number = await create_number(api)
    await set_handler(api, number["id"], "ring_group", group["id"])
    call = await ring_inbound(api, from_="+14155550009", webhook_url=receiver.url)
    await clock.advance(2)
    assert (await get_call(api, call["id"]))["status"] == "in_progress"
    await clock.advance(9.9)
    assert await event_types(api, call["id"], "voicemail.") == []
    await clock.advance(0.1)  # the member rang 10 s without an answer
    assert await event_types(api, call["id"], "voicemail.") == ["voicemail.recording.started"]
    await clock.advance(5)
    await press(api, call["id"], "#")

    r = await api.get("/v1/voice/voicemails", params={"voicemail_id": box["id"]})
    [message] = r.json()["data"]
    assert message["caller"] == "+14155550009"
    assert message["call_id"] == call["id"]
    assert message["status"] == "completed"
    assert message["duration_seconds"] == pytest.approx(5, abs=0.2)
    assert message["recording_url"]
    got = await get_call(api, call["id"])
    assert (got["status"], got["end_reason"]) == ("completed", "voicemail_recorded")

    await deliver_all(app)
    hooks = webhook_types(receiver, call["id"])
    # One to the call's webhook_url (in the call's order), one to the box's (its own order).
    assert hooks.count("voicemail.received") == 2
    last = len(hooks) - 1 - hooks[::-1].index("voicemail.received")
    assert hooks.index("ring_group.started") < last < hooks.index("call.completed")
