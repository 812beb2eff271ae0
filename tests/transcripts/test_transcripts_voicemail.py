"""A voicemail left by speaking gets its transcription (boxes with transcribe: true)."""

from __future__ import annotations

from typing import Any

import httpx

from helpers import create_number, create_voicemail_box, press, ring_inbound, set_handler
from orbit_voice.kit.clock import FakeClock
from speech_helpers import _stop_sse_watcher, run_jobs, say, wer

__all__ = ["_stop_sse_watcher"]

MESSAGE = "Hi, this is Jane. Please call me back tomorrow morning."


async def leave_message(
    api: httpx.AsyncClient, clock: FakeClock, box: dict[str, Any]
) -> dict[str, Any]:
    number = await create_number(api)
    await set_handler(api, number["id"], "voicemail", box["id"])
    call = await ring_inbound(api, to=number["number"])
    await clock.advance(6)  # answered, greeting and beep played: recording
    spoken = await say(api, call["id"], "caller", MESSAGE)
    await clock.advance(spoken["duration_seconds"] + 1)
    await press(api, call["id"], "#")
    r = await api.get("/v1/voice/voicemails", params={"voicemail_id": box["id"]})
    message: dict[str, Any] = r.json()["data"][0]
    return message


async def test_voicemail_is_transcribed(api: httpx.AsyncClient, app: Any, clock: FakeClock) -> None:
    box = await create_voicemail_box(api)
    message = await leave_message(api, clock, box)
    assert message["transcription"] is None
    assert await run_jobs(app) >= 1
    r = await api.get(f"/v1/voice/voicemails/{message['id']}")
    text = r.json()["data"]["transcription"]
    assert text and wer(MESSAGE, text) <= 0.35, text


async def test_box_without_transcription_is_left_alone(
    api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    box = await create_voicemail_box(api, transcribe=False)
    message = await leave_message(api, clock, box)
    await run_jobs(app)
    r = await api.get(f"/v1/voice/voicemails/{message['id']}")
    assert r.json()["data"]["transcription"] is None
