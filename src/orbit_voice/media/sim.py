"""The simulator backend: calls that ring, answer and end on the injectable clock.

Magic destinations choose the outcome (as Twilio's test numbers do); see the README.
A simulated recording is a real WAV: the caller's side is a 440 Hz tone, the operator's
a 660 Hz tone, silent while muted or on hold, with a second of silence at each end.
"""

from __future__ import annotations

import array
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from orbit_voice.kit.clock import Clock
from orbit_voice.media.audio import trim_wav, wav_duration, write_wav
from orbit_voice.media.backend import (
    AudioFrame,
    AudioSink,
    EventSink,
    InboundLeg,
    LegNotFound,
    MediaEvent,
    MediaEventKind,
    MonitorMode,
    OriginateRequest,
    RecordingResult,
    TtsVoice,
)
from orbit_voice.media.graph import AudioGraph, Room

BUSY = "+15005550001"
NO_ANSWER = "+15005550002"
FAILED = "+15005550003"
HANGS_UP_AFTER_30S = "+15005550004"
FAR_END_HANGUP_SECONDS = 30.0

RATE = 8000
BLOCK = 0.1  # seconds per synthesised block
_BLOCK_FRAMES = int(RATE * BLOCK)
LEAD_SILENCE = 1.0
SPEECH_CHUNK = 0.5  # seconds of speech handed to the live audio sink at a time


def _tone_block(freq: float) -> array.array[int]:
    return array.array(
        "h",
        (int(8000 * math.sin(2 * math.pi * freq * i / RATE)) for i in range(_BLOCK_FRAMES)),
    )


_CALLER_TONE = _tone_block(440.0)
_OPERATOR_TONE = _tone_block(660.0)
_SILENT = array.array("h", bytes(2 * _BLOCK_FRAMES))


@dataclass
class _Recording:
    path: Path
    dual_channel: bool
    started: datetime


@dataclass
class SpeechSegment:
    """Speech said on a leg (``POST /simulator/calls/{id}/speech``): 8 kHz mono PCM from
    ``start`` on; ``caller`` is the far end (left channel), ``agent`` our side (right)."""

    speaker: str
    start: datetime
    pcm: array.array[int]

    @property
    def duration(self) -> float:
        return len(self.pcm) / RATE

    def samples(self, at: float, frames: int) -> array.array[int] | None:
        """The ``frames`` samples from time ``at`` (epoch seconds): silence where it does not
        speak; None when it says nothing in that stretch."""
        offset = round((at - self.start.timestamp()) * RATE)
        if offset >= len(self.pcm) or offset + frames <= 0:
            return None
        block = array.array("h", bytes(2 * frames))
        lo, hi = max(0, offset), min(len(self.pcm), offset + frames)
        block[lo - offset : hi - offset] = self.pcm[lo:hi]
        return block


@dataclass
class SimLeg:
    leg_id: str
    state: str  # ringing | connected | ended
    to: str = ""
    from_: str = ""
    muted: bool = False
    held: bool = False
    # (time, muted, held) whenever either changes, for the recording.
    timeline: list[tuple[datetime, bool, bool]] = field(default_factory=list)
    dtmf_sent: list[str] = field(default_factory=list)
    played: list[str] = field(default_factory=list)
    voices: list[TtsVoice | None] = field(default_factory=list)  # each played text's voice
    bridged_to: set[str] = field(default_factory=set)
    recording: _Recording | None = None
    audio: tuple[Path, bool] | None = None  # (file, loop) being played to the leg
    speech: list[SpeechSegment] = field(default_factory=list)
    # Network conditions the call's quality is scored on (POST /simulator/calls/{id}/network).
    network: dict[str, Any] | None = None


class SimBackend:
    name = "sim"

    def __init__(self, clock: Clock, *, data_dir: Path, ring_seconds: float = 2.0) -> None:
        self.clock = clock
        self.data_dir = data_dir
        self.ring_seconds = ring_seconds
        self.legs: dict[str, SimLeg] = {}
        self._sink: EventSink | None = None
        # Who hears whom: the same rules as the SIP engine's conference bridge.
        self.graph = AudioGraph()
        self._room_recordings: dict[str, _Recording] = {}
        self._audio_sink: AudioSink | None = None

    def set_sink(self, sink: EventSink) -> None:
        self._sink = sink

    def set_audio_sink(self, sink: AudioSink) -> None:
        """Where live audio goes (speech said on legs), as the SIP engine sends RTP audio."""
        self._audio_sink = sink

    # -- speech and network on the simulated line ----------------------------------------

    async def speak(self, leg_id: str, speaker: str, pcm: bytes) -> SpeechSegment:
        """Say 8 kHz PCM on the leg, after what this speaker is still saying: it is heard
        live (sent to the audio sink as it is spoken) and recorded on its channel."""
        leg = self._leg(leg_id)
        if leg.state != "connected":
            raise LegNotFound(f"Leg {leg_id} is not connected.")
        start = self.clock.now()
        for seg in leg.speech:
            if seg.speaker == speaker:
                start = max(start, seg.start + timedelta(seconds=seg.duration))
        segment = SpeechSegment(speaker=speaker, start=start, pcm=array.array("h", pcm))
        leg.speech.append(segment)
        self.clock.spawn(self._say(leg, segment))
        return segment

    async def _say(self, leg: SimLeg, seg: SpeechSegment) -> None:
        await self.clock.sleep((seg.start - self.clock.now()).total_seconds())
        step = int(SPEECH_CHUNK * RATE)
        for lo in range(0, len(seg.pcm), step):
            chunk = seg.pcm[lo : lo + step]
            await self.clock.sleep(len(chunk) / RATE)
            if leg.state != "connected":
                return
            # Nobody hears a held line, nor a muted operator: the recording is silent there too.
            audible = not leg.held and not (seg.speaker == "agent" and leg.muted)
            if audible and self._audio_sink is not None:
                await self._audio_sink(
                    AudioFrame(
                        leg_id=leg.leg_id,
                        speaker="caller" if seg.speaker == "caller" else "agent",
                        start=seg.start + timedelta(seconds=lo / RATE),
                        pcm=chunk.tobytes(),
                    )
                )

    def set_network(self, leg_id: str, profile: dict[str, Any]) -> None:
        self._leg(leg_id).network = dict(profile)

    def network(self, leg_id: str) -> dict[str, Any] | None:
        leg = self.legs.get(leg_id)
        return None if leg is None else leg.network

    def _speech_at(self, leg: SimLeg, speaker: str, at: float) -> array.array[int] | None:
        for seg in leg.speech:
            if seg.speaker == speaker:
                block = seg.samples(at, _BLOCK_FRAMES)
                if block is not None:
                    return block
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.legs.clear()
        self.graph = AudioGraph()
        self._room_recordings.clear()

    @property
    def rooms(self) -> dict[str, Room]:
        return self.graph.rooms

    @property
    def monitors(self) -> dict[str, tuple[str, MonitorMode]]:
        return self.graph.monitors

    async def _emit(self, leg_id: str, kind: MediaEventKind, **data: Any) -> None:
        if self._sink is not None:
            await self._sink(MediaEvent(leg_id=leg_id, kind=kind, data=data))

    def _leg(self, leg_id: str) -> SimLeg:
        leg = self.legs.get(leg_id)
        if leg is None or leg.state == "ended":
            raise LegNotFound(f"Leg {leg_id} is not active in the simulator.")
        return leg

    async def originate(self, request: OriginateRequest) -> None:
        leg = SimLeg(leg_id=request.leg_id, state="ringing", to=request.to, from_=request.from_)
        self.legs[leg.leg_id] = leg
        self.clock.spawn(self._outbound_script(leg, request.ring_timeout))

    async def _outbound_script(self, leg: SimLeg, ring_timeout: float) -> None:
        if leg.to == FAILED:
            await self.clock.sleep(0.5)
            self._end(leg)
            await self._emit(leg.leg_id, MediaEventKind.FAILED, sip_code=503)
            return
        await self._emit(leg.leg_id, MediaEventKind.RINGING, sip_code=180)
        if leg.to == NO_ANSWER:
            await self.clock.sleep(ring_timeout)
            if leg.state == "ringing":
                self._end(leg)
                await self._emit(leg.leg_id, MediaEventKind.NO_ANSWER, sip_code=408)
            return
        await self.clock.sleep(self.ring_seconds)
        if leg.state != "ringing":
            return
        if leg.to == BUSY:
            self._end(leg)
            await self._emit(leg.leg_id, MediaEventKind.BUSY, sip_code=486)
            return
        self._connect(leg)
        await self._emit(leg.leg_id, MediaEventKind.ANSWERED, sip_code=200)
        if leg.to == HANGS_UP_AFTER_30S:
            await self.clock.sleep(FAR_END_HANGUP_SECONDS)
            if leg.state == "connected":
                self._end(leg)
                await self._emit(leg.leg_id, MediaEventKind.HANGUP, cause="far_end_hangup")

    def _connect(self, leg: SimLeg) -> None:
        leg.state = "connected"
        leg.timeline.append((self.clock.now(), leg.muted, leg.held))
        self.graph.connect(leg.leg_id)

    def _end(self, leg: SimLeg) -> None:
        leg.state = "ended"
        self.graph.add_leg(leg.leg_id).active = False

    async def adopt_inbound(self, leg: InboundLeg) -> None:
        sim_leg = SimLeg(leg_id=leg.leg_id, state="ringing", to=leg.to, from_=leg.from_)
        self.legs[leg.leg_id] = sim_leg
        self.clock.spawn(self._caller_gives_up(sim_leg, leg.ring_timeout))

    async def _caller_gives_up(self, leg: SimLeg, ring_timeout: float) -> None:
        await self.clock.sleep(ring_timeout)
        if leg.state == "ringing":
            self._end(leg)
            await self._emit(leg.leg_id, MediaEventKind.NO_ANSWER, sip_code=487)

    async def far_end_hangup(self, leg_id: str) -> None:
        """The other party hangs up (``POST /simulator/calls/{id}/hangup``)."""
        leg = self._leg(leg_id)
        was_ringing = leg.state == "ringing"
        self._end(leg)
        if was_ringing:
            await self._emit(leg_id, MediaEventKind.CANCELLED, sip_code=487)
        else:
            await self._emit(leg_id, MediaEventKind.HANGUP, cause="far_end_hangup")

    async def answer(self, leg_id: str) -> None:
        leg = self._leg(leg_id)
        if leg.state == "ringing":
            self._connect(leg)

    async def reject(self, leg_id: str, sip_code: int) -> None:
        self._end(self._leg(leg_id))

    async def hangup(self, leg_id: str) -> None:
        leg = self.legs.get(leg_id)
        if leg is None or leg.state == "ended":
            return
        self._end(leg)

    def _set(self, leg: SimLeg, *, muted: bool | None = None, held: bool | None = None) -> None:
        if muted is not None:
            leg.muted = muted
        if held is not None:
            leg.held = held
        state = self.graph.add_leg(leg.leg_id)
        state.muted, state.held = leg.muted, leg.held
        leg.timeline.append((self.clock.now(), leg.muted, leg.held))

    async def hold(self, leg_id: str, on: bool) -> None:
        self._set(self._leg(leg_id), held=on)

    async def mute(self, leg_id: str, on: bool) -> None:
        self._set(self._leg(leg_id), muted=on)

    async def send_dtmf(self, leg_id: str, digits: str) -> None:
        self._leg(leg_id).dtmf_sent.append(digits)

    async def inject_dtmf(self, leg_id: str, digits: str) -> None:
        """The far end presses keys (``POST /simulator/calls/{id}/dtmf``)."""
        self._leg(leg_id)
        for digit in digits:
            await self._emit(leg_id, MediaEventKind.DTMF, digit=digit)

    async def play(
        self, leg_id: str, text: str, language: str, voice: TtsVoice | None = None
    ) -> None:
        leg = self._leg(leg_id)
        leg.played.append(text)
        leg.voices.append(voice)

    async def bridge(self, leg_a: str, leg_b: str) -> None:
        a, b = self._leg(leg_a), self._leg(leg_b)
        a.bridged_to.add(leg_b)
        b.bridged_to.add(leg_a)
        self.graph.bridge(leg_a, leg_b)

    async def unbridge(self, leg_a: str, leg_b: str) -> None:
        for leg_id in (leg_a, leg_b):
            leg = self.legs.get(leg_id)
            if leg is not None:
                leg.bridged_to.discard(leg_b if leg_id == leg_a else leg_a)
        self.graph.unbridge(leg_a, leg_b)

    def hears(self, listener: str, speaker: str) -> bool:
        """Whether ``listener`` hears ``speaker`` right now (leg ids, or ``operator(leg)``)."""
        return self.graph.hears(listener, speaker)

    async def play_audio(self, leg_id: str, path: Path, loop: bool) -> None:
        self._leg(leg_id).audio = (path, loop)

    async def stop_audio(self, leg_id: str) -> None:
        leg = self.legs.get(leg_id)
        if leg is not None:
            leg.audio = None

    async def stop_prompts(self, leg_id: str) -> None:
        return None  # simulated prompts have already played

    async def queued_audio_seconds(self, leg_id: str) -> float:
        return 0.0  # simulated prompts and clips take no time

    async def conference_join(self, room_id: str, leg_id: str, *, muted: bool) -> None:
        self._leg(leg_id)
        self.graph.conference_join(room_id, leg_id, muted=muted)

    async def conference_leave(self, room_id: str, leg_id: str) -> None:
        self.graph.conference_leave(room_id, leg_id)

    async def conference_mute(self, room_id: str, leg_id: str, on: bool) -> None:
        self.graph.conference_mute(room_id, leg_id, on)

    async def conference_start_recording(self, room_id: str, path: Path) -> None:
        self.graph.room(room_id)
        if room_id not in self._room_recordings:
            self._room_recordings[room_id] = _Recording(
                path=path, dual_channel=False, started=self.clock.now()
            )

    async def conference_stop_recording(self, room_id: str) -> RecordingResult:
        rec = self._room_recordings.pop(room_id, None)
        if rec is None:
            raise LegNotFound(f"Room {room_id} is not being recorded.")
        probe = SimLeg(leg_id=room_id, state="connected", recording=rec)
        return self._finish_recording(probe, trim=False)

    async def conference_end(self, room_id: str) -> None:
        self.graph.conference_end(room_id)
        self._room_recordings.pop(room_id, None)

    async def monitor(
        self, call_leg: str, agent_leg: str | None, supervisor_leg: str, mode: MonitorMode
    ) -> None:
        self._leg(call_leg)
        self._leg(supervisor_leg)
        self.graph.monitor(call_leg, agent_leg, supervisor_leg, mode)

    async def unmonitor(self, supervisor_leg: str) -> None:
        self.graph.unmonitor(supervisor_leg)

    async def start_recording(self, leg_id: str, path: Path, dual_channel: bool) -> None:
        leg = self._leg(leg_id)
        if leg.recording is None:
            leg.recording = _Recording(
                path=path, dual_channel=dual_channel, started=self.clock.now()
            )

    async def stop_recording(self, leg_id: str, trim: bool) -> RecordingResult:
        leg = self.legs.get(leg_id)
        if leg is None or leg.recording is None:
            raise LegNotFound(f"Leg {leg_id} is not being recorded.")
        return self._finish_recording(leg, trim)

    async def recover_recording(self, path: Path, trim: bool) -> RecordingResult | None:
        """A simulated recording is written only when it stops: a restart leaves nothing."""
        return None

    def _finish_recording(self, leg: SimLeg, trim: bool) -> RecordingResult:
        rec = leg.recording
        if rec is None:
            raise LegNotFound(f"Leg {leg.leg_id} is not being recorded.")
        leg.recording = None
        end = self.clock.now()
        total = max(0.0, (end - rec.started).total_seconds())
        blocks = round(total / BLOCK)
        channels = 2 if rec.dual_channel else 1
        pcm = array.array("h")
        for i in range(blocks):
            t = i * BLOCK
            at = rec.started.timestamp() + t
            muted, held = self._state_at(leg, at)
            speaking = LEAD_SILENCE <= t < total - LEAD_SILENCE and not held
            caller = _CALLER_TONE if speaking else _SILENT
            operator = _OPERATOR_TONE if speaking and not muted else _SILENT
            # Said speech replaces the test tone for its stretch, on its speaker's channel.
            said = self._speech_at(leg, "caller", at)
            if said is not None:
                caller = _SILENT if held else said
            said = self._speech_at(leg, "agent", at)
            if said is not None:
                operator = _SILENT if held or muted else said
            if channels == 2:
                block = array.array("h", bytes(4 * _BLOCK_FRAMES))
                block[0::2] = caller
                block[1::2] = operator
            else:
                block = array.array(
                    "h",
                    (max(-32768, min(32767, a + b)) for a, b in zip(caller, operator, strict=True)),
                )
            pcm.extend(block)
        write_wav(rec.path, pcm.tobytes(), channels, RATE)
        if trim:
            trim_wav(rec.path)
        return RecordingResult(
            path=rec.path,
            duration_seconds=wav_duration(rec.path),
            channels=channels,
            size_bytes=rec.path.stat().st_size,
            format="wav",
        )

    @staticmethod
    def _state_at(leg: SimLeg, at: float) -> tuple[bool, bool]:
        muted = held = False
        for when, m, h in leg.timeline:
            if when.timestamp() > at:
                break
            muted, held = m, h
        return muted, held
