"""Supervisor monitoring sessions: one supervisor leg attached to a call in one mode."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, UTCDateTime


class CallMonitor(Base):
    """Live while its supervisor leg has not ended (the leg's status is the session's)."""

    __tablename__ = "call_monitors"

    supervisor_call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    supervisor: Mapped[str] = mapped_column(String(40))  # E.164 or ext_...
    mode: Mapped[str] = mapped_column(String(8))  # listen | whisper | barge
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
