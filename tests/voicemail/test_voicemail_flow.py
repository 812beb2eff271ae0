"""Calls routed to a voicemail box: greeting, beep, a recording ended by #, hangup or
max_duration, the stored message with its signed URL, webhooks, and email notifications."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import (
    VOICEMAIL_CALLER,
    create_number,
    create_voicemail_box,
    event_types,
    get_call,
    leave_message,
    only_message,
    press,
)
from orbit_voice.kit.clock import FakeClock
from orbit_voice.media.sim import SimBackend
from receiver import Receiver

CALLER = VOICEMAIL_CALLER


def sim(app: Any) -> SimBackend:
    backend = app.state.runtime.media.get("sim")
    assert isinstance(backend, SimBackend)
    return backend


async def test_greeting_beep_record_until_hash(
    api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    box = await create_voicemail_box(api)
    call = await leave_message(api, clock, box)
    leg = sim(app).legs[call["id"]]
    assert leg.played == ["Please leave a message after the tone."]
    assert leg.audio is not None
    beep, loop = leg.audio
    assert loop is False
    with wave.open(str(beep)) as wav:  # a real, short tone
        assert (wav.getnchannels(), wav.getframerate()) == (1, 8000)
        assert 0.2 < wav.getnframes() / wav.getframerate() < 1.0
    recording = await only_message(api)
    assert recording["status"] == "recording"
    assert recording["recording_url"] is None

    await clock.advance(7)
    await press(api, call["id"], "5")  # other keys are ignored
    await press(api, call["id"], "#")
    got = await get_call(api, call["id"])
    assert (got["status"], got["end_reason"]) == ("completed", "voicemail_recorded")
    message = await only_message(api)
    assert message["id"].startswith("vmsg_")
    assert message["voicemail_id"] == box["id"]
    assert message["call_id"] == call["id"]
    assert message["caller"] == CALLER
    assert message["direction"] == "inbound"
    assert message["status"] == "completed"
    assert message["end_reason"] == "hash_key"
    assert message["duration_seconds"] == pytest.approx(7, abs=0.2)
    assert message["listened"] is False
    assert message["transcription"] is None
    assert message["transcription_status"] in {"pending", "completed", "failed"}
    assert message["format"] == "wav"
    assert message["notification"] == {"status": "not_requested", "detail": None}
    assert await event_types(api, call["id"], "voicemail.") == [
        "voicemail.recording.started",
        "voicemail.received",
    ]
    r = await api.get(f"/v1/voice/voicemail/{box['id']}")
    assert r.json()["data"]["messages_count"] == 1


async def test_signed_url_serves_the_audio_until_it_expires(
    api: httpx.AsyncClient, client: httpx.AsyncClient, clock: FakeClock, data_dir: Path
) -> None:
    box = await create_voicemail_box(api)
    call = await leave_message(api, clock, box)
    await clock.advance(4)
    await press(api, call["id"], "#")
    message = await only_message(api)
    url = message["recording_url"]
    assert url.startswith(f"http://test/v1/voice/voicemails/{message['id']}/audio?")
    assert message["recording_url_expires_at"] == "2026-03-09T12:00:06Z"
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://test")
    async with anonymous:
        r = await anonymous.get(url)
        assert r.status_code == 200
        assert r.headers["content-type"] == "audio/wav"
        assert r.content[:4] == b"RIFF"
        assert len(r.content) == message["size_bytes"]
        r = await anonymous.get(url.replace("signature=", "signature=x"))
        assert r.status_code == 403 and r.json()["error"]["code"] == "invalid_signature"
        await clock.advance(24 * 3600 + 1)
        r = await anonymous.get(url)
        assert r.status_code == 403 and r.json()["error"]["code"] == "url_expired"
    files = list((data_dir / "voicemail").rglob("*.wav"))
    assert [f.name for f in files] == [f"{message['id']}.wav"]


async def test_caller_hanging_up_keeps_the_message(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    box = await create_voicemail_box(api)
    call = await leave_message(api, clock, box)
    await clock.advance(12)
    r = await api.post(f"/v1/voice/simulator/calls/{call['id']}/hangup")
    assert r.status_code == 200
    got = await get_call(api, call["id"])
    assert (got["status"], got["end_reason"]) == ("completed", "far_end_hangup")
    message = await only_message(api)
    assert (message["status"], message["end_reason"]) == ("completed", "hangup")
    assert message["duration_seconds"] == pytest.approx(12, abs=0.2)


async def test_max_duration_ends_the_recording_and_the_call(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    box = await create_voicemail_box(api, max_duration=5, transcribe=False)
    call = await leave_message(api, clock, box)
    await clock.advance(4.9)
    assert (await only_message(api))["status"] == "recording"
    await clock.advance(0.1)
    got = await get_call(api, call["id"])
    assert (got["status"], got["end_reason"]) == ("completed", "voicemail_recorded")
    message = await only_message(api)
    assert (message["status"], message["end_reason"]) == ("completed", "max_duration")
    assert message["duration_seconds"] == pytest.approx(5, abs=0.2)
    assert message["transcription_status"] == "skipped"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


async def test_voicemail_received_webhooks(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.secret = (await api.get("/v1/voice/webhook-secret")).json()["data"]["secret"]
    box = await create_voicemail_box(api, webhook_url=receiver.url + "?box")
    call = await leave_message(api, clock, box, webhook_url=receiver.url)
    await clock.advance(3)
    await press(api, call["id"], "#")
    while await app.state.deliverer.deliver_due():
        pass
    received = [r for r in receiver.requests if r.payload["type"] == "voicemail.received"]
    assert len(received) == 2  # one to the call's webhook_url, one to the box's
    assert all(r.valid_signature and r.status == 200 for r in received)
    message = await only_message(api)
    for r in received:
        vm = r.payload["data"]["voicemail"]
        assert vm["id"] == message["id"]
        assert vm["caller"] == CALLER
        assert vm["recording_url"].startswith("http://test/v1/voice/voicemails/")
        assert r.payload["data"]["call"]["id"] == call["id"]


async def test_notification_skipped_without_smtp(api: httpx.AsyncClient, clock: FakeClock) -> None:
    box = await create_voicemail_box(api, notification_email="team@acme.example")
    call = await leave_message(api, clock, box)
    await press(api, call["id"], "#")
    message = await only_message(api)
    assert message["notification"] == {"status": "skipped", "detail": "ORBIT_SMTP_URL is not set"}


async def test_a_routed_call_to_an_outbound_callee_records_the_callee(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    box = await create_voicemail_box(api)
    await create_number(api)
    r = await api.post(
        "/v1/voice/ivr",
        json={
            "name": "Leave a note",
            "greeting": "Press 1 to leave a message.",
            "menu": {"options": [{"key": "1", "action": "voicemail", "target": box["id"]}]},
        },
    )
    ivr = r.json()["data"]
    r = await api.post(
        "/v1/voice/calls", json={"to": "+14155550123", "from": "+12025551234", "ivr_id": ivr["id"]}
    )
    call = r.json()["data"]
    await clock.advance(2)
    await press(api, call["id"], "1")
    await clock.advance(3)
    await press(api, call["id"], "#")
    message = await only_message(api)
    assert (message["caller"], message["direction"]) == ("+14155550123", "outbound")
