"""The MediaBackend Protocol: the only way domain services touch audio and signalling.

Exception tree (vendor errors are translated into these at the adapter boundary)::

    OrbitError
    └── MediaError                  503 media_error
        ├── MediaUnavailable        503 media_unavailable  (engine down or not started)
        └── LegNotFound             409 leg_not_found      (the leg is already gone)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from orbit_voice.errors import OrbitError


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


@dataclass(frozen=True)
class MediaEvent:
    leg_id: str
    kind: MediaEventKind
    data: dict[str, Any] = field(default_factory=dict)


EventSink = Callable[[MediaEvent], Awaitable[None]]


@dataclass(frozen=True)
class OriginateRequest:
    leg_id: str
    org_id: str
    to: str
    from_: str
    ring_timeout: float


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

    async def play(self, leg_id: str, text: str, language: str) -> None:
        """Speak ``text`` to the leg (text to speech)."""

    async def bridge(self, leg_a: str, leg_b: str) -> None:
        """Connect two legs' audio both ways."""

    async def start_recording(self, leg_id: str, path: Path, dual_channel: bool) -> None: ...

    async def stop_recording(self, leg_id: str, trim: bool) -> RecordingResult: ...
