"""Participants and moderation, proven through the API and the audio routing the simulator
reports (``sim.hears(listener, speaker)``; legs are the participants' call ids)."""

from __future__ import annotations

from itertools import permutations
from typing import Any

import httpx
from conference_helpers import (
    add,
    create_conference,
    get_conference,
    joined,
    participant,
    sim_of,
    verb,
)

from helpers import CALLER_ID, create_number, get_call
from orbit_voice.kit.clock import FakeClock
from orbit_voice.media.sim import BUSY, SimBackend

A, B, C, D = "+14155550101", "+14155550102", "+14155550103", "+14155550104"


def all_hear_each_other(sim: SimBackend, legs: list[str]) -> bool:
    return all(sim.hears(x, y) for x, y in permutations(legs, 2))


async def test_add_dials_a_conference_leg_that_joins_when_answered(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await create_number(api)
    conference = await create_conference(api)
    cid = conference["id"]
    p = await add(api, cid, A)
    assert p["id"].startswith("part_")
    assert (p["status"], p["number"], p["source"], p["muted"]) == ("dialing", A, "dial_out", False)
    call = await get_call(api, p["call_id"])
    assert (call["to"], call["from"], call["leg_role"]) == (A, CALLER_ID, "conference")
    assert (await get_conference(api, cid))["status"] == "waiting"
    await clock.advance(2)
    p = await participant(api, cid, p["id"])
    assert p["status"] == "joined" and p["joined_at"] == "2026-03-08T12:00:02Z"
    conf = await get_conference(api, cid)
    assert conf["status"] == "active" and conf["started_at"] == "2026-03-08T12:00:02Z"
    assert conf["participants_count"] == 1
    assert (await get_call(api, p["call_id"]))["status"] == "in_progress"
    assert p["call_id"] in sim_of(app).rooms[cid].members


async def test_everyone_hears_everyone_else(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await create_number(api)
    cid = (await create_conference(api))["id"]
    parts = await joined(api, clock, cid, A, B, C)
    sim = sim_of(app)
    legs = [p["call_id"] for p in parts]
    assert all_hear_each_other(sim, legs)
    # Nobody hears a room they are not in.
    other = (await create_conference(api, name="other"))["id"]
    (outsider,) = await joined(api, clock, other, D)
    assert not any(sim.hears(outsider["call_id"], leg) for leg in legs)
    assert not any(sim.hears(leg, outsider["call_id"]) for leg in legs)


async def test_mute_and_unmute_a_participant(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await create_number(api)
    cid = (await create_conference(api))["id"]
    a, b, c = await joined(api, clock, cid, A, B, C)
    sim = sim_of(app)
    for _ in range(2):  # idempotent
        body = await verb(api, f"{cid}/participants/{a['id']}/mute")
        assert body["data"]["muted"] is True
    assert not sim.hears(b["call_id"], a["call_id"]) and not sim.hears(c["call_id"], a["call_id"])
    assert sim.hears(a["call_id"], b["call_id"])  # a muted participant still hears the room
    assert sim.hears(b["call_id"], c["call_id"])
    body = await verb(api, f"{cid}/participants/{a['id']}/unmute")
    assert body["data"]["muted"] is False
    assert all_hear_each_other(sim, [a["call_id"], b["call_id"], c["call_id"]])


async def test_muted_on_add_and_mute_on_join(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await create_number(api)
    sim = sim_of(app)
    cid = (await create_conference(api))["id"]
    a, b = await joined(api, clock, cid, A, B, muted=False)
    c = (await joined(api, clock, cid, C, muted=True))[0]
    assert c["muted"] is True
    assert not sim.hears(a["call_id"], c["call_id"]) and sim.hears(c["call_id"], a["call_id"])
    assert sim.hears(a["call_id"], b["call_id"])

    quiet = (await create_conference(api, name="webinar", mute_on_join=True))["id"]
    x, y = await joined(api, clock, quiet, A, B)
    assert x["muted"] is True and y["muted"] is True
    assert not sim.hears(x["call_id"], y["call_id"]) and not sim.hears(y["call_id"], x["call_id"])


async def test_hold_and_unhold(api: httpx.AsyncClient, clock: FakeClock, app: Any) -> None:
    await create_number(api)
    sim = sim_of(app)
    cid = (await create_conference(api))["id"]
    a, b, c = await joined(api, clock, cid, A, B, C)
    body = await verb(api, f"{cid}/participants/{a['id']}/hold")
    assert body["data"]["on_hold"] is True
    assert not sim.hears(a["call_id"], b["call_id"]) and not sim.hears(b["call_id"], a["call_id"])
    assert sim.hears(b["call_id"], c["call_id"])
    assert (await get_call(api, a["call_id"]))["on_hold"] is True
    body = await verb(api, f"{cid}/participants/{a['id']}/unhold")
    assert body["data"]["on_hold"] is False
    assert all_hear_each_other(sim, [a["call_id"], b["call_id"], c["call_id"]])
    # Hold needs someone in the room; a participant still ringing cannot be held.
    ringing = await add(api, cid, D)
    body = await verb(api, f"{cid}/participants/{ringing['id']}/hold", 409)
    assert body["error"]["code"] == "participant_not_active"


async def test_unmute_all_unmutes_only_those_mute_all_muted(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await create_number(api)
    sim = sim_of(app)
    cid = (await create_conference(api))["id"]
    a, b, c = await joined(api, clock, cid, A, B, C)
    await verb(api, f"{cid}/participants/{a['id']}/mute")  # muted before mute-all
    conf = (await verb(api, f"{cid}/mute-all"))["data"]
    assert conf["all_muted"] is True
    legs = [a["call_id"], b["call_id"], c["call_id"]]
    assert not any(sim.hears(x, y) for x, y in permutations(legs, 2))
    # Someone joining while mute-all is in force arrives muted by it.
    (d,) = await joined(api, clock, cid, D)
    assert d["muted"] is True
    assert d["call_id"] in sim.rooms[cid].members
    assert not any(sim.hears(leg, d["call_id"]) for leg in legs)
    conf = (await verb(api, f"{cid}/unmute-all"))["data"]
    assert conf["all_muted"] is False
    states = {p["id"]: (await participant(api, cid, p["id"]))["muted"] for p in (a, b, c, d)}
    assert states == {a["id"]: True, b["id"]: False, c["id"]: False, d["id"]: False}
    assert not sim.hears(b["call_id"], a["call_id"])  # a keeps their own mute
    assert all_hear_each_other(sim, [b["call_id"], c["call_id"], d["call_id"]])


async def test_a_hand_unmute_takes_a_participant_out_of_mute_all(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    cid = (await create_conference(api))["id"]
    a, b = await joined(api, clock, cid, A, B)
    await verb(api, f"{cid}/mute-all")
    await verb(api, f"{cid}/participants/{a['id']}/unmute")
    await verb(api, f"{cid}/participants/{a['id']}/mute")  # muted by hand now
    await verb(api, f"{cid}/unmute-all")
    assert (await participant(api, cid, a["id"]))["muted"] is True
    assert (await participant(api, cid, b["id"]))["muted"] is False


async def test_lock_refuses_joins_and_keeps_everyone_connected(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await create_number(api)
    sim = sim_of(app)
    cid = (await create_conference(api))["id"]
    a, b = await joined(api, clock, cid, A, B)
    assert (await verb(api, f"{cid}/lock"))["data"]["locked"] is True
    r = await api.post(f"/v1/voice/conferences/{cid}/participants", json={"number": C})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conference_locked"
    assert sim.hears(a["call_id"], b["call_id"]) and sim.hears(b["call_id"], a["call_id"])
    r = await api.get(f"/v1/voice/conferences/{cid}/participants")
    assert r.json()["meta"]["pagination"]["total"] == 2  # nothing was written
    assert (await verb(api, f"{cid}/unlock"))["data"]["locked"] is False
    (c,) = await joined(api, clock, cid, C)
    assert all_hear_each_other(sim, [a["call_id"], b["call_id"], c["call_id"]])


async def test_locking_while_a_participant_rings_refuses_them_at_answer(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    cid = (await create_conference(api))["id"]
    (a,) = await joined(api, clock, cid, A)
    ringing = await add(api, cid, B)
    await verb(api, f"{cid}/lock")
    await clock.advance(2)
    p = await participant(api, cid, ringing["id"])
    assert (p["status"], p["end_reason"]) == ("failed", "conference_locked")
    assert (await get_call(api, p["call_id"]))["status"] == "completed"
    assert (await participant(api, cid, a["id"]))["status"] == "joined"


async def test_max_participants(api: httpx.AsyncClient, clock: FakeClock) -> None:
    await create_number(api)
    cid = (await create_conference(api, max_participants=2))["id"]
    (a,) = await joined(api, clock, cid, A)
    await add(api, cid, B)  # still ringing, but the seat is taken
    r = await api.post(f"/v1/voice/conferences/{cid}/participants", json={"number": C})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conference_full"
    assert r.json()["error"]["details"] == {"max_participants": 2}
    r = await api.delete(f"/v1/voice/conferences/{cid}/participants/{a['id']}")
    assert r.status_code == 204
    await add(api, cid, C)  # a seat is free again


async def test_remove_a_participant(api: httpx.AsyncClient, clock: FakeClock, app: Any) -> None:
    await create_number(api)
    sim = sim_of(app)
    cid = (await create_conference(api))["id"]
    a, b, c = await joined(api, clock, cid, A, B, C)
    await clock.advance(10)
    r = await api.delete(f"/v1/voice/conferences/{cid}/participants/{a['id']}")
    assert r.status_code == 204
    p = await participant(api, cid, a["id"])
    assert (p["status"], p["end_reason"], p["left_at"]) == (
        "left",
        "removed",
        "2026-03-08T12:00:12Z",
    )
    call = await get_call(api, a["call_id"])
    assert (call["status"], call["end_reason"]) == ("completed", "removed")
    assert not sim.hears(b["call_id"], a["call_id"]) and not sim.hears(a["call_id"], b["call_id"])
    assert all_hear_each_other(sim, [b["call_id"], c["call_id"]])
    assert (await get_conference(api, cid))["participants_count"] == 2
    r = await api.delete(f"/v1/voice/conferences/{cid}/participants/{a['id']}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "participant_not_active"
    r = await api.post(f"/v1/voice/conferences/{cid}/participants/{a['id']}/mute")
    assert r.status_code == 409


async def test_removing_a_ringing_participant_cancels_the_leg(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    cid = (await create_conference(api))["id"]
    p = await add(api, cid, A)
    await clock.advance(1)
    assert (await get_call(api, p["call_id"]))["status"] == "ringing"
    r = await api.delete(f"/v1/voice/conferences/{cid}/participants/{p['id']}")
    assert r.status_code == 204
    p = await participant(api, cid, p["id"])
    assert (p["status"], p["end_reason"]) == ("failed", "removed")
    assert (await get_call(api, p["call_id"]))["status"] == "cancelled"
    await clock.advance(5)  # the simulator's answer never comes back to life
    assert (await participant(api, cid, p["id"]))["status"] == "failed"
    assert (await get_conference(api, cid))["status"] == "waiting"


async def test_participant_hangs_up_or_never_answers(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await create_number(api)
    cid = (await create_conference(api))["id"]
    a, b = await joined(api, clock, cid, A, B)
    r = await api.post(f"/v1/voice/simulator/calls/{a['call_id']}/hangup")
    assert r.status_code == 200
    p = await participant(api, cid, a["id"])
    assert (p["status"], p["end_reason"]) == ("left", "far_end_hangup")
    assert a["call_id"] not in sim_of(app).rooms[cid].members
    busy = await add(api, cid, BUSY)
    await clock.advance(2)
    p = await participant(api, cid, busy["id"])
    assert (p["status"], p["end_reason"], p["joined_at"]) == ("failed", "busy", None)
    # The room goes on with whoever is left; it only ends when asked to.
    assert (await get_conference(api, cid))["status"] == "active"
    assert (await participant(api, cid, b["id"]))["status"] == "joined"


async def test_hanging_up_a_participants_call_through_the_calls_api(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    cid = (await create_conference(api))["id"]
    (a,) = await joined(api, clock, cid, A)
    r = await api.post(f"/v1/voice/calls/{a['call_id']}/hangup")
    assert r.status_code == 200
    p = await participant(api, cid, a["id"])
    assert (p["status"], p["end_reason"]) == ("left", "hangup")


async def test_end_disconnects_everyone(api: httpx.AsyncClient, clock: FakeClock, app: Any) -> None:
    await create_number(api)
    sim = sim_of(app)
    cid = (await create_conference(api))["id"]
    a, b = await joined(api, clock, cid, A, B)
    ringing = await add(api, cid, C)
    await verb(api, f"{cid}/end")
    for p in (a, b):
        got = await participant(api, cid, p["id"])
        assert (got["status"], got["end_reason"]) == ("left", "conference_ended")
        call = await get_call(api, p["call_id"])
        assert (call["status"], call["end_reason"]) == ("completed", "conference_ended")
    got = await participant(api, cid, ringing["id"])
    assert (got["status"], got["end_reason"]) == ("failed", "conference_ended")
    assert (await get_call(api, ringing["call_id"]))["status"] == "cancelled"
    assert not sim.hears(a["call_id"], b["call_id"])
    assert cid not in sim.rooms


async def test_participants_list_and_filter(api: httpx.AsyncClient, clock: FakeClock) -> None:
    await create_number(api)
    cid = (await create_conference(api))["id"]
    a, _ = await joined(api, clock, cid, A, B)
    await api.delete(f"/v1/voice/conferences/{cid}/participants/{a['id']}")
    r = await api.get(f"/v1/voice/conferences/{cid}/participants")
    assert r.json()["meta"]["pagination"]["total"] == 2
    r = await api.get(f"/v1/voice/conferences/{cid}/participants", params={"status": "left"})
    assert [p["id"] for p in r.json()["data"]] == [a["id"]]


async def test_participant_validation(
    api: httpx.AsyncClient, clock: FakeClock, other_api: httpx.AsyncClient
) -> None:
    cid = (await create_conference(api))["id"]
    path = f"/v1/voice/conferences/{cid}/participants"
    r = await api.post(path, json={"number": A})
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_caller_id"
    assert r.json()["error"]["param"] == "from"
    await create_number(api)
    await create_number(other_api, "+12025550000")
    for body, param, code in [
        ({}, "number", None),
        ({"number": "4155550101"}, "number", None),
        ({"number": A, "muted": "maybe"}, "muted", None),
        ({"number": A, "from": "+12025550000"}, "from", "from_not_owned"),
        ({"number": A, "moderator": True}, "moderator", None),
    ]:
        r = await api.post(path, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["param"] == param
        if code:
            assert r.json()["error"]["code"] == code
    r = await api.get(path)
    assert r.json()["meta"]["pagination"]["total"] == 0
    p = await add(api, cid, A, **{"from": CALLER_ID})
    assert (await get_call(api, p["call_id"]))["from"] == CALLER_ID


async def test_live_conference_without_engine_is_503_and_writes_nothing(
    client: httpx.AsyncClient, make_key: Any
) -> None:
    headers = {"X-API-Key": await make_key("acme", test=False)}
    await client.post("/v1/voice/numbers", json={"number": CALLER_ID}, headers=headers)
    r = await client.post("/v1/voice/conferences", json={"name": "live"}, headers=headers)
    assert r.status_code == 201
    cid = r.json()["data"]["id"]
    r = await client.post(
        f"/v1/voice/conferences/{cid}/participants", json={"number": A}, headers=headers
    )
    assert r.status_code == 503 and r.json()["error"]["code"] == "media_unavailable"
    r = await client.get(f"/v1/voice/conferences/{cid}/participants", headers=headers)
    assert r.json()["meta"]["pagination"]["total"] == 0
    r = await client.get("/v1/voice/calls", headers=headers)
    assert r.json()["meta"]["pagination"]["total"] == 0
