"""Calls moving through queues on the simulator, in FakeClock time: strategies, priority,
connection to AI and human agents, wrap-up, overflow at max_wait, abandonment, stats."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from queue_helpers import (
    agent,
    agent_of,
    answered_calls,
    children,
    enqueue,
    event_types,
    events,
    get_agent,
    hang_up,
    queue,
    set_status,
    setup_number,
    stats,
)

from helpers import get_call
from orbit_voice.kit.clock import FakeClock


@pytest.fixture(autouse=True)
async def _number(api: httpx.AsyncClient) -> None:
    await setup_number(api)


async def test_ai_agent_takes_the_call_then_wraps_up_for_the_queues_seconds(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    bot = await agent(api, "Bot")
    queue_id = await queue(api, [bot], wrap_up_seconds=10)
    [call_id] = await answered_calls(api, clock)
    await enqueue(api, queue_id, call_id)
    assert await agent_of(api, call_id) == bot
    state = await get_agent(api, bot)
    assert (state["presence"], state["current_call_id"], state["calls_handled"]) == (
        "busy",
        call_id,
        1,
    )
    assert await event_types(api, call_id) == [
        "call.initiated",
        "call.ringing",
        "call.answered",
        "queue.joined",
        "queue.connected",
    ]
    assert (await stats(api, queue_id))["connected"] == 1
    await clock.advance(5)
    await hang_up(api, call_id)
    state = await get_agent(api, bot)
    assert (state["presence"], state["wrap_up_until"], state["current_call_id"]) == (
        "wrap_up",
        "2026-03-08T12:00:17Z",
        None,
    )
    await clock.advance(9.9)
    assert (await get_agent(api, bot))["presence"] == "wrap_up"
    await clock.advance(0.1)
    state = await get_agent(api, bot)
    assert (state["presence"], state["last_call_ended_at"]) == ("available", "2026-03-08T12:00:07Z")
    s = await stats(api, queue_id)
    assert (s["waiting"], s["connected"]) == (0, 0)
    assert s["agents"] == [
        {"agent_id": bot, "name": "Bot", "presence": "available", "calls_handled": 1}
    ]


async def test_human_agent_phone_rings_then_is_bridged_and_hold_music_stops(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    jane = await agent(api, "Jane", kind="human")
    await set_status(api, jane, "available")
    queue_id = await queue(api, [jane], wrap_up_seconds=5)
    [call_id] = await answered_calls(api, clock)
    await enqueue(api, queue_id, call_id)
    [leg] = await children(api, call_id)
    assert (leg["to"], leg["leg_role"], leg["agent_id"]) == (jane, "agent", jane)
    assert (await get_agent(api, jane))["presence"] == "busy"
    assert (await stats(api, queue_id))["waiting"] == 1  # still waiting while the phone rings
    await clock.advance(2)  # the simulator answers the agent's phone
    assert (await get_call(api, leg["id"]))["status"] == "in_progress"
    assert await agent_of(api, call_id) == jane
    sim = app.state.runtime.media.get("sim")
    assert sim.hears(leg["id"], call_id) and sim.hears(call_id, leg["id"])
    connected = [e for e in await events(api, call_id) if e["type"] == "queue.connected"]
    assert connected[0]["data"] == {
        "queue_id": queue_id,
        "agent_id": jane,
        "agent_call_id": leg["id"],
        "wait_seconds": 2,
    }
    s = await stats(api, queue_id)
    assert (s["waiting"], s["connected"], s["avg_wait_seconds_24h"]) == (0, 1, 2.0)
    # The customer hangs up: the agent's leg is hung up and the agent wraps up.
    r = await api.post(f"/v1/voice/simulator/calls/{call_id}/hangup")
    assert r.json()["data"]["status"] == "completed"
    assert (await get_call(api, leg["id"]))["end_reason"] == "parent_ended"
    assert (await get_agent(api, jane))["presence"] == "wrap_up"
    await clock.advance(5)
    assert (await get_agent(api, jane))["presence"] == "available"


async def test_agent_hanging_up_ends_the_customer_call(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    jane = await agent(api, "Jane", kind="human", presence="available")
    queue_id = await queue(api, [jane], wrap_up_seconds=0)
    [call_id] = await answered_calls(api, clock)
    await enqueue(api, queue_id, call_id)
    await clock.advance(2)
    [leg] = await children(api, call_id)
    await api.post(f"/v1/voice/simulator/calls/{leg['id']}/hangup")
    call = await get_call(api, call_id)
    assert (call["status"], call["end_reason"]) == ("completed", "agent_hangup")
    state = await get_agent(api, jane)
    assert (state["presence"], state["calls_handled"]) == ("available", 1)


async def test_transferring_an_agents_caller_hangs_up_the_agent_and_starts_wrap_up(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    jane = await agent(api, "Jane", kind="human", presence="available")
    queue_id = await queue(api, [jane], wrap_up_seconds=5)
    [call_id] = await answered_calls(api, clock)
    await enqueue(api, queue_id, call_id)
    await clock.advance(2)
    [leg] = await children(api, call_id)
    r = await api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": "+14155550999"})
    assert r.status_code == 200, r.text
    await clock.advance(2)  # the transferee answers
    # The agent's leg is hung up (not a three-way call), the caller goes on, Jane wraps up.
    agent_leg = await get_call(api, leg["id"])
    assert (agent_leg["status"], agent_leg["end_reason"]) == ("completed", "transferred")
    call = await get_call(api, call_id)
    assert (call["status"], call["agent_id"]) == ("in_progress", None)
    sim = app.state.runtime.media.get("sim")
    [target] = [c for c in await children(api, call_id) if c["leg_role"] == "transfer"]
    assert sim.hears(call_id, target["id"]) and not sim.hears(call_id, leg["id"])
    state = await get_agent(api, jane)
    assert (state["presence"], state["current_call_id"], state["calls_handled"]) == (
        "wrap_up",
        None,
        1,
    )
    await clock.advance(5)
    assert (await get_agent(api, jane))["presence"] == "available"


async def test_agent_who_does_not_answer_goes_offline_and_the_caller_waits_on(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    jane = await agent(api, "Jane", kind="human", presence="available")
    bob = await agent(api, "Bob", kind="human", presence="offline")
    queue_id = await queue(api, [jane, bob])
    [call_id] = await answered_calls(api, clock)
    await enqueue(api, queue_id, call_id)
    [leg] = await children(api, call_id)
    await clock.advance(1)  # ringing
    # Jane rejects the call on her phone before it is answered.
    r = await api.post(f"/v1/voice/simulator/calls/{leg['id']}/hangup")
    assert r.json()["data"]["status"] == "cancelled"
    assert (await get_agent(api, jane))["presence"] == "offline"
    assert "queue.agent_no_answer" in await event_types(api, call_id)
    assert (await stats(api, queue_id))["waiting"] == 1
    await set_status(api, bob, "available")
    await clock.advance(2)
    assert await agent_of(api, call_id) == bob


async def test_higher_priority_first_then_longest_waiting(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    bot = await agent(api, "Bot", presence="offline")
    queue_id = await queue(api, [bot], wrap_up_seconds=0)
    calls = await answered_calls(api, clock, 4)
    positions = []
    for call_id, priority in zip(calls, [0, 5, 5, 0], strict=True):
        positions.append((await enqueue(api, queue_id, call_id, priority))["position"])
        await clock.advance(1)
    assert positions == [1, 1, 2, 4]
    assert (await stats(api, queue_id))["waiting"] == 4
    order = []
    await set_status(api, bot, "available")
    for _ in range(4):
        [current] = [c for c in calls if await agent_of(api, c) == bot and c not in order]
        order.append(current)
        await hang_up(api, current)
    assert order == [calls[1], calls[2], calls[0], calls[3]]


async def _serve(api: httpx.AsyncClient, queue_id: str, call_id: str) -> str | None:
    """Enqueue ``call_id``, note who took it, and end it."""
    await enqueue(api, queue_id, call_id)
    taken_by = await agent_of(api, call_id)
    await hang_up(api, call_id)
    return taken_by


async def test_longest_idle_picks_the_agent_idle_longest(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    x = await agent(api, "X")
    await clock.advance(1)
    y = await agent(api, "Y")
    await clock.advance(1)
    z = await agent(api, "Z", presence="offline")
    queue_id = await queue(api, [z, y, x], wrap_up_seconds=0)
    c1, c2, c3, c4, c5 = await answered_calls(api, clock, 5)
    await enqueue(api, queue_id, c1)
    await enqueue(api, queue_id, c2)
    # Neither has had a call: the one created first goes first.
    assert (await agent_of(api, c1), await agent_of(api, c2)) == (x, y)
    await clock.advance(10)
    await hang_up(api, c2)  # Y idle since t+10
    await clock.advance(10)
    await hang_up(api, c1)  # X idle since t+20
    await set_status(api, z, "available")  # Z never had a call: idlest of all
    assert [await _serve(api, queue_id, c) for c in (c3, c4, c5)] == [z, y, x]


async def test_round_robin_walks_the_member_list_and_skips_unavailable_agents(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    a, b, c = [await agent(api, name) for name in ("A", "B", "C")]
    queue_id = await queue(api, [c, a, b], strategy="round_robin", wrap_up_seconds=0)
    calls = await answered_calls(api, clock, 7)
    picks = [await _serve(api, queue_id, call) for call in calls[:4]]
    assert picks == [c, a, b, c]
    await set_status(api, b, "offline")
    picks = [await _serve(api, queue_id, call) for call in calls[4:7]]
    assert picks == [a, c, a]


async def test_least_calls_picks_who_answered_fewest_of_this_queues_calls(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    a = await agent(api, "A")
    b = await agent(api, "B", presence="offline")
    c = await agent(api, "C", presence="offline")
    queue_id = await queue(api, [a, b, c], strategy="least_calls", wrap_up_seconds=0)
    other_queue = await queue(api, [c], wrap_up_seconds=0)
    calls = await answered_calls(api, clock, 8)
    assert [await _serve(api, queue_id, call) for call in calls[:2]] == [a, a]
    await set_status(api, c, "available")
    # C's calls from another queue do not count here.
    assert [await _serve(api, other_queue, call) for call in calls[2:4]] == [c, c]
    await clock.advance(1)
    assert await _serve(api, queue_id, calls[4]) == c  # A: 2, C: 0
    await clock.advance(1)
    await set_status(api, b, "available")
    assert await _serve(api, queue_id, calls[5]) == b  # A: 2, B: 0, C: 1
    await clock.advance(1)
    # B and C have one each; C has been idle longer.
    assert await _serve(api, queue_id, calls[6]) == c
    s = await stats(api, queue_id)
    assert {row["agent_id"]: row["calls_handled"] for row in s["agents"]} == {a: 2, b: 1, c: 2}


async def test_random_spreads_calls_over_available_agents_only(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    members = [await agent(api, name) for name in ("A", "B", "C")]
    away = await agent(api, "Away", presence="offline")
    queue_id = await queue(api, [*members, away], strategy="random", wrap_up_seconds=0)
    picks = set()
    for call_id in await answered_calls(api, clock, 24):
        picks.add(await _serve(api, queue_id, call_id))
    assert picks <= set(members)
    assert len(picks) >= 2  # all 24 on one agent: (1/3)^23 by chance


async def test_max_wait_overflows_to_hangup(api: httpx.AsyncClient, clock: FakeClock) -> None:
    queue_id = await queue(api, [], max_wait_seconds=60, overflow_action="hangup")
    [call_id] = await answered_calls(api, clock)
    await enqueue(api, queue_id, call_id)
    await clock.advance(59.5)
    assert (await get_call(api, call_id))["status"] == "in_progress"
    await clock.advance(0.5)
    call = await get_call(api, call_id)
    assert (call["status"], call["end_reason"]) == ("completed", "routing_hangup")
    overflowed = [e for e in await events(api, call_id) if e["type"] == "queue.overflowed"]
    assert overflowed[0]["data"] == {
        "queue_id": queue_id,
        "wait_seconds": 60,
        "overflow_action": "hangup",
        "overflow_target": None,
    }
    s = await stats(api, queue_id)
    assert (s["waiting"], s["abandoned_24h"], s["avg_wait_seconds_24h"]) == (0, 0, 60.0)


async def test_max_wait_overflows_to_a_number(api: httpx.AsyncClient, clock: FakeClock) -> None:
    queue_id = await queue(
        api,
        [],
        max_wait_seconds=30,
        overflow_action="transfer_number",
        overflow_target="+14155550100",
    )
    [call_id] = await answered_calls(api, clock)
    await enqueue(api, queue_id, call_id)
    await clock.advance(30)
    [leg] = await children(api, call_id)
    assert (leg["to"], leg["leg_role"]) == ("+14155550100", "transfer")
    await clock.advance(2)
    assert "call.transferred" in await event_types(api, call_id)
    assert (await get_call(api, call_id))["status"] == "in_progress"


async def test_caller_hanging_up_while_waiting_is_abandoned(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    bot = await agent(api, "Bot", presence="offline")
    queue_id = await queue(api, [bot])
    first, second = await answered_calls(api, clock, 2)
    await enqueue(api, queue_id, first)
    await enqueue(api, queue_id, second)
    await clock.advance(30)
    await api.post(f"/v1/voice/simulator/calls/{first}/hangup")
    assert "queue.abandoned" in await event_types(api, first)
    await clock.advance(10)
    await set_status(api, bot, "available")  # the second caller waited 40 s
    assert await agent_of(api, second) == bot
    s = await stats(api, queue_id)
    assert (s["waiting"], s["connected"], s["abandoned_24h"]) == (0, 1, 1)
    assert s["avg_wait_seconds_24h"] == 35.0
    await clock.advance(24 * 3600 + 1)
    s = await stats(api, queue_id)
    assert (s["abandoned_24h"], s["avg_wait_seconds_24h"]) == (0, 0.0)


async def test_one_agent_two_simultaneous_callers_only_one_gets_it(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    bot = await agent(api, "Bot")
    queue_id = await queue(api, [bot])
    first, second = await answered_calls(api, clock, 2)
    results = await asyncio.gather(
        api.post(f"/v1/voice/queues/{queue_id}/enqueue", json={"call_id": first}),
        api.post(f"/v1/voice/queues/{queue_id}/enqueue", json={"call_id": second}),
    )
    assert [r.status_code for r in results] == [201, 201]
    owners = [await agent_of(api, first), await agent_of(api, second)]
    assert sorted(owners, key=str) == sorted([bot, None], key=str)
    state = await get_agent(api, bot)
    assert state["current_call_id"] in (first, second)
    assert state["calls_handled"] == 1
    s = await stats(api, queue_id)
    assert (s["waiting"], s["connected"]) == (1, 1)


async def test_a_member_added_by_update_is_offered_the_waiting_call(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    bot = await agent(api, "Bot")
    queue_id = await queue(api, [])
    [call_id] = await answered_calls(api, clock)
    await enqueue(api, queue_id, call_id)
    assert await agent_of(api, call_id) is None
    r = await api.put(f"/v1/voice/queues/{queue_id}", json={"agent_ids": [bot]})
    assert r.status_code == 200
    assert await agent_of(api, call_id) == bot


async def test_ai_agent_handing_its_caller_to_a_queue_is_released(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    front_desk = await agent(api, "Front desk")
    human = await agent(api, "Human", kind="human", presence="offline")
    queue_id = await queue(api, [human])
    r = await api.post(
        "/v1/voice/calls",
        json={"to": "+14155552671", "from": "+12025551234", "agent_id": front_desk},
    )
    call_id = r.json()["data"]["id"]
    await clock.advance(2)
    await enqueue(api, queue_id, call_id)
    assert await agent_of(api, call_id) is None
    assert (await get_agent(api, front_desk))["presence"] == "available"
