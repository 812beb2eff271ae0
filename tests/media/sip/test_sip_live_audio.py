"""Live audio of real SIP calls reaches the live transcript: a test phone speaks (an espeak-ng
sentence at 8 kHz), our side speaks a prompt, and the SSE transcript says who said what."""

from __future__ import annotations

import array
import asyncio
import itertools
import time
import wave
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from helpers import ts
from orbit_voice.media.backend import AudioFrame
from orbit_voice.speech.tts import speak_pcm
from orbit_voice.transcripts.models import TranscriptChunk
from sip_support import (
    CALLER_ID,
    carrier_trunk,
    live_api,
    needs_sipp,
    phones,
    sip_app,
    until,
    wait_status,
    write_tone,
)
from speech_helpers import _stop_sse_watcher, sse_events, words

__all__ = ["_stop_sse_watcher", "live_api", "phones", "sip_app"]  # fixtures

pytestmark = needs_sipp

CALLER_SAYS = "My internet connection keeps dropping every evening."
CALLER_KEYS = {"internet", "connection", "dropping", "evening"}
AGENT_SAYS = "Thank you for calling. Your order will arrive on Monday morning."
AGENT_KEYS = {"thank", "calling", "order", "arrive", "monday", "morning"}


async def speech_wav(path: Path, text: str, pause: float = 0.0) -> Path:
    """``text`` spoken by espeak-ng at 8 kHz, then ``pause`` seconds of silence."""
    pcm = await speak_pcm(text) + bytes(2 * int(8000 * pause))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(pcm)
    return path


def found(keys: set[str], text: str) -> set[str]:
    return keys & set(words(text))


class Frames:
    """An audio sink in front of the live transcript that keeps what the engine sent."""

    def __init__(self, forward: Any) -> None:
        self.forward = forward
        self.got: list[tuple[float, AudioFrame]] = []

    async def __call__(self, frame: AudioFrame) -> None:
        self.got.append((time.time(), frame))
        await self.forward(frame)

    def of(self, leg_id: str, speaker: str) -> list[AudioFrame]:
        return [f for _, f in self.got if f.leg_id == leg_id and f.speaker == speaker]


def tap_frames(sip_app: Any) -> tuple[Any, Frames]:
    backend = sip_app.state.runtime.media.get("sip")
    frames = Frames(sip_app.state.speech.hub.feed)
    backend.set_audio_sink(frames)
    return backend, frames


async def chunks(sip_app: Any, call_id: str) -> list[TranscriptChunk]:
    async with sip_app.state.sessionmaker() as session:
        rows = await session.execute(
            select(TranscriptChunk)
            .where(TranscriptChunk.call_id == call_id)
            .order_by(TranscriptChunk.seq)
        )
        return list(rows.scalars())


async def dial(api: httpx.AsyncClient, phone: Any) -> dict[str, Any]:
    r = await api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID})
    assert r.status_code == 201, r.text
    call = await wait_status(api, str(r.json()["data"]["id"]), "in_progress")
    await phone.wait_event(event="state", state="CONFIRMED")
    return call


def loud_at(got: list[AudioFrame], level: int = 300) -> list[float]:
    """When (epoch seconds) each frame's first loud sample was on the line."""
    out = []
    for frame in got:
        pcm = array.array("h", frame.pcm)
        first = next((i for i, x in enumerate(pcm) if abs(x) > level), None)
        if first is not None:
            out.append(frame.start.timestamp() + first / frame.rate)
    return out


async def test_live_transcript_of_a_sip_call_says_who_said_what(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    sentence = await speech_wav(tmp_path / "caller.wav", CALLER_SAYS)
    phone = phones(0)  # silent until told to speak
    await carrier_trunk(live_api, phone.port)
    backend, frames = tap_frames(sip_app)
    call = await dial(live_api, phone)
    stream = asyncio.create_task(live_api.get(f"/v1/voice/calls/{call['id']}/transcript/stream"))

    spoke_at = time.time()
    phone.play(sentence)

    # Live: the caller's line is stored while the call is still up.
    async def caller_line() -> list[TranscriptChunk]:
        return [c for c in await chunks(sip_app, call["id"]) if c.speaker == "caller"]

    first = (await until(caller_line, timeout=30, interval=0.1))[0]
    assert found(CALLER_KEYS, first.text), first.text
    # Frames carry the time their audio was on the line: the phone's voice starts just
    # after it was told to speak (its player, RTP, our jitter buffer).
    onset = loud_at(frames.of(call["id"], "caller"))[0]
    assert -0.1 < onset - spoke_at < 0.5, onset - spoke_at

    await backend.play(call["id"], AGENT_SAYS, "en-US")

    async def agent_line() -> list[TranscriptChunk]:
        return [c for c in await chunks(sip_app, call["id"]) if c.speaker == "agent"]

    await until(agent_line, timeout=30, interval=0.1)
    r = await live_api.post(f"/v1/voice/calls/{call['id']}/hangup")
    assert r.status_code == 200, r.text

    response = await asyncio.wait_for(stream, 60)  # the stream closes with the call
    assert response.status_code == 200
    events = sse_events(response.text)
    assert [e["id"] for e in events] == [str(i) for i in range(1, len(events) + 1)]
    said = {
        s: " ".join(e["text"] for e in events if e["speaker"] == s) for s in ("caller", "agent")
    }
    assert {e["speaker"] for e in events} == {"caller", "agent"}, events
    # tiny.en on telephone-band espeak: most key words, each on its speaker's side only.
    assert len(found(CALLER_KEYS, said["caller"])) >= 3, said
    assert len(found(AGENT_KEYS, said["agent"])) >= 4, said
    assert not found(AGENT_KEYS, said["caller"]), said
    assert not found(CALLER_KEYS, said["agent"]), said
    # ``ts`` is when the words began (whole seconds on the wire; the utterance's padding).
    caller_ts = ts(next(e["ts"] for e in events if e["speaker"] == "caller")).timestamp()
    assert spoke_at - 1.5 < caller_ts <= spoke_at + 1.0, (caller_ts, spoke_at)
    # Every frame was 8 kHz mono PCM from a connected leg, in order on each side.
    ended = ts((await live_api.get(f"/v1/voice/calls/{call['id']}")).json()["data"]["ended_at"])
    for speaker in ("caller", "agent"):
        got = frames.of(call["id"], speaker)
        assert got, speaker
        for a, b in itertools.pairwise(got):
            assert b.start >= a.start + timedelta(seconds=len(a.pcm) / 2 / a.rate * 0.99)
        assert {(f.rate, len(f.pcm) % 2) for f in got} == {(8000, 0)}
        last = got[-1]
        assert last.start + timedelta(seconds=len(last.pcm) / 2 / 8000) <= ended + timedelta(
            seconds=0.5
        )


async def assert_released(backend: Any) -> None:
    """Nothing of the call is left on the engine: no tap, no bridge link, no port but the
    silent source, no tap file."""
    snap = await backend.engine_snapshot()
    assert (snap["active_calls"], snap["taps"], snap["links"], snap["ports"]) == (0, 0, 0, 1)
    assert not any(backend.tap_dir.glob("*")), list(backend.tap_dir.glob("*"))


async def test_far_end_hangup_stops_the_frames_closes_the_stream_and_releases_the_tap(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    sentence = await speech_wav(tmp_path / "caller.wav", CALLER_SAYS, pause=1.0)
    phone = phones(0, play=sentence, loop=True)  # says it over and over, pausing between
    await carrier_trunk(live_api, phone.port)
    backend, frames = tap_frames(sip_app)
    call = await dial(live_api, phone)
    stream = asyncio.create_task(live_api.get(f"/v1/voice/calls/{call['id']}/transcript/stream"))
    snap = await backend.engine_snapshot()
    assert snap["taps"] == 1 and snap["ports"] == 4  # silence, the call, its two taps

    async def caller_line() -> list[TranscriptChunk]:
        return [c for c in await chunks(sip_app, call["id"]) if c.speaker == "caller"]

    await until(caller_line, timeout=30, interval=0.1)
    phone.send(cmd="hangup")
    done = await wait_status(live_api, call["id"], "completed")
    assert done["end_reason"] == "far_end_hangup"
    sent = len(frames.got)  # the engine sent the leg's last audio before its hangup event

    response = await asyncio.wait_for(stream, 60)  # closes once the call is over
    assert response.status_code == 200
    events = sse_events(response.text)
    assert events and {e["speaker"] for e in events} == {"caller"}, events
    assert len(found(CALLER_KEYS, " ".join(e["text"] for e in events))) >= 3, events
    await assert_released(backend)
    assert len(frames.got) == sent  # nothing after the hangup
    answered, ended = ts(done["answered_at"]).timestamp(), ts(done["ended_at"]).timestamp()
    for _, frame in frames.got:
        assert answered - 1 <= frame.start.timestamp()  # ``*_at`` are whole seconds
        assert frame.start.timestamp() + len(frame.pcm) / 2 / frame.rate <= ended + 1
    r = await live_api.get(
        f"/v1/voice/calls/{call['id']}/transcript/stream",
        headers={"Last-Event-ID": events[-1]["id"]},
    )
    assert r.status_code == 204  # ended, and nothing was said after the last line


async def test_our_hangup_delivers_the_buffered_end_of_the_audio_first(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    phone = phones(0)
    await carrier_trunk(live_api, phone.port)
    backend, frames = tap_frames(sip_app)
    call = await dial(live_api, phone)
    # Our side sends a steady tone: the agent side of the tap never goes quiet.
    await backend.play_audio(call["id"], write_tone(tmp_path / "agent.wav", 700, 30), loop=True)

    async def agent_audio() -> list[AudioFrame]:
        return frames.of(call["id"], "agent")

    await until(agent_audio, timeout=5)
    hung_up_at = time.time()
    r = await live_api.post(f"/v1/voice/calls/{call['id']}/hangup")
    assert r.status_code == 200, r.text
    # The recorder holds up to half a second of audio until its file is closed; the hangup
    # returns once that too has reached the sink.
    last = frames.of(call["id"], "agent")[-1]
    heard_until = last.start.timestamp() + len(last.pcm) / 2 / last.rate
    assert heard_until > hung_up_at - 0.15, hung_up_at - heard_until
    await wait_status(live_api, call["id"], "completed")
    await assert_released(backend)
