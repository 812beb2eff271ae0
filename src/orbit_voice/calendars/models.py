from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, JSONType, UTCDateTime


class Calendar(Base):
    __tablename__ = "calendars"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # [{"weekday": 1..7 (ISO, 1=Mon), "start": "HH:MM", "end": "HH:MM"}], merged and sorted.
    weekday_windows: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # ["YYYY-MM-DD", ...] sorted, in the calendar's timezone.
    holidays: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
