from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, JSONType, UTCDateTime


class CallGather(Base):
    """What is collecting a call's keypresses right now (an IVR menu, a voicemail, a PIN).

    One row per call at most; kept in the database so a digit, a timer and an API request
    handled by different sessions (or processes) agree on it.
    """

    __tablename__ = "call_gathers"

    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # ivr | voicemail | conference_pin
    ref_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Bumped whenever the gatherer re-arms; a timer armed for an older epoch does nothing.
    epoch: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
