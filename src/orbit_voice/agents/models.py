from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, UTCDateTime


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))  # human | ai
    presence: Mapped[str] = mapped_column(String(16))  # available | busy | wrap_up | offline
    # Wrap-up after a call routed straight to the agent (a queue's call uses the queue's).
    wrap_up_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    calls_handled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Where a live (SIP) call rings a human agent: its SIP URI as-is, else its phone number
    # through the org's trunk. The simulator rings a virtual phone and needs neither.
    sip_uri: Mapped[str | None] = mapped_column(String(512), nullable=True)
    phone_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The org's voice clone an AI agent speaks with (``clones``); None: the default voice.
    tts_voice_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The customer call the agent is on (claimed atomically: presence available -> busy).
    current_call_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    # For longest_idle: agents who never had a call count as idlest.
    last_call_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    wrap_up_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
