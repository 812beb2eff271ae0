from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, JSONType, UTCDateTime


class Call(Base):
    """One call leg. Legs a call spawns (transfer, consult) point at it via ``parent_call_id``."""

    __tablename__ = "calls"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(10))  # outbound | inbound
    to: Mapped[str] = mapped_column(String(40), index=True)
    from_: Mapped[str] = mapped_column("from_number", String(40), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ivr_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    record: Mapped[bool] = mapped_column(Boolean, default=False)
    max_duration: Mapped[int] = mapped_column(Integer, default=3600)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), index=True)
    end_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sip_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sip_call_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    backend: Mapped[str] = mapped_column(String(8))
    # The server process (ORBIT_NODE_ID) whose media backend holds the call: when it starts
    # again, calls it still owns were lost with it and are ended (``calls.recovery``).
    node_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_call_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    # Role of a spawned leg: transfer | consult
    leg_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The live warm transfer of this call: {"consult_call_id", "to", "state"}.
    warm_transfer: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Optimistic concurrency: every UPDATE checks the version it read, so a media event and an
    # API request racing on one call cannot overwrite each other (SQLite has no row locks).
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    ringing_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CallEvent(Base):
    __tablename__ = "call_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40), index=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(40), index=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # in_progress | completed | failed
    dual_channel: Mapped[bool] = mapped_column(Boolean)
    trim: Mapped[bool] = mapped_column(Boolean)
    format: Mapped[str | None] = mapped_column(String(8), nullable=True)
    channels: Mapped[int] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
