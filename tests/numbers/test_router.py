from __future__ import annotations

import httpx

from helpers import create_number


async def test_number_crud(api: httpx.AsyncClient) -> None:
    number = await create_number(api, "+12025551234")
    assert number["id"].startswith("num_")
    r = await api.put(f"/v1/voice/numbers/{number['id']}", json={"label": "support"})
    assert r.json()["data"]["label"] == "support"
    r = await api.get(f"/v1/voice/numbers/{number['id']}")
    assert r.json()["data"]["number"] == "+12025551234"
    assert (await api.delete(f"/v1/voice/numbers/{number['id']}")).status_code == 204
    assert (await api.get(f"/v1/voice/numbers/{number['id']}")).status_code == 404


async def test_a_number_has_one_owner(api: httpx.AsyncClient, other_api: httpx.AsyncClient) -> None:
    await create_number(api, "+12025551234")
    r = await other_api.post("/v1/voice/numbers", json={"number": "+12025551234"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "number_taken"


async def test_agents(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/voice/agents", json={"name": "Jane"})
    agent = r.json()["data"]
    assert (agent["kind"], agent["presence"]) == ("human", "offline")
    r = await api.post("/v1/voice/agents", json={"name": "Bot", "kind": "ai"})
    assert r.json()["data"]["presence"] == "available"
    r = await api.post("/v1/voice/agents", json={"name": "X", "kind": "robot"})
    assert r.status_code == 422 and r.json()["error"]["param"] == "kind"
    listed = await api.get("/v1/voice/agents")
    assert listed.json()["meta"]["pagination"]["total"] == 2
