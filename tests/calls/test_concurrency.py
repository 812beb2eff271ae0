"""Two writers racing on one call: the second, stale write is refused, never silently kept."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.orm.exc import StaleDataError

from helpers import create_call, create_number, get_call
from orbit_voice.calls.models import Call
from orbit_voice.kit.clock import FakeClock


async def test_stale_write_is_refused(api: httpx.AsyncClient, app: Any, clock: FakeClock) -> None:
    await create_number(api)
    created = await create_call(api)
    await clock.advance(1)
    sm = app.state.sessionmaker
    async with sm() as first, sm() as second:
        a = await first.get(Call, created["id"])
        b = await second.get(Call, created["id"])
        assert a is not None and b is not None
        a.status = "cancelled"
        await first.commit()
        b.status = "in_progress"  # based on what it read before the cancel
        with pytest.raises(StaleDataError):
            await second.commit()
    assert (await get_call(api, created["id"]))["status"] == "cancelled"
