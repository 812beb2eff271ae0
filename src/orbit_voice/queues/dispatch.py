"""Matching waiting calls with free agents, and everything that happens to a queued call.

Each assignment is its own short transaction, run after the change that made it possible
has committed (an enqueue, an agent becoming available, a queue's members changing).
Lock order everywhere: the customer's call row, then its queue entry, then the agent, so
concurrent media events, timers and API requests cannot deadlock; agents and entries are
claimed with conditional updates, so no two calls ever get the same agent.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.agents import presence
from orbit_voice.agents.models import Agent
from orbit_voice.calls import repository as calls_repo
from orbit_voice.calls.models import Call
from orbit_voice.calls.state import record_event
from orbit_voice.db import after_commit, pop_after_commit
from orbit_voice.errors import Invalid
from orbit_voice.media.backend import MediaError
from orbit_voice.queues import actions
from orbit_voice.queues import repository as repo
from orbit_voice.queues.legs import AGENT_ROLE, agent_route, spawn_leg
from orbit_voice.queues.models import Queue, QueueEntry
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.queues.dispatch")

T = TypeVar("T")
# One dispatch pass connects at most this many calls; a pass is rerun by the next trigger.
MAX_ASSIGNMENTS = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_random = secrets.SystemRandom()


async def in_transaction(rt: Runtime, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in its own committed transaction, then its after-commit hooks."""
    async with rt.sessionmaker() as session:
        result = await work(session)
        await session.commit()
        hooks = pop_after_commit(session)
    for hook in hooks:
        await hook()
    return result


def wait_seconds(entry: QueueEntry, now: datetime) -> int:
    return max(0, int((now - entry.enqueued_at).total_seconds()))


# -- strategies ----------------------------------------------------------------------------


def _idle_key(agent: Agent) -> tuple[bool, datetime, datetime, str]:
    # Never had a call counts as idlest; then the call that ended longest ago.
    return (
        agent.last_call_ended_at is not None,
        agent.last_call_ended_at or _EPOCH,
        agent.created_at,
        agent.id,
    )


async def order_candidates(session: AsyncSession, queue: Queue, agents: list[Agent]) -> list[Agent]:
    """The available members in the order the queue's strategy would offer them the call."""
    if queue.strategy == "round_robin":
        by_id = {a.id: a for a in agents}
        members = list(queue.agent_ids)
        start = 0
        if queue.rr_last_agent_id in members:
            start = members.index(queue.rr_last_agent_id) + 1
        rotated = members[start:] + members[:start]
        return [by_id[m] for m in rotated if m in by_id]
    if queue.strategy == "least_calls":
        counts = await repo.handled_counts(session, queue)
        return sorted(agents, key=lambda a: (counts.get(a.id, 0), *_idle_key(a)))
    if queue.strategy == "random":
        shuffled = list(agents)
        _random.shuffle(shuffled)
        return shuffled
    return sorted(agents, key=_idle_key)  # longest_idle


# -- dispatching ---------------------------------------------------------------------------


async def dispatch_queue(rt: Runtime, org_id: str, queue_id: str) -> None:
    """Connect waiting calls of the queue to available members until one side runs out."""
    try:
        for _ in range(MAX_ASSIGNMENTS):
            progressed = await in_transaction(
                rt, lambda session: _assign_one(session, rt, org_id, queue_id)
            )
            if not progressed:
                return
    except Exception:
        log.exception("queue dispatch failed", extra={"org_id": org_id})


async def dispatch_for_agent(rt: Runtime, org_id: str, agent_id: str) -> None:
    """An agent became available: serve its queues, the one with the most urgent caller first."""

    async def queues_to_serve(session: AsyncSession) -> list[str]:
        heads: list[tuple[int, datetime, str]] = []
        for queue in await repo.org_queues(session, org_id):
            if agent_id not in queue.agent_ids:
                continue
            head = await repo.head_of(session, queue)
            if head is not None:
                heads.append((-head[0], head[1], queue.id))
        return [queue_id for _, _, queue_id in sorted(heads)]

    try:
        queue_ids = await in_transaction(rt, queues_to_serve)
    except Exception:
        log.exception("agent dispatch failed", extra={"org_id": org_id})
        return
    for queue_id in queue_ids:
        await dispatch_queue(rt, org_id, queue_id)


def dispatch_after_commit(session: AsyncSession, rt: Runtime, org_id: str, queue_id: str) -> None:
    async def run() -> None:
        await dispatch_queue(rt, org_id, queue_id)

    after_commit(session, run)


async def _assign_one(session: AsyncSession, rt: Runtime, org_id: str, queue_id: str) -> bool:
    """Make one routing decision; False when there is nothing (more) to do."""
    queue = await repo.get_queue(session, org_id, queue_id)
    if queue is None:
        return False
    await presence.sweep_wrap_ups(session, rt, org_id)
    now = rt.clock.now()
    # Timers lost to a restart: callers past max_wait overflow before anyone is connected.
    expired = await repo.expired_waiting(
        session, queue, now - timedelta(seconds=queue.max_wait_seconds)
    )
    if expired:
        await overflow(session, rt, org_id, expired[0])
        return True
    entry = await repo.next_waiting(session, queue)
    if entry is None:
        return False
    agents = await repo.available_members(session, queue)
    if not agents:
        return False
    call = await calls_repo.get_call(session, org_id, entry.call_id, lock=True)
    if call is None or call.status != "in_progress":
        # The call ended without us hearing of it: it did not wait to the end.
        await _close_entry(session, entry, "abandoned", now, "call_ended")
        return True
    agent = route = None
    for candidate in await order_candidates(session, queue, agents):
        try:
            route = await agent_route(session, rt, call, candidate)
        except Invalid as exc:
            # A live call cannot ring an agent without a contact: it is passed over (it may
            # still take simulated calls), and the caller waits for the next agent.
            log.info("queue %s passes over agent %s: %s", queue.id, candidate.id, exc.message)
            continue
        if await presence.claim(session, candidate, call.id, now):
            agent = candidate
            break
    if agent is None:
        return False
    taken = await session.execute(
        update(QueueEntry)
        .where(
            QueueEntry.id == entry.id,
            QueueEntry.status == "waiting",
            QueueEntry.agent_id.is_(None),
        )
        .values(agent_id=agent.id)
    )
    if presence.updated_rows(taken) != 1:  # someone else served this caller meanwhile
        await session.rollback()
        return True
    await session.refresh(entry)
    await session.refresh(agent)
    if queue.strategy == "round_robin":
        queue.rr_last_agent_id = agent.id
        queue.updated_at = now
    if agent.kind == "ai":
        await connect(session, rt, queue, entry, call, agent, leg=None)
        return True
    leg = await spawn_leg(
        session, rt, call, to=agent.id, role=AGENT_ROLE, agent_id=agent.id, route=route
    )
    entry.agent_leg_id = leg.id
    await record_event(
        session,
        call,
        "queue.agent_offered",
        now,
        data={"queue_id": queue.id, "agent_id": agent.id, "agent_call_id": leg.id},
    )
    return True


async def connect(
    session: AsyncSession,
    rt: Runtime,
    queue: Queue,
    entry: QueueEntry,
    call: Call,
    agent: Agent,
    *,
    leg: Call | None,
) -> None:
    """The agent takes the call: hold music stops, the agent's leg (if any) is bridged."""
    now = rt.clock.now()
    backend = rt.media.get(call.backend)
    try:
        await backend.stop_audio(call.id)
    except MediaError:
        log.warning("could not stop hold music", extra={"call_id": call.id})
    if leg is not None:
        await backend.bridge(call.id, leg.id)
    entry.status = "connected"
    entry.agent_id = agent.id
    entry.connected_at = now
    call.agent_id = agent.id
    call.updated_at = now
    await presence.count_handled(session, agent)
    await record_event(
        session,
        call,
        "queue.connected",
        now,
        data={
            "queue_id": queue.id,
            "agent_id": agent.id,
            "agent_call_id": leg.id if leg else None,
            "wait_seconds": wait_seconds(entry, now),
        },
    )


async def _close_entry(
    session: AsyncSession, entry: QueueEntry, status: str, now: datetime, reason: str
) -> None:
    entry.status = status
    entry.ended_at = now
    entry.end_reason = reason
    await session.flush()


# -- overflow ------------------------------------------------------------------------------


def arm_max_wait(session: AsyncSession, rt: Runtime, entry: QueueEntry, seconds: int) -> None:
    org_id, entry_id = entry.org_id, entry.id

    async def arm() -> None:
        rt.clock.spawn(_max_wait_timer(rt, org_id, entry_id, seconds))

    after_commit(session, arm)


async def _max_wait_timer(rt: Runtime, org_id: str, entry_id: str, seconds: int) -> None:
    await rt.clock.sleep(seconds)
    try:
        await in_transaction(rt, lambda session: overflow(session, rt, org_id, entry_id))
    except Exception:
        log.exception("queue overflow failed", extra={"org_id": org_id})


async def overflow(session: AsyncSession, rt: Runtime, org_id: str, entry_id: str) -> bool:
    """max_wait is up: the caller leaves the queue through its overflow action.

    A caller whose agent's phone is ringing right now is not overflowed; if that agent does
    not answer, the overflow happens then.
    """
    entry = await repo.get_entry(session, org_id, entry_id)
    if entry is None or entry.status != "waiting" or entry.agent_id is not None:
        return False
    call = await calls_repo.get_call(session, org_id, entry.call_id, lock=True)
    now = rt.clock.now()
    taken = await session.execute(
        update(QueueEntry)
        .where(
            QueueEntry.id == entry.id,
            QueueEntry.status == "waiting",
            QueueEntry.agent_id.is_(None),
        )
        .values(status="overflowed", ended_at=now)
    )
    if presence.updated_rows(taken) != 1:
        return False
    await session.refresh(entry)
    queue = await repo.get_queue(session, org_id, entry.queue_id)
    if call is None or call.status != "in_progress" or queue is None:
        entry.status = "abandoned"
        entry.end_reason = "call_ended"
        return True
    entry.end_reason = queue.overflow_action
    try:
        await rt.media.get(call.backend).stop_audio(call.id)
    except MediaError:
        log.warning("could not stop hold music", extra={"call_id": call.id})
    await record_event(
        session,
        call,
        "queue.overflowed",
        now,
        data={
            "queue_id": queue.id,
            "wait_seconds": wait_seconds(entry, now),
            "overflow_action": queue.overflow_action,
            "overflow_target": queue.overflow_target,
        },
    )
    await actions.run(session, rt, call, queue.overflow_action, queue.overflow_target)
    return True


def past_max_wait(queue: Queue, entry: QueueEntry, now: datetime) -> bool:
    return now >= entry.enqueued_at + timedelta(seconds=queue.max_wait_seconds)
