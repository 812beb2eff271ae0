"""Queue configuration through the API: defaults, validation, tenancy, update and delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from queue_helpers import agent, answered_calls, enqueue, queue, setup_number

from orbit_voice.kit.clock import FakeClock


async def test_create_with_spec_defaults_then_get_and_list(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    r = await api.post("/v1/voice/queues", json={"name": "Support"})
    assert r.status_code == 201, r.text
    created = r.json()["data"]
    assert created["id"].startswith("queue_")
    assert {k: created[k] for k in created if k not in {"id", "created_at", "updated_at"}} == {
        "name": "Support",
        "strategy": "longest_idle",
        "max_wait_seconds": 300,
        "overflow_action": "voicemail",
        "overflow_target": None,
        "hold_music_url": None,
        "agent_ids": [],
        "wrap_up_seconds": 30,
    }
    r = await api.get(f"/v1/voice/queues/{created['id']}")
    assert r.json()["data"] == created
    await clock.advance(1)
    await api.post("/v1/voice/queues", json={"name": "Sales"})
    r = await api.get("/v1/voice/queues", params={"limit": 1})
    body = r.json()
    assert [q["name"] for q in body["data"]] == ["Sales"]  # newest first
    assert body["meta"]["pagination"]["total"] == 2
    assert body["meta"]["pagination"]["has_more"] is True
    r = await api.get("/v1/voice/queues", params={"cursor": body["meta"]["pagination"]["cursor"]})
    assert [q["name"] for q in r.json()["data"]] == ["Support"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "Q", "strategy": "fewest"}, "strategy"),
        ({"name": "Q", "max_wait_seconds": 0}, "max_wait_seconds"),
        ({"name": "Q", "overflow_action": "queue"}, "overflow_action"),
        ({"name": "Q", "overflow_action": "transfer_number"}, "overflow_target"),
        (
            {"name": "Q", "overflow_action": "transfer_number", "overflow_target": "12345"},
            "overflow_target",
        ),
        (
            {"name": "Q", "overflow_action": "hangup", "overflow_target": "+14155550100"},
            "overflow_target",
        ),
        ({"name": "Q", "overflow_target": "vmail_nope"}, "overflow_target"),
        ({"name": "Q", "hold_music_url": "ftp://example.com/x.mp3"}, "hold_music_url"),
        ({"name": "Q", "agent_ids": ["agt_nope"]}, "agent_ids[0]"),
        ({"name": "Q", "wrap_up_seconds": -1}, "wrap_up_seconds"),
        ({"name": "Q", "colour": "red"}, "colour"),
    ],
)
async def test_invalid_queues_are_422_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    r = await api.post("/v1/voice/queues", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["param"] == param
    assert (await api.get("/v1/voice/queues")).json()["meta"]["pagination"]["total"] == 0


async def test_members_must_be_agents_of_this_org(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    mine = await agent(api, "Mine")
    theirs = await agent(other_api, "Theirs")
    r = await api.post("/v1/voice/queues", json={"name": "Q", "agent_ids": [mine, theirs]})
    assert r.status_code == 422
    assert r.json()["error"]["param"] == "agent_ids[1]"
    assert r.json()["error"]["code"] == "agent_not_found"
    r = await api.post("/v1/voice/queues", json={"name": "Q", "agent_ids": [mine, mine]})
    assert r.status_code == 422
    assert r.json()["error"]["param"] == "agent_ids[1]"


async def test_overflow_targets_are_normalised_and_checked(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/v1/voice/queues",
        json={"name": "Q", "overflow_action": "transfer_number", "overflow_target": "+14155550100"},
    )
    assert r.status_code == 201
    assert r.json()["data"]["overflow_target"] == "+14155550100"
    box = await api.post("/v1/voice/voicemail", json={"name": "Support box"})
    assert box.status_code == 201, box.text
    r = await api.post(
        "/v1/voice/queues", json={"name": "Q2", "overflow_target": box.json()["data"]["id"]}
    )
    assert r.status_code == 201, r.text


async def test_update_changes_only_the_given_fields(api: httpx.AsyncClient) -> None:
    a = await agent(api, "A")
    queue_id = await queue(api, [a], hold_music_url="https://example.com/hold.mp3")
    r = await api.put(
        f"/v1/voice/queues/{queue_id}", json={"strategy": "round_robin", "max_wait_seconds": 60}
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["strategy"], data["max_wait_seconds"], data["agent_ids"]) == (
        "round_robin",
        60,
        [a],
    )
    assert data["hold_music_url"] == "https://example.com/hold.mp3"
    r = await api.put(
        f"/v1/voice/queues/{queue_id}", json={"hold_music_url": None, "agent_ids": []}
    )
    assert (r.json()["data"]["hold_music_url"], r.json()["data"]["agent_ids"]) == (None, [])
    r = await api.put(f"/v1/voice/queues/{queue_id}", json={"overflow_action": "hangup"})
    assert (r.json()["data"]["overflow_action"], r.json()["data"]["overflow_target"]) == (
        "hangup",
        None,
    )
    for body, param in [
        ({"name": None}, "name"),
        ({"agent_ids": ["agt_nope"]}, "agent_ids[0]"),
        ({"overflow_action": "transfer_number"}, "overflow_target"),
        ({"strategy": "loudest"}, "strategy"),
    ]:
        r = await api.put(f"/v1/voice/queues/{queue_id}", json=body)
        assert r.status_code == 422, body
        assert r.json()["error"]["param"] == param
    assert (await api.get(f"/v1/voice/queues/{queue_id}")).json()["data"]["strategy"] == (
        "round_robin"
    )


async def test_other_orgs_queue_is_404_everywhere(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    queue_id = await queue(api, [])
    for method, path, body in [
        ("GET", "", None),
        ("PUT", "", {"name": "x"}),
        ("DELETE", "", None),
        ("GET", "/stats", None),
        ("POST", "/enqueue", {"call_id": "call_x"}),
    ]:
        r = await other_api.request(method, f"/v1/voice/queues/{queue_id}{path}", json=body)
        assert r.status_code == 404, (method, path)
        assert r.json()["error"]["code"] == "queue_not_found"
    assert (await other_api.get("/v1/voice/queues")).json()["data"] == []


async def test_delete_refuses_a_queue_with_callers_then_deletes(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await setup_number(api)
    queue_id = await queue(api, [])
    [call_id] = await answered_calls(api, clock)
    await enqueue(api, queue_id, call_id)
    r = await api.delete(f"/v1/voice/queues/{queue_id}")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "queue_not_empty"
    await api.post(f"/v1/voice/calls/{call_id}/hangup")
    r = await api.delete(f"/v1/voice/queues/{queue_id}")
    assert r.status_code == 204
    assert (await api.get(f"/v1/voice/queues/{queue_id}")).status_code == 404


async def test_delete_refuses_a_queue_a_number_routes_to(api: httpx.AsyncClient) -> None:
    queue_id = await queue(api, [])
    r = await api.post(
        "/v1/voice/numbers",
        json={"number": "+12025550199", "handler": {"type": "queue", "target": queue_id}},
    )
    assert r.status_code == 201, r.text
    r = await api.delete(f"/v1/voice/queues/{queue_id}")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "queue_in_use"
    [user] = r.json()["error"]["details"]["used_by"]
    assert user.startswith("num_")


async def test_enqueue_validation(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await setup_number(api)
    queue_id = await queue(api, [])
    other_queue = await queue(api, [])
    [call_id] = await answered_calls(api, clock)
    r = await api.post(f"/v1/voice/queues/{queue_id}/enqueue", json={"call_id": "call_nope"})
    assert (r.status_code, r.json()["error"]["param"]) == (422, "call_id")
    r = await other_api.post("/v1/voice/queues", json={"name": "Theirs"})
    theirs = r.json()["data"]["id"]
    r = await other_api.post(f"/v1/voice/queues/{theirs}/enqueue", json={"call_id": call_id})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "call_not_found")
    for priority in [1001, -1001, "high"]:
        r = await api.post(
            f"/v1/voice/queues/{queue_id}/enqueue", json={"call_id": call_id, "priority": priority}
        )
        assert (r.status_code, r.json()["error"]["param"]) == (422, "priority")
    r = await api.post(f"/v1/voice/queues/{queue_id}/enqueue", json={"priority": 1})
    assert (r.status_code, r.json()["error"]["param"]) == (422, "call_id")
    entry = await enqueue(api, queue_id, call_id, priority=3)
    assert entry["id"].startswith("qe_")
    assert (entry["status"], entry["priority"], entry["position"]) == ("waiting", 3, 1)
    for q in (queue_id, other_queue):
        r = await api.post(f"/v1/voice/queues/{q}/enqueue", json={"call_id": call_id})
        assert (r.status_code, r.json()["error"]["code"]) == (409, "already_queued")
    # A call that is not connected cannot wait in a queue.
    r = await api.post("/v1/voice/calls", json={"to": "+14155550123", "from": "+12025551234"})
    ringing = r.json()["data"]["id"]
    r = await api.post(f"/v1/voice/queues/{queue_id}/enqueue", json={"call_id": ringing})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "call_not_active")


async def test_enqueue_and_stats_need_the_right_scopes(
    client: httpx.AsyncClient, make_key: Any
) -> None:
    client.headers["X-API-Key"] = await make_key("acme", scopes=["voice:read"])
    r = await client.post("/v1/voice/queues", json={"name": "Q"})
    assert r.status_code == 403
    assert (await client.get("/v1/voice/queues")).status_code == 200
