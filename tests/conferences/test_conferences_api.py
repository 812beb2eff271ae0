"""Conference resources through the API: shape, defaults, validation, PINs, tenancy, end/delete."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from conference_helpers import create_conference, get_conference, joined, verb

from helpers import create_number
from orbit_voice.conferences import service as conference_service
from orbit_voice.kit.clock import FakeClock


async def test_create_has_the_spec_shape_and_defaults(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/voice/conferences", json={"name": "Q1 Planning Call"})
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["id"].startswith("conf_")
    assert data["name"] == "Q1 Planning Call"
    assert data["status"] == "waiting"
    assert len(data["pin"]) == 6 and data["pin"].isdigit()
    assert data["dial_in_number"] is None  # no number routes to conferences yet
    assert data["max_participants"] == 50
    assert data["record"] is False and data["mute_on_join"] is False
    assert data["locked"] is False and data["participants_count"] == 0
    assert data["created_at"] == "2026-03-08T12:00:00Z"
    assert data["started_at"] is None and data["ended_at"] is None


async def test_create_with_the_spec_example_body(api: httpx.AsyncClient) -> None:
    data = await create_conference(
        api, name="Q1 Planning Call", max_participants=25, record=True, mute_on_join=True
    )
    assert (data["max_participants"], data["record"], data["mute_on_join"]) == (25, True, True)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "a", "max_participants": 0}, "max_participants"),
        ({"name": "a", "max_participants": 251}, "max_participants"),
        ({"name": "a", "max_participants": "many"}, "max_participants"),
        ({"name": "a", "record": "maybe"}, "record"),
        ({"name": "a", "webhook_url": "ftp://example.com/x"}, "webhook_url"),
        ({"name": "a", "pin": "123456"}, "pin"),
    ],
)
async def test_invalid_bodies_are_422_naming_the_field_and_write_nothing(
    api: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    r = await api.post("/v1/voice/conferences", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["param"] == param
    r = await api.get("/v1/voice/conferences")
    assert r.json()["meta"]["pagination"]["total"] == 0


async def test_pin_is_unique_among_the_orgs_active_conferences(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The random source repeats itself; the service must skip PINs already taken.
    draws = itertools.chain(["111111", "111111", "222222", "111111", "111111"])
    monkeypatch.setattr(conference_service, "_random_pin", lambda: next(draws))
    first = await create_conference(api)
    second = await create_conference(api)
    assert (first["pin"], second["pin"]) == ("111111", "222222")
    # Another org may hold the same PIN: a PIN only has to identify a conference within an org.
    r = await other_api.post("/v1/voice/conferences", json={"name": "Other"})
    assert r.json()["data"]["pin"] == "111111"
    # Once ended, a conference gives its PIN back.
    await verb(api, f"{first['id']}/end")
    third = await create_conference(api)
    assert third["pin"] == "111111"


async def test_many_conferences_get_distinct_pins(api: httpx.AsyncClient) -> None:
    pins = {(await create_conference(api, name=f"c{i}"))["pin"] for i in range(25)}
    assert len(pins) == 25


async def test_dial_in_number_is_the_orgs_first_conference_number(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    ids = {}
    for number in ["+18005559999", "+18005550000", "+18005551111"]:
        ids[number] = (await create_number(api, number))["id"]
        await clock.advance(1)
    conference = await create_conference(api)
    assert conference["dial_in_number"] is None
    for number in ["+18005551111", "+18005550000"]:
        r = await api.put(
            f"/v1/voice/numbers/{ids[number]}", json={"handler": {"type": "conference"}}
        )
        assert r.status_code == 200, r.text
    # The oldest number routed to conferences serves every conference of the org.
    assert (await get_conference(api, conference["id"]))["dial_in_number"] == "+18005550000"
    assert (await create_conference(api))["dial_in_number"] == "+18005550000"


async def test_get_list_and_filter(api: httpx.AsyncClient, clock: FakeClock) -> None:
    ids = []
    for i in range(3):
        ids.append((await create_conference(api, name=f"c{i}"))["id"])
        await clock.advance(1)
    await verb(api, f"{ids[0]}/end")
    r = await api.get("/v1/voice/conferences", params={"limit": 2})
    body = r.json()
    assert [c["id"] for c in body["data"]] == [ids[2], ids[1]]
    assert body["meta"]["pagination"] == {
        "cursor": body["meta"]["pagination"]["cursor"],
        "has_more": True,
        "total": 3,
    }
    r = await api.get(
        "/v1/voice/conferences", params={"cursor": body["meta"]["pagination"]["cursor"]}
    )
    assert [c["id"] for c in r.json()["data"]] == [ids[0]]
    r = await api.get("/v1/voice/conferences", params={"status": "ended"})
    assert [c["id"] for c in r.json()["data"]] == [ids[0]]
    r = await api.get("/v1/voice/conferences", params={"status": "over"})
    assert r.status_code == 422 and r.json()["error"]["param"] == "status"
    r = await api.get(f"/v1/voice/conferences/{ids[1]}")
    assert r.json()["data"]["name"] == "c1"


async def test_another_orgs_conference_is_404_everywhere(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    conference = await create_conference(api)
    cid = conference["id"]
    for method, path, body in [
        ("GET", f"/v1/voice/conferences/{cid}", None),
        ("DELETE", f"/v1/voice/conferences/{cid}", None),
        ("POST", f"/v1/voice/conferences/{cid}/end", None),
        ("POST", f"/v1/voice/conferences/{cid}/lock", None),
        ("POST", f"/v1/voice/conferences/{cid}/mute-all", None),
        ("POST", f"/v1/voice/conferences/{cid}/recording/start", None),
        ("GET", f"/v1/voice/conferences/{cid}/participants", None),
        ("POST", f"/v1/voice/conferences/{cid}/participants", {"number": "+14155550101"}),
    ]:
        r = await other_api.request(method, path, json=body)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["error"]["code"] == "conference_not_found"
    r = await other_api.get("/v1/voice/conferences")
    assert r.json()["data"] == []
    assert (await get_conference(api, cid))["status"] == "waiting"


async def test_unknown_participant_is_404(api: httpx.AsyncClient) -> None:
    conference = await create_conference(api)
    for path in ["part_nope", "part_nope/mute", "part_nope/hold"]:
        method = "GET" if path == "part_nope" else "POST"
        r = await api.request(
            method, f"/v1/voice/conferences/{conference['id']}/participants/{path}"
        )
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "participant_not_found"


async def test_end_keeps_the_row_and_delete_needs_an_ended_conference(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    conference = await create_conference(api)
    cid = conference["id"]
    r = await api.delete(f"/v1/voice/conferences/{cid}")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conference_not_ended"
    await joined(api, clock, cid, "+14155550101")
    r = await api.delete(f"/v1/voice/conferences/{cid}")
    assert r.status_code == 409
    await clock.advance(30)
    ended = (await verb(api, f"{cid}/end"))["data"]
    assert ended["status"] == "ended"
    assert ended["ended_at"] == "2026-03-08T12:00:32Z"
    assert ended["participants_count"] == 0
    assert (await get_conference(api, cid))["status"] == "ended"  # the row is kept
    body = await verb(api, f"{cid}/end", 409)
    assert body["error"]["code"] == "conference_ended"
    for action in ["lock", "mute-all", "unmute-all"]:
        assert (await verb(api, f"{cid}/{action}", 409))["error"]["code"] == "conference_ended"
    r = await api.post(f"/v1/voice/conferences/{cid}/participants", json={"number": "+14155550102"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conference_ended"
    r = await api.delete(f"/v1/voice/conferences/{cid}")
    assert r.status_code == 204
    r = await api.get(f"/v1/voice/conferences/{cid}")
    assert r.status_code == 404


async def test_scopes(api: httpx.AsyncClient, client: httpx.AsyncClient, make_key: Any) -> None:
    conference = await create_conference(api)
    read_only = {"X-API-Key": await make_key("acme", scopes=["voice:read"])}
    r = await client.get(f"/v1/voice/conferences/{conference['id']}", headers=read_only)
    assert r.status_code == 200
    r = await client.post("/v1/voice/conferences", json={"name": "x"}, headers=read_only)
    assert r.status_code == 403
    r = await client.post(f"/v1/voice/conferences/{conference['id']}/end", headers=read_only)
    assert r.status_code == 403


async def test_the_database_refuses_a_duplicate_active_pin(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two creates racing for one PIN: the unique index decides, the loser gets a 409."""
    first = await create_conference(api)

    async def same_pin(*_: Any) -> str:
        return str(first["pin"])

    monkeypatch.setattr(conference_service, "_free_pin", same_pin)
    r = await api.post("/v1/voice/conferences", json={"name": "late"})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "pin_conflict"
    r = await api.get("/v1/voice/conferences")
    assert [c["id"] for c in r.json()["data"]] == [first["id"]]
    # An ended conference's PIN is free for the database too.
    await verb(api, f"{first['id']}/end")
    assert (await create_conference(api))["pin"] == first["pin"]
