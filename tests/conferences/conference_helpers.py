"""Conference test helpers: everything goes through the API, as a user would."""

from __future__ import annotations

from typing import Any

import httpx

from orbit_voice.kit.clock import FakeClock
from orbit_voice.media.sim import SimBackend


def sim_of(app: Any) -> SimBackend:
    backend = app.state.runtime.media.get("sim")
    assert isinstance(backend, SimBackend)
    return backend


async def create_conference(api: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await api.post("/v1/voice/conferences", json={"name": "Standup", **body})
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def get_conference(api: httpx.AsyncClient, conference_id: str) -> dict[str, Any]:
    r = await api.get(f"/v1/voice/conferences/{conference_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def add(
    api: httpx.AsyncClient, conference_id: str, number: str, **body: Any
) -> dict[str, Any]:
    r = await api.post(
        f"/v1/voice/conferences/{conference_id}/participants", json={"number": number, **body}
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def participant(
    api: httpx.AsyncClient, conference_id: str, participant_id: str
) -> dict[str, Any]:
    r = await api.get(f"/v1/voice/conferences/{conference_id}/participants/{participant_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def joined(
    api: httpx.AsyncClient, clock: FakeClock, conference_id: str, *numbers: str, **body: Any
) -> list[dict[str, Any]]:
    """Dial each number in and let the simulator answer (2 s): all are in the room."""
    added = [await add(api, conference_id, n, **body) for n in numbers]
    await clock.advance(2)
    parts = [await participant(api, conference_id, p["id"]) for p in added]
    assert [p["status"] for p in parts] == ["joined"] * len(parts)
    return parts


async def verb(api: httpx.AsyncClient, path: str, expected: int = 200) -> dict[str, Any]:
    r = await api.post(f"/v1/voice/conferences/{path}")
    assert r.status_code == expected, r.text
    body: dict[str, Any] = r.json()
    return body
