"""Another org's ids are 404 on every endpoint that takes an id, never 403 and never data."""

from __future__ import annotations

from typing import Any

import httpx

from helpers import create_agent, create_call, create_number
from orbit_voice.kit.clock import FakeClock

BODIES: dict[str, dict[str, Any]] = {
    "dtmf": {"digits": "123"},
    "transfer": {"to": "+14155550100"},
    "warm-transfer": {"to": "+14155550100"},
    "inbound": {"from": "+14155550100", "to": "+12025551234"},
}


async def test_every_id_route_hides_other_orgs(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    number = await create_number(api)
    agent = await create_agent(api)
    call = await create_call(api)
    await clock.advance(3)
    ids = {"call_id": call["id"], "number_id": number["id"], "agent_id": agent}

    checked = 0
    spec = (await api.get("/openapi.json")).json()
    for path, operations in spec["paths"].items():
        if not path.startswith("/v1/voice") or "{" not in path or "recordings" in path:
            continue
        url = path
        for name, value in ids.items():
            url = url.replace("{" + name + "}", value)
        assert "{" not in url, f"no id fixture for {path}"
        for method in sorted(m.upper() for m in operations):
            body = BODIES.get(path.rsplit("/", 1)[-1])
            if method == "PUT":
                body = {"label": "x"}
            r = await other_api.request(method, url, json=body)
            assert r.status_code == 404, (method, url, r.status_code, r.text)
            assert r.json()["error"]["code"].endswith("not_found")
            checked += 1
    assert checked >= 20

    # The owner still sees everything, untouched.
    r = await api.get(f"/v1/voice/calls/{call['id']}")
    assert r.json()["data"]["status"] == "in_progress"


async def test_lists_only_show_own_rows(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    await create_number(api)
    await create_call(api)
    for path in [
        "/v1/voice/calls",
        "/v1/voice/numbers",
        "/v1/voice/agents",
        "/v1/voice/webhook-deliveries",
    ]:
        r = await other_api.get(path)
        assert r.status_code == 200
        assert r.json()["meta"]["pagination"]["total"] == 0, path
