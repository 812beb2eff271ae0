"""Every query the queues domain runs (all filtered by org)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.agents.models import Agent
from orbit_voice.queues.models import Queue, QueueEntry

ACTIVE = ("waiting", "connected")


async def get_queue(
    session: AsyncSession, org_id: str, queue_id: str, *, lock: bool = False
) -> Queue | None:
    stmt = select(Queue).where(Queue.id == queue_id, Queue.org_id == org_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def list_queues(org_id: str) -> Select[Any]:
    return select(Queue).where(Queue.org_id == org_id)


async def org_queues(session: AsyncSession, org_id: str) -> list[Queue]:
    return list((await session.execute(list_queues(org_id))).scalars().all())


async def agents_in_org(session: AsyncSession, org_id: str, agent_ids: list[str]) -> list[Agent]:
    if not agent_ids:
        return []
    rows = await session.execute(
        select(Agent).where(Agent.org_id == org_id, Agent.id.in_(agent_ids))
    )
    return list(rows.scalars().all())


async def available_members(session: AsyncSession, queue: Queue) -> list[Agent]:
    if not queue.agent_ids:
        return []
    rows = await session.execute(
        select(Agent).where(
            Agent.org_id == queue.org_id,
            Agent.id.in_(queue.agent_ids),
            Agent.presence == "available",
        )
    )
    return list(rows.scalars().all())


async def get_entry(session: AsyncSession, org_id: str, entry_id: str) -> QueueEntry | None:
    return (
        await session.execute(
            select(QueueEntry).where(QueueEntry.id == entry_id, QueueEntry.org_id == org_id)
        )
    ).scalar_one_or_none()


async def active_entry_for_call(
    session: AsyncSession, org_id: str, call_id: str
) -> QueueEntry | None:
    return (
        await session.execute(
            select(QueueEntry).where(
                QueueEntry.org_id == org_id,
                QueueEntry.call_id == call_id,
                QueueEntry.status.in_(ACTIVE),
            )
        )
    ).scalar_one_or_none()


async def offered_entry(
    session: AsyncSession, org_id: str, call_id: str, leg_id: str
) -> QueueEntry | None:
    """The waiting entry of ``call_id`` whose agent is being rung on ``leg_id``."""
    return (
        await session.execute(
            select(QueueEntry).where(
                QueueEntry.org_id == org_id,
                QueueEntry.call_id == call_id,
                QueueEntry.status == "waiting",
                QueueEntry.agent_leg_id == leg_id,
            )
        )
    ).scalar_one_or_none()


def _unoffered(queue_id: str) -> Select[Any]:
    return select(QueueEntry).where(
        QueueEntry.queue_id == queue_id,
        QueueEntry.status == "waiting",
        QueueEntry.agent_id.is_(None),
    )


async def next_waiting(session: AsyncSession, queue: Queue) -> QueueEntry | None:
    """Higher priority first, then the caller who has waited longest."""
    stmt = (
        _unoffered(queue.id)
        .where(QueueEntry.org_id == queue.org_id)
        .order_by(QueueEntry.priority.desc(), QueueEntry.enqueued_at, QueueEntry.id)
        .limit(1)
    )
    entry: QueueEntry | None = (await session.execute(stmt)).scalar_one_or_none()
    return entry


async def expired_waiting(session: AsyncSession, queue: Queue, deadline: datetime) -> list[str]:
    """Entries nobody is being offered that joined at or before ``deadline``."""
    stmt = (
        select(QueueEntry.id)
        .where(
            QueueEntry.org_id == queue.org_id,
            QueueEntry.queue_id == queue.id,
            QueueEntry.status == "waiting",
            QueueEntry.agent_id.is_(None),
            QueueEntry.enqueued_at <= deadline,
        )
        .order_by(QueueEntry.enqueued_at, QueueEntry.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def position(session: AsyncSession, entry: QueueEntry) -> int | None:
    """1-based place among the waiting entries of the queue (ahead: higher priority, older)."""
    if entry.status != "waiting":
        return None
    ahead = (
        await session.execute(
            select(func.count())
            .select_from(QueueEntry)
            .where(
                QueueEntry.org_id == entry.org_id,
                QueueEntry.queue_id == entry.queue_id,
                QueueEntry.status == "waiting",
                QueueEntry.id != entry.id,
                (QueueEntry.priority > entry.priority)
                | (
                    (QueueEntry.priority == entry.priority)
                    & (
                        (QueueEntry.enqueued_at < entry.enqueued_at)
                        | (
                            (QueueEntry.enqueued_at == entry.enqueued_at)
                            & (QueueEntry.id < entry.id)
                        )
                    )
                ),
            )
        )
    ).scalar_one()
    return int(ahead) + 1


async def head_of(session: AsyncSession, queue: Queue) -> tuple[int, datetime] | None:
    entry = await next_waiting(session, queue)
    return None if entry is None else (entry.priority, entry.enqueued_at)


async def count_status(session: AsyncSession, queue: Queue, status: str) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(QueueEntry)
                .where(
                    QueueEntry.org_id == queue.org_id,
                    QueueEntry.queue_id == queue.id,
                    QueueEntry.status == status,
                )
            )
        ).scalar_one()
    )


async def count_active(session: AsyncSession, queue: Queue) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(QueueEntry)
                .where(
                    QueueEntry.org_id == queue.org_id,
                    QueueEntry.queue_id == queue.id,
                    QueueEntry.status.in_(ACTIVE),
                )
            )
        ).scalar_one()
    )


async def abandoned_since(session: AsyncSession, queue: Queue, since: datetime) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(QueueEntry)
                .where(
                    QueueEntry.org_id == queue.org_id,
                    QueueEntry.queue_id == queue.id,
                    QueueEntry.status == "abandoned",
                    QueueEntry.ended_at >= since,
                )
            )
        ).scalar_one()
    )


async def waits_since(
    session: AsyncSession, queue: Queue, since: datetime
) -> list[tuple[datetime, datetime]]:
    """(joined, stopped waiting) of every entry whose wait ended since ``since``: answered
    (connected_at), or abandoned / overflowed without an answer (ended_at)."""
    stopped = func.coalesce(QueueEntry.connected_at, QueueEntry.ended_at)
    rows = await session.execute(
        select(QueueEntry.enqueued_at, QueueEntry.connected_at, QueueEntry.ended_at).where(
            QueueEntry.org_id == queue.org_id,
            QueueEntry.queue_id == queue.id,
            QueueEntry.status != "waiting",
            stopped >= since,
        )
    )
    result: list[tuple[datetime, datetime]] = []
    for joined, connected, ended in rows.all():
        end = connected or ended
        if end is not None:
            result.append((joined, end))
    return result


async def handled_counts(session: AsyncSession, queue: Queue) -> dict[str, int]:
    """How many of this queue's calls each agent has answered."""
    rows = await session.execute(
        select(QueueEntry.agent_id, func.count())
        .where(
            QueueEntry.org_id == queue.org_id,
            QueueEntry.queue_id == queue.id,
            QueueEntry.connected_at.is_not(None),
            QueueEntry.agent_id.is_not(None),
        )
        .group_by(QueueEntry.agent_id)
    )
    return {str(agent_id): int(n) for agent_id, n in rows.all()}
