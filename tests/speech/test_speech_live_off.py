"""ORBIT_LIVE_TRANSCRIPTION=false: nothing is transcribed live, the stream has no lines."""

from __future__ import annotations

import httpx
import pytest

from orbit_voice.config import Settings
from orbit_voice.kit.clock import FakeClock
from speech_helpers import connected_call


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"live_transcription": False})


async def test_speech_is_not_transcribed_live_when_switched_off(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    call = await connected_call(api, clock)
    r = await api.post(
        f"/v1/voice/simulator/calls/{call['id']}/speech",
        json={"speaker": "caller", "text": "Hello, I need some help with my bill."},
    )
    assert r.status_code in (200, 202), r.text
    await clock.advance(10)
    assert (await api.post(f"/v1/voice/calls/{call['id']}/hangup")).status_code == 200
    r = await api.get(f"/v1/voice/calls/{call['id']}/transcript/stream")
    assert r.status_code == 204  # no lines, and the call has ended
