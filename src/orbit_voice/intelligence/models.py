from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, JSONType, UTCDateTime


class CallIntelligence(Base):
    """The post-call analysis of one call (recomputed by ``POST /calls/{id}/sentiment``)."""

    __tablename__ = "call_intelligence"

    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    summary: Mapped[str] = mapped_column(Text)
    overall: Mapped[str] = mapped_column(String(40), index=True)
    trajectory: Mapped[str] = mapped_column(String(16))
    agent_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    caller_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    utterances: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    key_moments: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    action_items: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    customer_effort_score: Mapped[float] = mapped_column(Float)
    effort_factors: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    compliance_flags: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    language: Mapped[str] = mapped_column(String(16))
    # The call's creation time: lists and trends are ordered and bucketed by it.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IntelligenceSettings(Base):
    """An org's intent keywords and compliance phrases (defaults apply until it sets its own)."""

    __tablename__ = "intelligence_settings"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True)
    intents: Mapped[dict[str, Any]] = mapped_column(JSONType)
    required_phrases: Mapped[list[Any]] = mapped_column(JSONType)
    forbidden_phrases: Mapped[list[Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
