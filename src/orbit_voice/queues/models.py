from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, JSONType, UTCDateTime

ACTIVE_ENTRY = "status IN ('waiting', 'connected')"


class Queue(Base):
    __tablename__ = "queues"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    strategy: Mapped[str] = mapped_column(String(16))  # longest_idle|round_robin|least_calls|random
    max_wait_seconds: Mapped[int] = mapped_column(Integer)
    overflow_action: Mapped[str] = mapped_column(String(32))  # voicemail|transfer_number|hangup
    overflow_target: Mapped[str | None] = mapped_column(String(40), nullable=True)
    hold_music_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    # Member agents, in the order round_robin walks them.
    agent_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    wrap_up_seconds: Mapped[int] = mapped_column(Integer)
    # round_robin: the member picked last; the next pick starts after it.
    rr_last_agent_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QueueEntry(Base):
    """A call's stay in a queue: waiting -> connected -> completed, or abandoned / overflowed.

    While a human agent's phone rings the entry is still ``waiting`` with ``agent_id`` and
    ``agent_leg_id`` set (the offer); it becomes ``connected`` when the agent answers.
    """

    __tablename__ = "queue_entries"
    __table_args__ = (
        # A call waits in (or is connected from) one queue at a time.
        Index(
            "uq_queue_entries_active_call",
            "call_id",
            unique=True,
            sqlite_where=text(ACTIVE_ENTRY),
            postgresql_where=text(ACTIVE_ENTRY),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    queue_id: Mapped[str] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    priority: Mapped[int] = mapped_column(Integer)
    # waiting | connected | abandoned | overflowed | completed
    status: Mapped[str] = mapped_column(String(16), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    agent_leg_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
