from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, JSONType, UTCDateTime


class IvrFlow(Base):
    __tablename__ = "ivr_flows"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    greeting: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(35))
    # The org's voice clone the greeting is spoken with (``clones``); None: the default voice.
    tts_voice_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # {"options": [{"key", "action", "target"}]}
    menu: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    timeout_seconds: Mapped[int] = mapped_column(Integer)
    max_retries: Mapped[int] = mapped_column(Integer)
    fallback_action: Mapped[str] = mapped_column(String(32))
    fallback_target: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
