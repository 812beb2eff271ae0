from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, JSONType, UTCDateTime


class VoiceClone(Base):
    """A speaker sample and what was measured from it; ``voice`` holds the TTS engine's
    parameters (for the parametric engine: espeak-ng pitch, speed, variant)."""

    __tablename__ = "voice_clones"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # ready
    engine: Mapped[str] = mapped_column(String(32))  # parametric
    sample_path: Mapped[str] = mapped_column(String(1024))
    sample_format: Mapped[str] = mapped_column(String(8))  # wav | mp3 | flac
    sample_rate: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    duration_seconds: Mapped[float] = mapped_column(Float)
    speech_seconds: Mapped[float] = mapped_column(Float)
    pitch_hz: Mapped[float | None] = mapped_column(Float, nullable=True)
    speaking_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    voice: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
