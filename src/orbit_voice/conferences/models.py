"""Conference rooms, their participants and their mixed recordings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, UTCDateTime

# Statuses in which a conference's PIN is taken.
ACTIVE_STATUSES = ("waiting", "active")


class Conference(Base):
    __tablename__ = "conferences"
    __table_args__ = (
        # A PIN names one conference among the org's conferences that have not ended.
        Index(
            "uq_conferences_active_pin",
            "org_id",
            "pin",
            unique=True,
            sqlite_where=text("status != 'ended'"),
            postgresql_where=text("status != 'ended'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)  # waiting | active | ended
    pin: Mapped[str] = mapped_column(String(6))
    max_participants: Mapped[int] = mapped_column(Integer)
    record: Mapped[bool] = mapped_column(Boolean)
    mute_on_join: Mapped[bool] = mapped_column(Boolean)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    locked: Mapped[bool] = mapped_column(Boolean)
    # mute-all is in force: joiners arrive muted, and unmute-all knows whom it muted.
    all_muted: Mapped[bool] = mapped_column(Boolean)
    # The media backend hosting the room (test keys: sim); every participant's leg uses it.
    backend: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ConferenceParticipant(Base):
    __tablename__ = "conference_participants"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    conference_id: Mapped[str] = mapped_column(
        ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    # The participant's call leg: dialled by us (dial_out) or the caller's own (dial_in).
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(8))  # dial_out | dial_in
    status: Mapped[str] = mapped_column(String(16), index=True)  # dialing | joined | left | failed
    muted: Mapped[bool] = mapped_column(Boolean)
    # Muted by mute-all (so unmute-all unmutes only these).
    muted_by_all: Mapped[bool] = mapped_column(Boolean)
    on_hold: Mapped[bool] = mapped_column(Boolean)
    end_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConferenceRecording(Base):
    """The mixed audio of a room (mono)."""

    __tablename__ = "conference_recordings"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    conference_id: Mapped[str] = mapped_column(
        ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))  # in_progress | completed | failed
    format: Mapped[str | None] = mapped_column(String(8), nullable=True)
    channels: Mapped[int] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
