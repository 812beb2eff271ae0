from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, JSONType, UTCDateTime


class Trunk(Base):
    """A carrier connection. ``auth_password_encrypted`` is a Fernet token, never plaintext."""

    __tablename__ = "trunks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    termination_uri: Mapped[str] = mapped_column(String(512))
    origination_uris: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    auth_username: Mapped[str | None] = mapped_column(String(255), nullable=True)
    auth_password_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    codecs: Mapped[list[Any]] = mapped_column(JSONType)
    encryption: Mapped[str] = mapped_column(String(16))  # tls_srtp | tls | none
    # Calls from a number without its own trunk leave through the org's default trunk.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # active (later: the engine's health)
    # Free-text upstream carrier name; the quality API groups by it.
    carrier: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
