"""Calls rung through ring groups on the simulator, in FakeClock time: simultaneous (first
answer wins, the rest are cancelled), sequential and random order, per-member ring time,
fallback when nobody answers, and the whole path from an inbound call to a number."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from helpers import CALLER_ID, create_number, get_call
from orbit_voice.calls import repository as calls_repo
from orbit_voice.db import pop_after_commit
from orbit_voice.kit.clock import FakeClock

URL = "/v1/voice/ring-groups"
NEVER = "+15005550002"  # the simulator never answers it
BUSY = "+15005550001"


@pytest.fixture(autouse=True)
async def _number(api: httpx.AsyncClient) -> None:
    await create_number(api, CALLER_ID)


async def group(api: httpx.AsyncClient, members: list[dict[str, Any]], **extra: Any) -> str:
    r = await api.post(URL, json={"name": "Team", "members": members, **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def answered(api: httpx.AsyncClient, clock: FakeClock) -> str:
    r = await api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID})
    await clock.advance(2)
    return str(r.json()["data"]["id"])


async def ring(app: Any, call_id: str, group_id: str) -> None:
    """What a number's handler or an IVR option does: ring the group for the call."""
    from orbit_voice.ring_groups.service import ring as ring_group

    async with app.state.sessionmaker() as session:
        call = await calls_repo.get_call(session, None, call_id, lock=True)
        assert call is not None
        await ring_group(session, app.state.runtime, call, group_id)
        await session.commit()
        hooks = pop_after_commit(session)
    for hook in hooks:
        await hook()


async def legs(api: httpx.AsyncClient, call_id: str) -> list[dict[str, Any]]:
    r = await api.get("/v1/voice/calls", params={"limit": 100})
    found = [c for c in r.json()["data"] if c["parent_call_id"] == call_id]
    return sorted(found, key=lambda c: (c["created_at"], c["id"]))


async def events(api: httpx.AsyncClient, call_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    return sorted(r.json()["data"], key=lambda e: e["seq"])


async def test_simultaneous_first_answer_wins_and_the_others_are_cancelled(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    group_id = await group(
        api, [{"phone_number": NEVER}, {"phone_number": "+14155550100"}, {"phone_number": NEVER}]
    )
    call_id = await answered(api, clock)
    await ring(app, call_id, group_id)
    ringing = await legs(api, call_id)
    assert [leg["leg_role"] for leg in ringing] == ["ring_group"] * 3
    await clock.advance(2)
    by_to = {leg["id"]: await get_call(api, leg["id"]) for leg in ringing}
    [winner] = [c for c in by_to.values() if c["status"] == "in_progress"]
    assert winner["to"] == "+14155550100"
    losers = [c for c in by_to.values() if c["id"] != winner["id"]]
    assert [(c["status"], c["end_reason"]) for c in losers] == [
        ("cancelled", "answered_elsewhere")
    ] * 2
    assert app.state.runtime.media.get("sim").hears(call_id, winner["id"])
    answered_event = [e for e in await events(api, call_id) if e["type"] == "ring_group.answered"]
    assert answered_event[0]["data"]["leg_call_id"] == winner["id"]
    # Nobody else rings later, and no fallback happens.
    await clock.advance(60)
    assert (await get_call(api, call_id))["status"] == "in_progress"


async def test_simultaneous_two_answers_at_once_only_one_is_bridged(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    group_id = await group(
        api, [{"phone_number": "+14155550100"}, {"phone_number": "+14155550101"}]
    )
    call_id = await answered(api, clock)
    await ring(app, call_id, group_id)
    await clock.advance(2)
    final = [await get_call(api, leg["id"]) for leg in await legs(api, call_id)]
    [loser] = [c for c in final if c["status"] != "in_progress"]
    # Cancelled if dropped before its own answer was processed, else hung up after it.
    assert loser["status"] in {"cancelled", "completed"}
    assert loser["end_reason"] == "answered_elsewhere"
    sim = app.state.runtime.media.get("sim")
    assert [sim.hears(call_id, c["id"]) for c in final].count(True) == 1


async def test_sequential_rings_each_member_for_its_own_time_in_order(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    group_id = await group(
        api,
        [
            {"phone_number": NEVER, "ring_seconds": 5},
            {"phone_number": BUSY},
            {"phone_number": "+14155550100"},
        ],
        strategy="sequential",
    )
    call_id = await answered(api, clock)
    start = clock.now()
    await ring(app, call_id, group_id)
    assert [leg["to"] for leg in await legs(api, call_id)] == [NEVER]
    await clock.advance(4.9)
    assert len(await legs(api, call_id)) == 1
    await clock.advance(0.1)  # the first member's 5 s are up
    assert [leg["to"] for leg in await legs(api, call_id)] == [NEVER, BUSY]
    await clock.advance(2)  # busy after 2 s of ringing: next member
    dialled = await legs(api, call_id)
    assert [leg["to"] for leg in dialled] == [NEVER, BUSY, "+14155550100"]
    assert [(await get_call(api, leg["id"]))["status"] for leg in dialled[:2]] == [
        "no_answer",
        "busy",
    ]
    await clock.advance(2)
    assert (await get_call(api, dialled[2]["id"]))["status"] == "in_progress"
    missed = [e for e in await events(api, call_id) if e["type"] == "ring_group.member_missed"]
    assert [e["data"]["reason"] for e in missed] == ["no_answer", "busy"]
    assert (clock.now() - start).total_seconds() == 9


async def test_no_answer_uses_the_groups_timeout_then_the_fallback(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    group_id = await group(
        api,
        [{"phone_number": NEVER}, {"phone_number": NEVER, "ring_seconds": 3}],
        strategy="sequential",
        timeout_seconds=8,
        fallback_action="hangup",
    )
    call_id = await answered(api, clock)
    await ring(app, call_id, group_id)
    await clock.advance(8)
    assert len(await legs(api, call_id)) == 2
    await clock.advance(2.9)
    assert (await get_call(api, call_id))["status"] == "in_progress"
    await clock.advance(0.1)
    call = await get_call(api, call_id)
    assert (call["status"], call["end_reason"]) == ("completed", "routing_hangup")
    [no_answer] = [e for e in await events(api, call_id) if e["type"] == "ring_group.no_answer"]
    assert no_answer["data"] == {
        "ring_group_id": group_id,
        "fallback_action": "hangup",
        "fallback_target": None,
    }


async def test_simultaneous_falls_back_only_when_every_member_gave_up(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    group_id = await group(
        api,
        [{"phone_number": BUSY}, {"phone_number": NEVER, "ring_seconds": 10}],
        fallback_action="transfer_number",
        fallback_target="+14155550199",
    )
    call_id = await answered(api, clock)
    await ring(app, call_id, group_id)
    await clock.advance(2)  # one busy, the other still ringing
    assert not [e for e in await events(api, call_id) if e["type"] == "ring_group.no_answer"]
    await clock.advance(8)
    transfer = [leg for leg in await legs(api, call_id) if leg["leg_role"] == "transfer"]
    assert [leg["to"] for leg in transfer] == ["+14155550199"]


async def test_random_rings_members_in_a_shuffled_order(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    numbers = [f"+1415555010{i}" for i in range(4)]
    group_id = await group(api, [{"phone_number": n} for n in numbers], strategy="random")
    orders = set()
    for _ in range(12):
        call_id = await answered(api, clock)
        await ring(app, call_id, group_id)
        [started] = [e for e in await events(api, call_id) if e["type"] == "ring_group.started"]
        order = started["data"]["order"]
        assert sorted(order) == sorted(numbers)
        # Sequentially: only the first of the shuffled order rings.
        assert [leg["to"] for leg in await legs(api, call_id)] == [order[0]]
        orders.add(tuple(order))
        await api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert len(orders) > 1  # 12 times the same of 24 orders: (1/24)^11 by chance


async def test_caller_leaving_cancels_the_ringing_members_without_fallback(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    group_id = await group(api, [{"phone_number": NEVER}, {"phone_number": NEVER}])
    call_id = await answered(api, clock)
    await ring(app, call_id, group_id)
    await clock.advance(1)  # the members' phones are ringing
    await api.post(f"/v1/voice/simulator/calls/{call_id}/hangup")
    assert [(await get_call(api, leg["id"]))["status"] for leg in await legs(api, call_id)] == [
        "cancelled",
        "cancelled",
    ]
    await clock.advance(60)
    assert not [e for e in await events(api, call_id) if e["type"] == "ring_group.no_answer"]


async def test_member_hanging_up_ends_the_call(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    group_id = await group(api, [{"phone_number": "+14155550100"}])
    call_id = await answered(api, clock)
    await ring(app, call_id, group_id)
    await clock.advance(2)
    [leg] = await legs(api, call_id)
    await api.post(f"/v1/voice/simulator/calls/{leg['id']}/hangup")
    call = await get_call(api, call_id)
    assert (call["status"], call["end_reason"]) == ("completed", "ring_group_member_hangup")


async def test_inbound_call_to_a_number_rings_an_extension_group(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    r = await api.post("/v1/voice/sip-credentials", json={"username": "alice", "extension": "1001"})
    ext = r.json()["data"]["extension_id"]
    group_id = await group(api, [{"extension_id": ext}])
    await create_number(api, "+12025550111")
    r = await api.put(
        f"/v1/voice/numbers/{(await _number_id(api, '+12025550111'))}",
        json={"handler": {"type": "ring_group", "target": group_id}},
    )
    assert r.status_code == 200, r.text
    r = await api.post(
        "/v1/voice/simulator/inbound", json={"from": "+14155550123", "to": "+12025550111"}
    )
    call_id = r.json()["data"]["id"]
    await clock.advance(app.state.settings.routing_ring_seconds)
    assert (await get_call(api, call_id))["status"] == "in_progress"
    [leg] = await legs(api, call_id)
    assert (leg["to"], leg["from"]) == (ext, "+14155550123")
    await clock.advance(2)
    assert (await get_call(api, leg["id"]))["status"] == "in_progress"
    assert app.state.runtime.media.get("sim").hears(call_id, leg["id"])


async def test_unanswered_group_falls_back_to_voicemail_and_the_message_is_listed(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    r = await api.post("/v1/voice/voicemail", json={"name": "Team box"})
    assert r.status_code == 201, r.text
    box_id = r.json()["data"]["id"]
    group_id = await group(
        api,
        [{"phone_number": NEVER}],
        timeout_seconds=10,
        fallback_action="voicemail",
        fallback_target=box_id,
    )
    await create_number(api, "+12025550112")
    await api.put(
        f"/v1/voice/numbers/{(await _number_id(api, '+12025550112'))}",
        json={"handler": {"type": "ring_group", "target": group_id}},
    )
    r = await api.post(
        "/v1/voice/simulator/inbound", json={"from": "+14155550124", "to": "+12025550112"}
    )
    call_id = r.json()["data"]["id"]
    await clock.advance(app.state.settings.routing_ring_seconds + 10)
    types = [e["type"] for e in await events(api, call_id)]
    assert "ring_group.no_answer" in types
    assert "voicemail.recording.started" in types
    await clock.advance(5)  # the caller speaks, then hangs up
    await api.post(f"/v1/voice/simulator/calls/{call_id}/hangup")
    r = await api.get("/v1/voice/voicemails", params={"voicemail_id": box_id})
    [message] = r.json()["data"]
    assert message["caller"] == "+14155550124"


async def _number_id(api: httpx.AsyncClient, number: str) -> str:
    r = await api.get("/v1/voice/numbers", params={"limit": 100})
    [found] = [n for n in r.json()["data"] if n["number"] == number]
    return str(found["id"])
