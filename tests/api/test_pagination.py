"""Keyset pagination over 250 calls: no duplicates, no gaps, even while calls are added."""

from __future__ import annotations

import httpx
import pytest

from helpers import create_call, create_number
from orbit_voice.kit.clock import FakeClock


async def walk(api: httpx.AsyncClient, limit: int, add_between: bool = False) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = await api.get("/v1/voice/calls", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [c["id"] for c in body["data"]]
        pagination = body["meta"]["pagination"]
        if not pagination["has_more"]:
            assert pagination["cursor"] is None
            return seen
        cursor = pagination["cursor"]
        if add_between:
            await create_call(api)


@pytest.mark.parametrize("limit", [20, 100])
async def test_pages_cover_every_call_once(
    api: httpx.AsyncClient, clock: FakeClock, limit: int
) -> None:
    await create_number(api)
    created = []
    for _ in range(250):
        created.append((await create_call(api))["id"])
        await clock.advance(0.001)
    ids = await walk(api, limit)
    assert len(ids) == len(set(ids)) == 250
    assert ids == list(reversed(created))  # newest first

    # Calls created between pages are newer than the cursor: they never shift a page.
    ids_while_adding = await walk(api, limit, add_between=True)
    assert len(ids_while_adding) == len(set(ids_while_adding))
    assert ids_while_adding == list(reversed(created))
    r = await api.get("/v1/voice/calls", params={"limit": 1})
    assert r.json()["meta"]["pagination"]["total"] == 250 + 250 // limit + (250 % limit > 0) - 1
