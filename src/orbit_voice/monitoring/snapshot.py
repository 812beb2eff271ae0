"""The wallboard snapshot: every active call, the queue backlog and agent presence,
read with ONE statement so the counts and the call list agree with each other."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, cast, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.agents.models import Agent
from orbit_voice.calls.models import Call
from orbit_voice.calls.state import TERMINAL
from orbit_voice.db import UTCDateTime
from orbit_voice.monitoring.schemas import MonitoringSnapshot, SnapshotCall

# Occupied agents: on a call, or wrapping one up.
BUSY_PRESENCES = ("busy", "wrap_up")
QUEUE_ACTIVE = ("waiting", "connected")


def _queue_model() -> Any | None:
    try:
        from orbit_voice.queues.models import QueueEntry
    except ImportError:  # queues not installed: nobody is ever queued
        return None
    return QueueEntry


def _count_row(kind: str, stmt: Any) -> Any:
    text_null = cast(null(), String(40))
    return stmt.with_only_columns(
        literal(kind, String(16)).label("kind"),
        text_null.label("id"),
        text_null.label("from_number"),
        text_null.label("to_number"),
        text_null.label("agent_id"),
        text_null.label("queue_id"),
        cast(null(), UTCDateTime()).label("started_at"),
        cast(func.count(), Integer).label("n"),
    )


async def snapshot(session: AsyncSession, org_id: str, now: datetime) -> MonitoringSnapshot:
    entry = _queue_model()
    if entry is not None:
        queue_id: Any = (
            select(entry.queue_id)
            .where(
                entry.org_id == org_id,
                entry.call_id == Call.id,
                entry.status.in_(QUEUE_ACTIVE),
            )
            .order_by(entry.enqueued_at.desc())
            .limit(1)
            .scalar_subquery()
        )
    else:
        queue_id = cast(null(), String(40))
    calls = select(
        literal("call", String(16)).label("kind"),
        Call.id.label("id"),
        Call.from_.label("from_number"),
        Call.to.label("to_number"),
        Call.agent_id.label("agent_id"),
        queue_id.label("queue_id"),
        Call.created_at.label("started_at"),
        cast(null(), Integer).label("n"),
    ).where(
        Call.org_id == org_id,
        # A conversation counts once: legs it spawned (agent, transfer, supervisor) do not.
        Call.parent_call_id.is_(None),
        Call.status.not_in(TERMINAL),
    )
    parts = [
        calls,
        _count_row(
            "available",
            select(Agent.id).where(Agent.org_id == org_id, Agent.presence == "available"),
        ),
        _count_row(
            "busy",
            select(Agent.id).where(Agent.org_id == org_id, Agent.presence.in_(BUSY_PRESENCES)),
        ),
    ]
    if entry is not None:
        parts.append(
            _count_row(
                "queued",
                select(entry.id).where(entry.org_id == org_id, entry.status == "waiting"),
            )
        )
    counts: dict[str, int] = {"available": 0, "busy": 0, "queued": 0}
    active: list[SnapshotCall] = []
    for row in (await session.execute(union_all(*parts))).mappings():
        if row["kind"] != "call":
            counts[row["kind"]] = int(row["n"] or 0)
            continue
        started: datetime = row["started_at"]
        active.append(
            SnapshotCall(
                id=row["id"],
                from_=row["from_number"],
                to=row["to_number"],
                agent_id=row["agent_id"],
                duration_seconds=max(0, int((now - started).total_seconds())),
                queue_id=row["queue_id"],
                started_at=started,
            )
        )
    active.sort(key=lambda c: (c.started_at, c.id), reverse=True)
    return MonitoringSnapshot(
        active_calls=len(active),
        queued_calls=counts["queued"],
        available_agents=counts["available"],
        busy_agents=counts["busy"],
        calls=active,
    )
