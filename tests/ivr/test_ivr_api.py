"""IVR flows through the API: the spec's example, defaults, validation naming the option,
tenancy, partial updates, and refusing to delete a flow in use."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from helpers import create_agent, create_number


async def create_box(api: httpx.AsyncClient, name: str = "General") -> str:
    r = await api.post("/v1/voice/voicemail", json={"name": name})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def create_ivr(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Main Menu",
        "greeting": "Press 1 to hang up.",
        "menu": {"options": [{"key": "1", "action": "hangup"}]},
    }
    body.update(overrides)
    r = await api.post("/v1/voice/ivr", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def test_spec_example(api: httpx.AsyncClient) -> None:
    sales = await create_agent(api, "Sales")
    support = await create_agent(api, "Support")
    box = await create_box(api)
    r = await api.post(
        "/v1/voice/ivr",
        json={
            "name": "Main Menu",
            "greeting": "Welcome to Acme Corp. Press 1 for sales, 2 for support, "
            "or 3 to leave a voicemail.",
            "language": "en-US",
            "menu": {
                "options": [
                    {"key": "1", "action": "transfer_agent", "target": sales},
                    {"key": "2", "action": "transfer_agent", "target": support},
                    {"key": "3", "action": "voicemail", "target": box},
                ]
            },
            "timeout_seconds": 8,
            "fallback_action": "voicemail",
        },
    )
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["id"].startswith("ivr_")
    assert data["name"] == "Main Menu"
    assert data["status"] == "active"
    assert data["options_count"] == 3
    assert data["timeout_seconds"] == 8
    assert data["max_retries"] == 3
    assert data["fallback_action"] == "voicemail"
    assert data["fallback_target"] is None
    assert data["created_at"].endswith("Z")
    assert data["menu"]["options"][2] == {"key": "3", "action": "voicemail", "target": box}


async def test_defaults(api: httpx.AsyncClient) -> None:
    ivr = await create_ivr(api)
    assert ivr["language"] == "en-US"
    assert (ivr["timeout_seconds"], ivr["max_retries"]) == (10, 3)
    assert (ivr["fallback_action"], ivr["fallback_target"]) == ("voicemail", None)


@pytest.mark.parametrize(
    ("options", "param", "code"),
    [
        (
            [{"key": "1", "action": "hangup"}, {"key": "1", "action": "repeat"}],
            "menu.options.1.key",
            "duplicate_key",
        ),
        ([{"key": "12", "action": "hangup"}], "menu.options.0.key", "validation_error"),
        ([{"key": "A", "action": "hangup"}], "menu.options.0.key", "validation_error"),
        ([{"key": "1", "action": "dance"}], "menu.options.0.action", "validation_error"),
        (
            [{"key": "1", "action": "hangup"}, {"key": "2", "action": "transfer_agent"}],
            "menu.options.1.target",
            "target_required",
        ),
        (
            [{"key": "#", "action": "transfer_agent", "target": "agt_nope"}],
            "menu.options.0.target",
            "agent_not_found",
        ),
        (
            [{"key": "*", "action": "voicemail", "target": "vmail_nope"}],
            "menu.options.0.target",
            "voicemail_not_found",
        ),
        (
            [{"key": "0", "action": "submenu", "target": "ivr_nope"}],
            "menu.options.0.target",
            "ivr_not_found",
        ),
        (
            [{"key": "0", "action": "queue", "target": "queue_nope"}],
            "menu.options.0.target",
            "queue_not_found",
        ),
        (
            [{"key": "0", "action": "ring_group", "target": "rg_nope"}],
            "menu.options.0.target",
            "ring_group_not_found",
        ),
        (
            [{"key": "0", "action": "transfer_number", "target": "555-1234"}],
            "menu.options.0.target",
            "invalid_phone_number",
        ),
        (
            [{"key": "0", "action": "hangup", "target": "+14155550100"}],
            "menu.options.0.target",
            "target_not_allowed",
        ),
        ([], "menu.options", "validation_error"),
    ],
)
async def test_menu_validation_names_the_option(
    api: httpx.AsyncClient, options: list[dict[str, Any]], param: str, code: str
) -> None:
    r = await api.post(
        "/v1/voice/ivr", json={"name": "M", "greeting": "Hi", "menu": {"options": options}}
    )
    assert r.status_code == 422, r.text
    assert (r.json()["error"]["param"], r.json()["error"]["code"]) == (param, code)
    assert (await api.get("/v1/voice/ivr")).json()["meta"]["pagination"]["total"] == 0


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"greeting": None}, "greeting"),
        ({"language": "english please"}, "language"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"max_retries": -1}, "max_retries"),
        ({"fallback_action": "queue"}, "fallback_action"),
        ({"fallback_action": "transfer_number"}, "fallback_target"),
        ({"fallback_action": "voicemail", "fallback_target": "vmail_nope"}, "fallback_target"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_flow_validation(api: httpx.AsyncClient, body: dict[str, Any], param: str) -> None:
    full = {"name": "M", "greeting": "Hi", "menu": {"options": [{"key": "1", "action": "hangup"}]}}
    full.update(body)
    full = {k: v for k, v in full.items() if v is not None}
    r = await api.post("/v1/voice/ivr", json=full)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["param"] == param


async def test_targets_of_another_org_are_refused(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    theirs = await create_agent(other_api, "Theirs")
    their_box = await create_box(other_api)
    r = await api.post(
        "/v1/voice/ivr",
        json={
            "name": "M",
            "greeting": "Hi",
            "menu": {"options": [{"key": "1", "action": "transfer_agent", "target": theirs}]},
        },
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "agent_not_found"
    r = await api.post(
        "/v1/voice/ivr",
        json={
            "name": "M",
            "greeting": "Hi",
            "menu": {"options": [{"key": "1", "action": "hangup"}]},
            "fallback_target": their_box,
        },
    )
    assert r.status_code == 422 and r.json()["error"]["param"] == "fallback_target"


async def test_crud_and_partial_update(api: httpx.AsyncClient) -> None:
    ivr = await create_ivr(api, fallback_action="transfer_number", fallback_target="+14155550100")
    r = await api.put(f"/v1/voice/ivr/{ivr['id']}", json={"greeting": "New greeting"})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["greeting"] == "New greeting"
    assert data["menu"] == ivr["menu"]
    assert data["fallback_target"] == "+14155550100"
    # A new fallback action does not inherit the old action's target.
    r = await api.put(f"/v1/voice/ivr/{ivr['id']}", json={"fallback_action": "hangup"})
    assert (r.json()["data"]["fallback_action"], r.json()["data"]["fallback_target"]) == (
        "hangup",
        None,
    )
    r = await api.put(
        f"/v1/voice/ivr/{ivr['id']}",
        json={
            "menu": {
                "options": [{"key": "9", "action": "repeat"}, {"key": "0", "action": "hangup"}]
            }
        },
    )
    assert r.json()["data"]["options_count"] == 2
    r = await api.put(f"/v1/voice/ivr/{ivr['id']}", json={"name": None})
    assert r.status_code == 422 and r.json()["error"]["param"] == "name"
    r = await api.get(f"/v1/voice/ivr/{ivr['id']}")
    assert r.json()["data"]["name"] == "Main Menu"
    listed = await api.get("/v1/voice/ivr")
    assert [f["id"] for f in listed.json()["data"]] == [ivr["id"]]
    assert (await api.delete(f"/v1/voice/ivr/{ivr['id']}")).status_code == 204
    assert (await api.get(f"/v1/voice/ivr/{ivr['id']}")).status_code == 404


async def test_pagination_newest_first(api: httpx.AsyncClient) -> None:
    ids = [(await create_ivr(api, name=f"M{i}"))["id"] for i in range(3)]
    r = await api.get("/v1/voice/ivr", params={"limit": 2})
    body = r.json()
    assert body["meta"]["pagination"]["has_more"] is True
    assert body["meta"]["pagination"]["total"] == 3
    r2 = await api.get(
        "/v1/voice/ivr", params={"limit": 2, "cursor": body["meta"]["pagination"]["cursor"]}
    )
    seen = [f["id"] for f in body["data"]] + [f["id"] for f in r2.json()["data"]]
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 3


async def test_other_orgs_ivr_is_404(api: httpx.AsyncClient, other_api: httpx.AsyncClient) -> None:
    ivr = await create_ivr(api)
    for method in ("GET", "DELETE"):
        r = await other_api.request(method, f"/v1/voice/ivr/{ivr['id']}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "ivr_not_found"
    r = await other_api.put(f"/v1/voice/ivr/{ivr['id']}", json={"name": "x"})
    assert r.status_code == 404
    assert (await other_api.get("/v1/voice/ivr")).json()["data"] == []


async def test_ivr_in_use_cannot_be_deleted(api: httpx.AsyncClient) -> None:
    sub = await create_ivr(api, name="Sub")
    main = await create_ivr(
        api, menu={"options": [{"key": "1", "action": "submenu", "target": sub["id"]}]}
    )
    number = await create_number(api)
    r = await api.put(
        f"/v1/voice/numbers/{number['id']}", json={"handler": {"type": "ivr", "target": main["id"]}}
    )
    assert r.status_code == 200, r.text
    r = await api.delete(f"/v1/voice/ivr/{main['id']}")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "ivr_in_use"
    assert r.json()["error"]["details"]["numbers"] == [number["number"]]
    r = await api.delete(f"/v1/voice/ivr/{sub['id']}")
    assert r.status_code == 409
    assert r.json()["error"]["details"]["ivr_flows"] == [main["id"]]
    # Once the number points elsewhere, the flow can go.
    r = await api.put(f"/v1/voice/numbers/{number['id']}", json={"handler": None})
    assert r.json()["data"]["handler"] is None
    assert (await api.delete(f"/v1/voice/ivr/{main['id']}")).status_code == 204
    assert (await api.delete(f"/v1/voice/ivr/{sub['id']}")).status_code == 204
