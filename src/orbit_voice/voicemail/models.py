from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, UTCDateTime


class VoicemailBox(Base):
    __tablename__ = "voicemail_boxes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    greeting: Mapped[str] = mapped_column(Text)
    transcribe: Mapped[bool] = mapped_column(Boolean, default=True)
    max_duration: Mapped[int] = mapped_column(Integer, default=120)
    notification_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VoicemailMessage(Base):
    __tablename__ = "voicemail_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    voicemail_id: Mapped[str] = mapped_column(
        ForeignKey("voicemail_boxes.id", ondelete="CASCADE"), index=True
    )
    call_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    caller: Mapped[str] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(10))  # the call's: inbound | outbound
    status: Mapped[str] = mapped_column(String(16), index=True)  # recording | completed | failed
    end_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    format: Mapped[str | None] = mapped_column(String(8), nullable=True)
    path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    transcription: Mapped[str | None] = mapped_column(Text, nullable=True)
    # pending | completed | failed | skipped
    transcription_status: Mapped[str] = mapped_column(String(16))
    listened: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    listened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # not_requested | pending | sent | skipped | failed
    notification_status: Mapped[str] = mapped_column(String(16))
    notification_detail: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
