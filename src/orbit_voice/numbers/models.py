from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, JSONType, UTCDateTime


class Number(Base):
    __tablename__ = "numbers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    # One owner per number on this server, so an inbound call finds exactly one org.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Inbound routing: {"type", "target"}; off_hours_handler applies while calendar_id is closed.
    handler: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    calendar_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    off_hours_handler: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # The trunk calls from this number leave through (null: the org's default trunk).
    trunk_id: Mapped[str | None] = mapped_column(
        ForeignKey("trunks.id", ondelete="SET NULL"), index=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
