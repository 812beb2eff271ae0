from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, JSONType, UTCDateTime


class RingGroup(Base):
    __tablename__ = "ring_groups"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    strategy: Mapped[str] = mapped_column(String(16))  # simultaneous | sequential | random
    # [{"extension_id", "phone_number", "ring_seconds"}], one of the first two set.
    members: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    timeout_seconds: Mapped[int] = mapped_column(Integer)
    fallback_action: Mapped[str] = mapped_column(String(32))  # voicemail|transfer_number|hangup
    fallback_target: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RingGroupCall(Base):
    """One call being rung through a group: the dial order and how far it has got.

    The group's settings are copied in when ringing starts, so editing or deleting the group
    does not change a call already ringing.
    """

    __tablename__ = "ring_group_calls"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    ring_group_id: Mapped[str] = mapped_column(String(40), index=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    strategy: Mapped[str] = mapped_column(String(16))
    # [{"to", "ring_seconds", "member_index"}] in dialling order.
    destinations: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # sequential / random: index in ``destinations`` of the member ringing now.
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), index=True)  # ringing|answered|no_answer|ended
    answered_leg_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    fallback_action: Mapped[str] = mapped_column(String(32))
    fallback_target: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
