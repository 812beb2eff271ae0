"""What services need from the running server besides the database session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orbit_voice.config import Settings
from orbit_voice.kit.clock import Clock
from orbit_voice.media.registry import MediaRegistry

if TYPE_CHECKING:
    from orbit_voice.speech.runtime import SpeechRuntime


@dataclass(frozen=True)
class Runtime:
    clock: Clock
    media: MediaRegistry
    settings: Settings
    # For work outside a request (media events, timers): each opens its own transaction.
    sessionmaker: async_sessionmaker[AsyncSession]
    # Speech to text, live transcripts and the speech job worker (None: not running).
    speech: SpeechRuntime | None = None
