"""Ring group configuration through the API: defaults, member validation naming members[i],
fallbacks, tenancy, update and delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orbit_voice.kit.clock import FakeClock

URL = "/v1/voice/ring-groups"


async def extension(api: httpx.AsyncClient, username: str = "alice", number: str = "1001") -> str:
    r = await api.post(
        "/v1/voice/sip-credentials", json={"username": username, "extension": number}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["extension_id"])


async def test_create_with_spec_defaults(api: httpx.AsyncClient, clock: FakeClock) -> None:
    ext = await extension(api)
    r = await api.post(
        URL,
        json={
            "name": "Sales",
            "members": [
                {"extension_id": ext},
                {"phone_number": "+14155550100", "ring_seconds": 12},
            ],
        },
    )
    assert r.status_code == 201, r.text
    group = r.json()["data"]
    assert group["id"].startswith("rg_")
    assert {k: group[k] for k in group if k not in {"id", "created_at", "updated_at"}} == {
        "name": "Sales",
        "strategy": "simultaneous",
        "members": [
            {"extension_id": ext, "phone_number": None, "ring_seconds": None},
            {"extension_id": None, "phone_number": "+14155550100", "ring_seconds": 12},
        ],
        "timeout_seconds": 20,
        "fallback_action": "voicemail",
        "fallback_target": None,
    }
    assert (await api.get(f"{URL}/{group['id']}")).json()["data"] == group
    await clock.advance(1)
    await api.post(URL, json={"name": "Later", "members": [{"phone_number": "+14155550101"}]})
    listed = (await api.get(URL)).json()
    assert [g["name"] for g in listed["data"]] == ["Later", "Sales"]
    assert listed["meta"]["pagination"]["total"] == 2


PHONE = {"phone_number": "+14155550100"}


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"members": [PHONE]}, "name", "validation_error"),
        ({"name": "G"}, "members", "validation_error"),
        ({"name": "G", "members": []}, "members", "validation_error"),
        ({"name": "G", "members": [PHONE, {}]}, "members[1]", "invalid_member"),
        (
            {"name": "G", "members": [{"extension_id": "ext_x", **PHONE}]},
            "members[0]",
            "invalid_member",
        ),
        (
            {"name": "G", "members": [{"phone_number": "555-0100"}]},
            "members[0]",
            "invalid_phone_number",
        ),
        (
            {"name": "G", "members": [PHONE, {"extension_id": "ext_nope"}]},
            "members[1]",
            "extension_not_found",
        ),
        (
            {"name": "G", "members": [{**PHONE, "ring_seconds": 0}]},
            "members.0.ring_seconds",
            "validation_error",
        ),
        (
            {"name": "G", "members": [{**PHONE, "volume": 3}]},
            "members.0.volume",
            "validation_error",
        ),
        ({"name": "G", "members": [PHONE], "strategy": "hunt"}, "strategy", "validation_error"),
        (
            {"name": "G", "members": [PHONE], "timeout_seconds": 0},
            "timeout_seconds",
            "validation_error",
        ),
        (
            {"name": "G", "members": [PHONE], "fallback_action": "queue"},
            "fallback_action",
            "validation_error",
        ),
        (
            {"name": "G", "members": [PHONE], "fallback_action": "transfer_number"},
            "fallback_target",
            "target_required",
        ),
        (
            {
                "name": "G",
                "members": [PHONE],
                "fallback_action": "hangup",
                "fallback_target": "+14155550100",
            },
            "fallback_target",
            "target_not_allowed",
        ),
        (
            {"name": "G", "members": [PHONE], "fallback_target": "vmail_nope"},
            "fallback_target",
            "voicemail_not_found",
        ),
    ],
)
async def test_invalid_ring_groups_are_422_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, Any], param: str, code: str
) -> None:
    r = await api.post(URL, json=body)
    assert r.status_code == 422, r.text
    assert (r.json()["error"]["param"], r.json()["error"]["code"]) == (param, code)
    assert (await api.get(URL)).json()["meta"]["pagination"]["total"] == 0


async def test_another_orgs_extension_is_not_a_member(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    theirs = await extension(other_api)
    r = await api.post(URL, json={"name": "G", "members": [{"extension_id": theirs}]})
    assert (r.status_code, r.json()["error"]["param"]) == (422, "members[0]")


async def test_update_changes_only_the_given_fields(api: httpx.AsyncClient) -> None:
    r = await api.post(URL, json={"name": "G", "members": [PHONE], "fallback_action": "hangup"})
    group_id = r.json()["data"]["id"]
    r = await api.put(
        f"{URL}/{group_id}",
        json={"strategy": "sequential", "members": [PHONE, {"phone_number": "+14155550101"}]},
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["name"], data["strategy"], len(data["members"]), data["fallback_action"]) == (
        "G",
        "sequential",
        2,
        "hangup",
    )
    r = await api.put(
        f"{URL}/{group_id}",
        json={"fallback_action": "transfer_number", "fallback_target": "+14155550199"},
    )
    assert r.json()["data"]["fallback_target"] == "+14155550199"
    for body, param in [
        ({"members": [{}]}, "members[0]"),
        ({"members": None}, "members"),
        ({"fallback_target": None}, "fallback_target"),  # transfer_number needs one
    ]:
        r = await api.put(f"{URL}/{group_id}", json=body)
        assert (r.status_code, r.json()["error"]["param"]) == (422, param), body
    assert (await api.get(f"{URL}/{group_id}")).json()["data"]["strategy"] == "sequential"


async def test_other_orgs_group_is_404_and_delete(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    r = await api.post(URL, json={"name": "G", "members": [PHONE]})
    group_id = r.json()["data"]["id"]
    for method, body in [("GET", None), ("PUT", {"name": "x"}), ("DELETE", None)]:
        r = await other_api.request(method, f"{URL}/{group_id}", json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (404, "ring_group_not_found")
    r = await api.post(
        "/v1/voice/numbers",
        json={"number": "+12025550177", "handler": {"type": "ring_group", "target": group_id}},
    )
    assert r.status_code == 201, r.text
    r = await api.delete(f"{URL}/{group_id}")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "ring_group_in_use")
    number_id = (await api.get("/v1/voice/numbers")).json()["data"][0]["id"]
    assert (await api.delete(f"/v1/voice/numbers/{number_id}")).status_code == 204
    assert (await api.delete(f"{URL}/{group_id}")).status_code == 204
    assert (await api.get(f"{URL}/{group_id}")).status_code == 404
