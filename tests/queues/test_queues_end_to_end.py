"""The whole path, as a user sees it through the API and signed webhooks: an inbound call to a
number routed by its calendar to an IVR, a digit that sends it to a queue, an agent picked by
the queue's strategy and connected, and the agent's wrap-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from queue_helpers import agent, get_agent, queue

from helpers import get_call
from orbit_voice.kit.clock import FakeClock
from receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


async def test_inbound_calendar_ivr_queue_agent_wrap_up(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.secret = (await api.get("/v1/voice/webhook-secret")).json()["data"]["secret"]
    away = await agent(api, "Ann", presence="offline")
    first = await agent(api, "Bob")
    await clock.advance(1)
    second = await agent(api, "Cy")
    # Neither Bob nor Cy has had a call; Bob has been around longest: longest_idle picks him.
    queue_id = await queue(api, [away, second, first], wrap_up_seconds=15)
    r = await api.post(
        "/v1/voice/ivr",
        json={
            "name": "Main menu",
            "greeting": "Press 1 for support.",
            "menu": {"options": [{"key": "1", "action": "queue", "target": queue_id}]},
        },
    )
    assert r.status_code == 201, r.text
    ivr_id = r.json()["data"]["id"]
    r = await api.post(
        "/v1/voice/calendars",
        json={
            "name": "Open today",
            "timezone": "UTC",
            "weekday_windows": [{"weekday": 7, "start": "09:00", "end": "17:00"}],
        },
    )
    calendar_id = r.json()["data"]["id"]
    r = await api.post(
        "/v1/voice/numbers",
        json={
            "number": "+12025550100",
            "handler": {"type": "ivr", "target": ivr_id},
            "calendar_id": calendar_id,
            "off_hours_handler": {"type": "hangup"},
        },
    )
    assert r.status_code == 201, r.text
    r = await api.post(
        "/v1/voice/simulator/inbound",
        json={"from": "+14155550123", "to": "+12025550100", "webhook_url": receiver.url},
    )
    call_id = r.json()["data"]["id"]
    await clock.advance(app.state.settings.routing_ring_seconds)
    assert (await get_call(api, call_id))["status"] == "in_progress"
    r = await api.post(f"/v1/voice/simulator/calls/{call_id}/dtmf", json={"digits": "1"})
    assert r.status_code == 200
    await clock.advance(1)
    picked = (await get_call(api, call_id))["agent_id"]
    assert picked == first
    assert (await get_agent(api, picked))["presence"] == "busy"
    await clock.advance(60)
    await api.post(f"/v1/voice/simulator/calls/{call_id}/hangup")
    state = await get_agent(api, picked)
    assert (state["presence"], state["calls_handled"]) == ("wrap_up", 1)
    await clock.advance(15)
    assert (await get_agent(api, picked))["presence"] == "available"

    while await app.state.deliverer.deliver_due():
        pass
    types = [r.payload["type"] for r in receiver.requests if r.status == 200]
    assert all(r.valid_signature for r in receiver.requests)
    for expected in ["ivr.digit", "queue.joined", "queue.connected", "call.completed"]:
        assert expected in types, (expected, types)
    assert (
        types.index("queue.joined") < types.index("queue.connected") < types.index("call.completed")
    )
    connected = next(r.payload for r in receiver.requests if r.payload["type"] == "queue.connected")
    assert connected["data"]["queue_id"] == queue_id
    assert connected["data"]["agent_id"] == picked
    assert connected["data"]["call"]["id"] == call_id
