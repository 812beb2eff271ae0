"""The call lifecycle as events: what the call core publishes, at the moments it reacts.

The core (``calls.service``, ``calls.events``, ``calls.recovery``) publishes these on ``bus``
and imports none of the packages that react; each reaction is subscribed at start-up in
``orbit_voice.wiring``, which lists them in the order they run. In-transaction handlers are
``async def handler(session, rt, event)``; their writes commit with the call's change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orbit_voice.calls.models import Call
from orbit_voice.kit.events import Bus
from orbit_voice.runtime import Runtime

bus: Bus[Runtime] = Bus("call lifecycle")


@dataclass(frozen=True)
class InboundRinging:
    """An inbound call (the simulator's or a SIP INVITE) is saved and ringing."""

    call: Call


@dataclass(frozen=True)
class LegAnswered:
    """The far end answered a leg: the call is ``in_progress`` and its recording started."""

    call: Call


@dataclass(frozen=True)
class LegEnding:
    """A connected leg is about to end: still ``in_progress``, its recording not yet saved."""

    call: Call


@dataclass(frozen=True)
class LegEnded:
    """A leg reached its final status (any leg: an API call, a transfer, a queue's agent)."""

    call: Call


@dataclass(frozen=True)
class DigitReceived:
    """The far end of a connected leg pressed a key."""

    call: Call
    digit: str


@dataclass(frozen=True)
class QualitySampled:
    """The media backend measured a leg's RTP/RTCP statistics."""

    call: Call
    stats: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class NodeRestarted:
    """This node starts again after a run that may have died: before its lost calls are
    ended, features re-arm the timers that lived only in that run's memory."""

    node_id: str
