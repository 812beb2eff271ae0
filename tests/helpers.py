"""Small ``create_*`` helpers that go through the API like a user would."""

from __future__ import annotations

from typing import Any

import httpx

CALLER_ID = "+12025551234"


async def create_number(api: httpx.AsyncClient, number: str = CALLER_ID) -> dict[str, Any]:
    r = await api.post("/v1/voice/numbers", json={"number": number, "label": "main"})
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def create_agent(api: httpx.AsyncClient, name: str = "Jane", kind: str = "ai") -> str:
    r = await api.post("/v1/voice/agents", json={"name": name, "kind": kind})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def create_call(
    api: httpx.AsyncClient, to: str = "+14155552671", **extra: Any
) -> dict[str, Any]:
    body = {"to": to, "from": CALLER_ID, **extra}
    r = await api.post("/v1/voice/calls", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def get_call(api: httpx.AsyncClient, call_id: str) -> dict[str, Any]:
    r = await api.get(f"/v1/voice/calls/{call_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data
