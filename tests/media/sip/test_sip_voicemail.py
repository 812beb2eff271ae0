"""Voicemail over real SIP: a phone calls a number that goes to voicemail, hears the spoken
greeting and then the beep, and only what it says after the beep is the message."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx

from orbit_voice.voicemail.audio import BEEP_HZ
from sip_support import (
    ABSENT,
    CALLER_ID,
    PRESENT,
    carrier_trunk,
    decode_mp3,
    live_api,
    needs_sipp,
    phones,
    read_wav,
    rms,
    sip_app,
    tone_amplitude,
    until,
    wait_status,
)

__all__ = ["live_api", "phones", "sip_app"]  # fixtures

pytestmark = needs_sipp

GREETING = "Hello. You have reached the sales team. Please leave a message after the tone."


async def _calls(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = (await api.get("/v1/voice/calls")).json()["data"]
    return data


async def _event_time(api: httpx.AsyncClient, call_id: str, kind: str) -> dict[str, Any] | None:
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    return next((e for e in r.json()["data"] if e["type"] == kind), None)


def _beep_onset(samples: Any, rate: int) -> float | None:
    """When the beep first sounds in what the phone heard: a 50 ms window whose energy is
    almost all at the beep's frequency (speech has some energy there too, spread wider)."""
    step = rate // 20
    for start in range(0, len(samples) - step, step):
        window = samples[start : start + step]
        amplitude = tone_amplitude(window, rate, BEEP_HZ)
        if amplitude > PRESENT and amplitude > 0.8 * rms(window) * math.sqrt(2):
            return start / rate
    return None


async def test_greeting_then_beep_then_only_the_caller_is_recorded(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any
) -> None:
    await carrier_trunk(live_api, 5999)
    r = await live_api.post("/v1/voice/voicemail", json={"name": "Sales", "greeting": GREETING})
    assert r.status_code == 201, r.text
    box = r.json()["data"]
    number = (await live_api.get("/v1/voice/numbers")).json()["data"][0]
    r = await live_api.put(
        f"/v1/voice/numbers/{number['id']}",
        json={"handler": {"type": "voicemail", "target": box["id"]}},
    )
    assert r.status_code == 200, r.text

    caller = phones(440)  # the caller talks (a 440 Hz tone) from the moment it is answered
    caller.send(cmd="call", uri=f"sip:{CALLER_ID}@127.0.0.1:{sip_app.state.settings.sip_port}")
    call = (await until(lambda: _calls(live_api)))[0]
    await caller.wait_event(event="state", state="CONFIRMED")
    answered_at = asyncio.get_running_loop().time()
    started = await until(
        lambda: _event_time(live_api, call["id"], "voicemail.recording.started"), timeout=20
    )
    greeting_seconds = asyncio.get_running_loop().time() - answered_at
    # The greeting is several seconds of speech, and nothing is recorded while it plays.
    assert greeting_seconds > 3.0, greeting_seconds
    r = await live_api.get("/v1/voice/voicemails")
    assert r.json()["data"][0]["status"] == "recording"
    assert started["data"]["voicemail_id"] == box["id"]

    await asyncio.sleep(2.0)
    caller.send(cmd="hangup")
    ended = await wait_status(live_api, call["id"], "completed")
    assert ended["end_reason"] == "far_end_hangup"

    async def message() -> dict[str, Any] | None:
        data = (await live_api.get("/v1/voice/voicemails")).json()["data"]
        return data[0] if data and data[0]["status"] == "completed" else None

    msg = await until(message)
    assert msg["end_reason"] == "hangup"
    assert msg["format"] == "mp3"
    assert 1.5 < msg["duration_seconds"] < 3.0, msg["duration_seconds"]
    audio = await live_api.get(msg["recording_url"])
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/mpeg"
    (recorded,), rate = decode_mp3(audio.content, 1)
    assert tone_amplitude(recorded, rate, 440) > PRESENT  # the caller's message
    assert tone_amplitude(recorded, rate, BEEP_HZ) < ABSENT  # not the beep

    # The caller heard the greeting first (speech), then the beep, then silence.
    (heard,), rate = read_wav(await caller.quit())
    beep_at = _beep_onset(heard, rate)
    assert beep_at is not None
    assert beep_at > 3.0, beep_at
    greeting = heard[: int(rate * (beep_at - 0.2))]
    assert rms(greeting) > 300  # the greeting was spoken before the beep
    after = heard[int(rate * (beep_at + 0.6)) :]
    assert rms(after) < 100  # nothing plays over the message


async def test_goodbye_is_heard_to_its_end_before_the_bye(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any
) -> None:
    """A dial-in caller with the right PIN to a locked conference is told so, then hung up on:
    the BYE waits for the spoken refusal."""
    await carrier_trunk(live_api, 5999)
    r = await live_api.post("/v1/voice/conferences", json={"name": "Board"})
    assert r.status_code == 201, r.text
    conference = r.json()["data"]
    assert (
        await live_api.post(f"/v1/voice/conferences/{conference['id']}/lock")
    ).status_code == 200
    number = (await live_api.get("/v1/voice/numbers")).json()["data"][0]
    r = await live_api.put(
        f"/v1/voice/numbers/{number['id']}", json={"handler": {"type": "conference"}}
    )
    assert r.status_code == 200, r.text
    caller = phones(0)
    caller.send(cmd="call", uri=f"sip:{CALLER_ID}@127.0.0.1:{sip_app.state.settings.sip_port}")
    call = (await until(lambda: _calls(live_api)))[0]
    await caller.wait_event(event="state", state="CONFIRMED")
    # Keyed in at once, while the answer and the PIN prompt are still being set up: no key
    # is lost (on SQLite the digit event retries until it sees the answered call).
    caller.send(cmd="dtmf", digits=conference["pin"])
    ended = await wait_status(live_api, call["id"], "completed", timeout=15)
    assert ended["end_reason"] == "conference_locked"
    loop = asyncio.get_running_loop()
    told_at = loop.time()
    await caller.wait_event(event="state", state="DISCONNECTED", timeout=15)
    assert loop.time() - told_at > 1.0  # the BYE came after the spoken refusal
    (heard,), rate = read_wav(await caller.quit())
    tenth = rate // 10
    spoken = [rms(heard[i : i + tenth]) > 300 for i in range(0, len(heard) - tenth, tenth)]
    # The start of the PIN prompt (the keys cut it short), then the whole refusal ("This
    # conference is locked. Goodbye.", about 2 s).
    assert sum(spoken) / 10 > 1.5, sum(spoken) / 10


MENU = (
    "Welcome to the support line. For billing questions, press one. For technical support, "
    "press two. For anything else, stay on the line and an operator will help you."
)


async def test_the_menu_waits_for_its_greeting_and_a_key_cuts_it_short(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any
) -> None:
    """The input timeout counts from the end of the greeting (so a greeting longer than the
    timeout is not cut off by it), and a key stops the greeting: what it leads to plays now."""
    await carrier_trunk(live_api, 5999)
    r = await live_api.post("/v1/voice/voicemail", json={"name": "Billing", "greeting": "Hi."})
    box = r.json()["data"]
    r = await live_api.post(
        "/v1/voice/ivr",
        json={
            "name": "Support",
            "greeting": MENU,
            "menu": {"options": [{"key": "1", "action": "voicemail", "target": box["id"]}]},
            "timeout_seconds": 3,
            "fallback_action": "hangup",
        },
    )
    assert r.status_code == 201, r.text
    number = (await live_api.get("/v1/voice/numbers")).json()["data"][0]
    r = await live_api.put(
        f"/v1/voice/numbers/{number['id']}",
        json={"handler": {"type": "ivr", "target": r.json()["data"]["id"]}},
    )
    assert r.status_code == 200, r.text
    caller = phones(0)
    caller.send(cmd="call", uri=f"sip:{CALLER_ID}@127.0.0.1:{sip_app.state.settings.sip_port}")
    call = (await until(lambda: _calls(live_api)))[0]
    await caller.wait_event(event="state", state="CONFIRMED")
    await asyncio.sleep(5.0)  # longer than the 3 s timeout, well inside the greeting
    assert await _event_time(live_api, call["id"], "ivr.timeout") is None
    loop = asyncio.get_running_loop()
    pressed = loop.time()
    caller.send(cmd="dtmf", digits="1")
    await until(
        lambda: _event_time(live_api, call["id"], "voicemail.recording.started"), timeout=20
    )
    # "Hi." and the beep: about a second, not the rest of the menu (several seconds).
    assert loop.time() - pressed < 3.0, loop.time() - pressed
    caller.send(cmd="hangup")
    await wait_status(live_api, call["id"], "completed")
