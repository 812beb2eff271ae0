"""Small ``create_*`` helpers that go through the API like a user would."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from orbit_voice.kit.clock import FakeClock

CALLER_ID = "+12025551234"
VOICEMAIL_CALLER = "+14155552671"  # who leaves the messages


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


# -- routing (IVR, voicemail, number handlers) ---------------------------------------


async def create_voicemail_box(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    r = await api.post("/v1/voice/voicemail", json={"name": "General", **fields})
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def set_handler(
    api: httpx.AsyncClient, number_id: str, type_: str, target: str | None = None, **more: Any
) -> dict[str, Any]:
    """Route a number's inbound calls (``more``: calendar_id, off_hours_handler)."""
    body = {"handler": {"type": type_, "target": target}, **more}
    r = await api.put(f"/v1/voice/numbers/{number_id}", json=body)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def ring_inbound(
    api: httpx.AsyncClient, to: str = CALLER_ID, from_: str = "+14155552671", **extra: Any
) -> dict[str, Any]:
    """A caller rings one of your numbers (the simulator's inbound call)."""
    r = await api.post("/v1/voice/simulator/inbound", json={"from": from_, "to": to, **extra})
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def press(api: httpx.AsyncClient, call_id: str, digits: str) -> None:
    """The far end presses keys."""
    r = await api.post(f"/v1/voice/simulator/calls/{call_id}/dtmf", json={"digits": digits})
    assert r.status_code == 200, r.text


async def call_events(api: httpx.AsyncClient, call_id: str) -> list[dict[str, Any]]:
    """The call's events, oldest first."""
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    assert r.status_code == 200, r.text
    return sorted(r.json()["data"], key=lambda e: e["seq"])


async def event_types(api: httpx.AsyncClient, call_id: str, prefix: str = "") -> list[str]:
    return [e["type"] for e in await call_events(api, call_id) if e["type"].startswith(prefix)]


def ts(text: str) -> datetime:
    """A timestamp as the API writes it (``...Z``)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def leave_message(
    api: httpx.AsyncClient, clock: FakeClock, box: dict[str, Any], **inbound: Any
) -> dict[str, Any]:
    """A caller reaches the box (after the 2 s ring) and starts speaking."""
    number = await create_number(api)
    await set_handler(api, number["id"], "voicemail", box["id"])
    call = await ring_inbound(api, from_=VOICEMAIL_CALLER, **inbound)
    await clock.advance(2)
    return call


async def only_message(api: httpx.AsyncClient) -> dict[str, Any]:
    r = await api.get("/v1/voice/voicemails")
    assert r.status_code == 200
    data = r.json()["data"]
    assert len(data) == 1, data
    message: dict[str, Any] = data[0]
    return message
