"""A server that died with calls on it: the next start of the same node ends them, as a
hangup would, and re-arms the timers that died with it. A crash is the old server's timers
cancelled (``clock.shutdown``) with its rows left as they were; the new server is a second app
on the same database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from conferences.conference_helpers import create_conference, get_conference, joined
from helpers import (
    create_call,
    create_number,
    create_voicemail_box,
    get_call,
    leave_message,
    only_message,
)
from orbit_voice.app import create_app
from orbit_voice.config import Settings
from orbit_voice.kit.clock import FakeClock
from orbit_voice.media.sim import NO_ANSWER
from queues.queue_helpers import agent, enqueue, get_agent, hang_up, queue


@asynccontextmanager
async def restarted(
    api: httpx.AsyncClient, settings: Settings, clock: FakeClock, **changed: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The old server dies (its timers with it); a new one starts on the same database and
    answers with the same key."""
    await clock.shutdown()
    app = create_app(settings.model_copy(update=changed), clock=clock, run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=dict(api.headers)
        ) as client:
            yield client


async def types(api: httpx.AsyncClient, call_id: str) -> list[str]:
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    return [e["type"] for e in sorted(r.json()["data"], key=lambda e: e["seq"])]


async def test_the_calls_a_crashed_server_held_are_ended_when_it_starts_again(
    api: httpx.AsyncClient, clock: FakeClock, settings: Settings
) -> None:
    await create_number(api)
    talking = await create_call(api, record=True)
    ringing = await create_call(api, to=NO_ANSWER)
    await clock.advance(3)
    assert (await get_call(api, talking["id"]))["status"] == "in_progress"
    assert (await get_call(api, ringing["id"]))["status"] == "ringing"

    async with restarted(api, settings, clock) as new:
        ended = await get_call(new, talking["id"])
        assert (ended["status"], ended["end_reason"]) == ("completed", "server_restart")
        assert ended["duration_seconds"] == 1  # answered at 2 s, ended at 3 s
        failed = await get_call(new, ringing["id"])
        assert (failed["status"], failed["end_reason"]) == ("failed", "server_restart")
        # The simulator writes its audio only when a recording stops: nothing to keep.
        rec = (await new.get(f"/v1/voice/calls/{talking['id']}/recording")).json()["data"]
        assert (rec["status"], rec["signed_url"]) == ("failed", None)
        assert (await types(new, talking["id"]))[-2:] == [
            "call.recording.failed",
            "call.completed",
        ]
        assert (await types(new, ringing["id"]))[-1] == "call.failed"
        # Webhooks for them are in the outbox like any other end.
        r = await new.get("/v1/voice/calls", params={"status": "in_progress"})
        assert r.json()["data"] == []

    async with restarted(api, settings, clock) as again:  # nothing more to do the next time
        assert (await types(again, talking["id"])).count("call.completed") == 1


async def test_another_nodes_calls_are_left_alone(
    api: httpx.AsyncClient, clock: FakeClock, settings: Settings
) -> None:
    await create_number(api)
    call = await create_call(api)
    await clock.advance(3)
    async with restarted(api, settings, clock, node_id="another-node") as new:
        assert (await get_call(new, call["id"]))["status"] == "in_progress"
    async with restarted(api, settings, clock) as same:  # its own node comes back
        assert (await get_call(same, call["id"]))["status"] == "completed"


async def test_an_agent_on_a_lost_call_wraps_up_and_a_wrap_up_in_progress_ends(
    api: httpx.AsyncClient, clock: FakeClock, settings: Settings
) -> None:
    await create_number(api)
    first = await agent(api, "Ann", kind="human", presence="available")
    second = await agent(api, "Bob", kind="human", presence="available")
    queue_id = await queue(api, [first, second], wrap_up_seconds=20)
    calls = [await create_call(api, to=f"+1415555260{i}") for i in range(2)]
    await clock.advance(2)
    for call in calls:
        await enqueue(api, queue_id, call["id"])
    await clock.advance(2)  # the agents' phones answer
    on_call = {(await get_call(api, c["id"]))["agent_id"] for c in calls}
    assert on_call == {first, second}
    done = calls[0]
    wrapping = (await get_call(api, done["id"]))["agent_id"]
    await hang_up(api, done["id"])
    await clock.advance(5)  # 15 s of its wrap-up left when the server dies
    assert (await get_agent(api, wrapping))["presence"] == "wrap_up"
    busy = (await get_call(api, calls[1]["id"]))["agent_id"]

    async with restarted(api, settings, clock) as new:
        assert (await get_agent(new, busy))["presence"] == "wrap_up"  # its call ended
        await clock.advance(15)
        assert (await get_agent(new, wrapping))["presence"] == "available"
        assert (await get_agent(new, busy))["presence"] == "wrap_up"
        await clock.advance(5)
        assert (await get_agent(new, busy))["presence"] == "available"


async def test_a_room_whose_people_were_lost_ends_without_a_stuck_recording(
    api: httpx.AsyncClient, clock: FakeClock, settings: Settings
) -> None:
    await create_number(api)
    room = await create_conference(api)
    await joined(api, clock, room["id"], "+14155550101", "+14155550102")
    r = await api.post(f"/v1/voice/conferences/{room['id']}/recording/start")
    assert r.status_code in (200, 201), r.text
    await clock.advance(5)

    async with restarted(api, settings, clock) as new:
        r = await new.get(f"/v1/voice/conferences/{room['id']}/participants")
        assert {(p["status"], p["end_reason"]) for p in r.json()["data"]} == {
            ("left", "server_restart")
        }
        r = await new.post(f"/v1/voice/conferences/{room['id']}/end")
        assert r.status_code == 200, r.text
        assert (await get_conference(new, room["id"]))["status"] == "ended"
        rec = (await new.get(f"/v1/voice/conferences/{room['id']}/recording")).json()["data"]
        assert (rec["status"], rec["signed_url"]) == ("failed", None)  # the simulator's is lost


async def test_a_voicemail_being_left_is_marked_failed_not_left_recording(
    api: httpx.AsyncClient, clock: FakeClock, settings: Settings
) -> None:
    box = await create_voicemail_box(api)
    call = await leave_message(api, clock, box)
    await clock.advance(8)  # the greeting and beep have played; the caller is speaking
    assert (await only_message(api))["status"] == "recording"

    async with restarted(api, settings, clock) as new:
        got = await get_call(new, call["id"])
        assert (got["status"], got["end_reason"]) == ("completed", "server_restart")
        message = await only_message(new)
        assert (message["status"], message["end_reason"]) == ("failed", "hangup")
        assert "voicemail.failed" in await types(new, call["id"])
