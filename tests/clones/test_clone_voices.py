"""``tts_voice_id``: an AI agent or an IVR speaks with a voice clone. The clone is referenced,
checked in the org, kept while in use, and what is spoken in it is measured: its pitch is the
clone's, not the default voice's."""

from __future__ import annotations

import array
import wave
from pathlib import Path
from typing import Any

import httpx
import pytest

from clones.test_clones_api import TEXT, espeak, upload
from helpers import create_number, get_call, ts
from orbit_voice.clones.audio import analyse, decode
from orbit_voice.kit.clock import FakeClock
from orbit_voice.media.audio import write_wav
from orbit_voice.media.backend import TtsVoice
from orbit_voice.media.sim import SimBackend
from orbit_voice.media.sip.tts import render
from speech_helpers import connected_call, say

SAID = "Thank you for calling. How can I help you with your order today?"


@pytest.fixture
async def female_clone(api: httpx.AsyncClient, tmp_path: Path) -> dict[str, Any]:
    """A clone of a high female espeak-ng voice (the default voice is a low male one)."""
    sample = espeak(tmp_path / "sample.wav", TEXT * 3, "-v", "en-us+f3", "-p", "70")
    r = await upload(api, sample.read_bytes(), name="Ava")
    assert r.status_code == 201, r.text
    clone: dict[str, Any] = r.json()["data"]
    return clone


def pitch_of(path: Path) -> float:
    measured = analyse(decode(path)).pitch_hz
    assert measured is not None, path
    return measured


def stretch(path: Path, index: int, start: float, seconds: float, out: Path) -> Path:
    """``seconds`` of one channel of a WAV from ``start`` (where someone spoke), as a mono WAV:
    the simulator's test tones fill the rest of each channel."""
    with wave.open(str(path), "rb") as wav:
        channels, rate = wav.getnchannels(), wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    mono = samples[index::channels][int(start * rate) : int((start + seconds) * rate)]
    write_wav(out, mono.tobytes(), 1, rate)
    return out


async def ivr(api: httpx.AsyncClient, **extra: Any) -> httpx.Response:
    body = {
        "name": "Main",
        "greeting": "Press 1.",
        "menu": {"options": [{"key": "1", "action": "hangup"}]},
        **extra,
    }
    return await api.post("/v1/voice/ivr", json=body)


async def test_agents_and_ivrs_take_a_clone_of_their_org_and_keep_it_while_in_use(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, female_clone: dict[str, Any]
) -> None:
    voice = female_clone["id"]
    r = await api.post(
        "/v1/voice/agents", json={"name": "Bot", "kind": "ai", "tts_voice_id": voice}
    )
    assert r.status_code == 201 and r.json()["data"]["tts_voice_id"] == voice
    bot = r.json()["data"]["id"]
    r = await ivr(api, tts_voice_id=voice)
    assert r.status_code == 201 and r.json()["data"]["tts_voice_id"] == voice
    menu = r.json()["data"]["id"]

    # Someone else's clone, or none at all: 422 naming the field, nothing written.
    for bad in ("vc_doesnotexist", voice):
        r = await other_api.post(
            "/v1/voice/agents", json={"name": "B", "kind": "ai", "tts_voice_id": bad}
        )
        assert (r.status_code, r.json()["error"]["code"]) == (422, "voice_not_found")
        assert r.json()["error"]["param"] == "tts_voice_id"
        assert (await ivr(other_api, tts_voice_id=bad)).status_code == 422
    assert (await other_api.get("/v1/voice/agents")).json()["data"] == []
    assert (await other_api.get("/v1/voice/ivr")).json()["data"] == []
    # A human speaks with their own voice.
    r = await api.post("/v1/voice/agents", json={"name": "Jo", "tts_voice_id": voice})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "field_not_allowed")

    r = await api.delete(f"/v1/voice/clones/{voice}")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "voice_in_use")
    assert r.json()["error"]["details"] == {"agent_ids": [bot], "ivr_ids": [menu]}
    r = await api.put(f"/v1/voice/agents/{bot}", json={"tts_voice_id": None})
    assert r.status_code == 200 and r.json()["data"]["tts_voice_id"] is None
    r = await api.put(f"/v1/voice/ivr/{menu}", json={"tts_voice_id": None})
    assert r.status_code == 200 and r.json()["data"]["tts_voice_id"] is None
    assert (await api.delete(f"/v1/voice/clones/{voice}")).status_code in (200, 204)


async def test_an_ai_agent_with_a_clone_speaks_in_its_voice(
    api: httpx.AsyncClient, clock: FakeClock, female_clone: dict[str, Any], tmp_path: Path
) -> None:
    r = await api.post(
        "/v1/voice/agents",
        json={"name": "Ava", "kind": "ai", "tts_voice_id": female_clone["id"]},
    )
    call = await connected_call(api, clock, agent_id=r.json()["data"]["id"], record=True)
    answered = ts((await get_call(api, call["id"]))["answered_at"])  # the recording's start
    agent_said = await say(api, call["id"], "agent", SAID)
    await clock.advance(agent_said["duration_seconds"] + 1)
    caller_said = await say(api, call["id"], "caller", SAID)  # the default voice
    await clock.advance(caller_said["duration_seconds"] + 2)
    await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    rec = (await api.get(f"/v1/voice/calls/{call['id']}/recording")).json()["data"]
    url = rec["signed_url"].split("://", 1)[-1].split("/", 1)[1]
    wav = tmp_path / "call.wav"
    wav.write_bytes((await api.get("/" + url, headers={"X-API-Key": ""})).content)

    def heard(said: dict[str, Any], index: int) -> float:
        start = (ts(said["starts_at"]) - answered).total_seconds()
        out = tmp_path / f"{said['speaker']}.wav"
        return pitch_of(stretch(wav, index, start, said["duration_seconds"], out))

    agent, caller = heard(agent_said, 1), heard(caller_said, 0)  # right: our side
    clone_hz = female_clone["measurements"]["pitch_hz"]
    assert abs(agent - clone_hz) / clone_hz < 0.2, (agent, clone_hz)
    assert caller < 0.6 * agent, (caller, agent)


async def test_an_ivr_greets_in_its_clones_voice(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, female_clone: dict[str, Any]
) -> None:
    menu = (await ivr(api, tts_voice_id=female_clone["id"])).json()["data"]
    number = await create_number(api, "+12025550100")
    r = await api.put(
        f"/v1/voice/numbers/{number['id']}", json={"handler": {"type": "ivr", "target": menu["id"]}}
    )
    assert r.status_code == 200, r.text
    r = await api.post(
        "/v1/voice/simulator/inbound", json={"from": "+14155550123", "to": "+12025550100"}
    )
    await clock.advance(app.state.settings.routing_ring_seconds + 0.1)
    sim = app.state.runtime.media.get("sim")
    assert isinstance(sim, SimBackend)
    leg = sim.legs[r.json()["data"]["id"]]
    voice = female_clone["voice"]
    assert leg.played == ["Press 1."]
    assert leg.voices == [TtsVoice(voice["voice"], voice["pitch"], voice["speed"])]


async def test_a_prompt_rendered_for_a_live_call_has_the_clones_pitch(tmp_path: Path) -> None:
    """What the SIP engine plays: the same text in the default voice and in a clone's."""
    default = await render(SAID, "en-US", 8000, tmp_path)
    cloned = await render(SAID, "en-US", 8000, tmp_path, TtsVoice("en-us+f3", 70, 175))
    assert cloned != default
    with wave.open(str(cloned), "rb") as w:
        assert (w.getframerate(), w.getnchannels()) == (8000, 1)
    assert pitch_of(cloned) > 1.5 * pitch_of(default)
