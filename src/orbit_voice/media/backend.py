"""The MediaBackend Protocol: the only way domain services touch audio and signalling.

Exception tree (vendor errors are translated into these at the adapter boundary)::

    OrbitError
    └── MediaError                  503 media_error
        ├── MediaUnavailable        503 media_unavailable  (engine down or not started)
        └── LegNotFound             409 leg_not_found      (the leg is already gone)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol

from orbit_voice.errors import OrbitError
from orbit_voice.kit.clock import Clock

log = logging.getLogger("orbit_voice.media")


class MediaError(OrbitError):
    status_code = 503
    code = "media_error"


class MediaUnavailable(MediaError):
    code = "media_unavailable"


class LegNotFound(MediaError):
    status_code = 409
    code = "leg_not_found"


class MediaEventKind(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    HANGUP = "hangup"  # the far end hung up a connected leg
    CANCELLED = "cancelled"  # the caller hung up an inbound leg before it was answered
    DTMF = "dtmf"
    # RTCP quality sample of a connected leg: jitter_ms, packet_loss_pct, rtt_ms, codec,
    # packets_received/lost/sent, final (true for the sample taken as the leg ends).
    STATS = "stats"


@dataclass(frozen=True)
class MediaEvent:
    """What happened to a leg. ``at`` is when the backend saw it, for backends that run in
    real time (SIP): events wait their turn in a queue and in the database, and the call's
    ``answered_at`` / ``ended_at`` must say when the answer or the hangup happened, not when
    it was written down. ``None`` means "now" (the simulator, which follows the app's clock)."""

    leg_id: str
    kind: MediaEventKind
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None


EventSink = Callable[[MediaEvent], Awaitable[None]]


@dataclass(frozen=True)
class TtsVoice:
    """A voice to speak prompts with (a voice clone's espeak-ng parameters): the espeak-ng
    voice with its variant (``en-us+f3``), pitch 0..99 and speed in words per minute."""

    name: str
    pitch: int
    speed: int


@dataclass(frozen=True)
class AudioFrame:
    """Audio a connected leg carried, for live transcription: ``speaker`` is ``caller`` (the
    far end) or ``agent`` (our side); ``pcm`` is mono signed 16-bit little-endian at ``rate``
    starting at ``start``. Backends that can tap live audio offer ``set_audio_sink(sink)``
    (optional: not part of the Protocol) and send frames as the audio happens."""

    leg_id: str
    speaker: Literal["caller", "agent"]
    start: datetime
    pcm: bytes = field(repr=False)
    rate: int = 8000


AudioSink = Callable[[AudioFrame], Awaitable[None]]


# A trunk's ``encryption``: TLS signalling and mandatory SRTP, TLS signalling (SRTP when the
# far end offers or accepts it), or neither (the termination URI's own transport, plain RTP).
Encryption = Literal["tls_srtp", "tls", "none"]


@dataclass(frozen=True)
class TrunkRoute:
    """Where a live (SIP) leg goes: the trunk's termination URI, digest credentials, codecs
    and encryption (the API's default, ``tls_srtp``, unless the trunk says otherwise)."""

    trunk_id: str
    termination_uri: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    codecs: tuple[str, ...] = ()
    encryption: Encryption = "tls_srtp"
    # The number dialled through the trunk when the leg's ``to`` is not one (an agent id:
    # the agent's phone_number); None dials ``to``.
    number: str | None = None


@dataclass(frozen=True)
class DirectRoute:
    """A live leg to a SIP URI dialled as-is, not through a trunk (an agent's own phone)."""

    uri: str


@dataclass(frozen=True)
class OriginateRequest:
    leg_id: str
    org_id: str
    to: str
    from_: str
    ring_timeout: float
    # Live legs only: where the INVITE goes (the simulator ignores it).
    route: TrunkRoute | DirectRoute | None = None


@dataclass(frozen=True)
class InboundLeg:
    leg_id: str
    org_id: str
    from_: str
    to: str
    # How long the caller waits for an answer before giving up.
    ring_timeout: float


@dataclass(frozen=True)
class RecordingResult:
    path: Path
    duration_seconds: float
    channels: int
    size_bytes: int
    format: str


MonitorMode = Literal["listen", "whisper", "barge"]


class MediaBackend(Protocol):
    name: str

    def set_sink(self, sink: EventSink) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def originate(self, request: OriginateRequest) -> None:
        """Dial out; progress arrives later as events (ringing, answered, busy, ...)."""

    async def adopt_inbound(self, leg: InboundLeg) -> None:
        """Take charge of an inbound leg that is ringing at us."""

    async def answer(self, leg_id: str) -> None: ...

    async def reject(self, leg_id: str, sip_code: int) -> None: ...

    async def hangup(self, leg_id: str) -> None:
        """End the leg; a leg still ringing is cancelled."""

    async def hold(self, leg_id: str, on: bool) -> None: ...

    async def mute(self, leg_id: str, on: bool) -> None:
        """Stop (or restart) sending the operator side's audio to this leg."""

    async def send_dtmf(self, leg_id: str, digits: str) -> None: ...

    async def play(
        self, leg_id: str, text: str, language: str, voice: TtsVoice | None = None
    ) -> None:
        """Speak ``text`` to the leg (text to speech), in ``voice`` (a clone's) if given."""

    async def bridge(self, leg_a: str, leg_b: str) -> None:
        """Connect two legs' audio both ways."""

    async def start_recording(self, leg_id: str, path: Path, dual_channel: bool) -> None: ...

    async def stop_recording(self, leg_id: str, trim: bool) -> RecordingResult: ...

    async def recover_recording(self, path: Path, trim: bool) -> RecordingResult | None:
        """A recording to ``path`` that an earlier run of this server started and never
        stopped (it died): what its files hold, finished like ``stop_recording``'s; None when
        nothing can be recovered."""

    async def play_audio(self, leg_id: str, path: Path, loop: bool) -> None:
        """Play a WAV file to the leg: looped (hold music) until ``stop_audio``, paused
        while a prompt speaks; or once (a beep) after the prompts already queued."""

    async def stop_audio(self, leg_id: str) -> None: ...

    async def stop_prompts(self, leg_id: str) -> None:
        """Cut short the prompt being spoken to the leg and drop the ones queued (a caller
        pressed a key); looped audio goes on."""

    async def queued_audio_seconds(self, leg_id: str) -> float:
        """Seconds until the prompts and once-played clips queued for the leg have played
        (they play in order); 0 when nothing is queued or the backend plays instantly."""

    async def unbridge(self, leg_a: str, leg_b: str) -> None:
        """Undo ``bridge``: the two legs stop hearing each other."""

    # Conferences: a room mixes every member's audio to every other member.
    async def conference_join(self, room_id: str, leg_id: str, *, muted: bool) -> None: ...

    async def conference_leave(self, room_id: str, leg_id: str) -> None: ...

    async def conference_mute(self, room_id: str, leg_id: str, on: bool) -> None:
        """A muted member still hears the room; the room stops hearing it."""

    async def conference_start_recording(self, room_id: str, path: Path) -> None: ...

    async def conference_stop_recording(self, room_id: str) -> RecordingResult: ...

    async def conference_end(self, room_id: str) -> None: ...

    # Supervisor monitoring of a call. ``agent_leg`` is the agent's own leg when the call is
    # bridged to one, else None (the operator side of ``call_leg`` is the agent).
    # listen: the supervisor hears both sides, nobody hears the supervisor;
    # whisper: as listen, and the agent (only) hears the supervisor;
    # barge: everyone hears everyone.
    async def monitor(
        self, call_leg: str, agent_leg: str | None, supervisor_leg: str, mode: MonitorMode
    ) -> None: ...

    async def unmonitor(self, supervisor_leg: str) -> None: ...


async def when_played(
    clock: Clock,
    backend: MediaBackend,
    leg_id: str,
    action: Callable[[], Awaitable[None]],
    what: str,
) -> None:
    """Run ``action`` once what is queued to play to ``leg_id`` has played: now when nothing
    is (the simulator's prompts take no time), else in a task after that long. A leg that is
    gone by then is logged as ``what`` failing, not raised."""

    async def run() -> None:
        try:
            await action()
        except MediaError as exc:
            log.warning("%s failed: %s", what, exc.message, extra={"call_id": leg_id})

    try:
        wait = await backend.queued_audio_seconds(leg_id)
    except MediaError:
        wait = 0.0
    if wait <= 0:
        await run()
        return

    async def later() -> None:
        await clock.sleep(wait)
        await run()

    clock.spawn(later())


class RecordingRow(Protocol):
    """A stored recording (a call's, a conference's) as ``settle_recording`` fills it in."""

    status: str
    path: str | None
    format: str | None
    channels: int
    duration_seconds: float | None
    size_bytes: int | None
    completed_at: datetime | None


def settle_recording(row: RecordingRow, result: RecordingResult | None, now: datetime) -> None:
    """``completed`` with the file the backend finished, or ``failed`` when it kept nothing."""
    row.completed_at = now
    if result is None:
        row.status = "failed"
        return
    row.status = "completed"
    row.path = str(result.path)
    row.format = result.format
    row.channels = result.channels
    row.duration_seconds = round(result.duration_seconds, 2)
    row.size_bytes = result.size_bytes


async def stop_or_recover(
    backend: MediaBackend, stop: Awaitable[RecordingResult], path: Path, trim: bool
) -> RecordingResult | None:
    """``stop`` (a backend's stop-recording call) or, when the backend no longer holds that
    recorder because the server that started it died, what its files at ``path`` kept."""
    try:
        return await stop
    except LegNotFound:
        return await backend.recover_recording(path, trim)
