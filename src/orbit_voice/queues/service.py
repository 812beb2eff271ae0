"""Queues: configuration, enqueueing calls, and the live numbers a wallboard shows."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.agents import presence
from orbit_voice.agents.models import Agent
from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.calls import repository as calls_repo
from orbit_voice.calls.models import Call
from orbit_voice.calls.state import record_event
from orbit_voice.errors import Conflict, Invalid, not_found
from orbit_voice.kit.ids import new_id
from orbit_voice.media.backend import MediaError
from orbit_voice.queues import actions, dispatch, hold_music
from orbit_voice.queues import repository as repo
from orbit_voice.queues.models import Queue, QueueEntry
from orbit_voice.queues.refs import users_of
from orbit_voice.queues.schemas import (
    AgentStats,
    EnqueueIn,
    QueueCreate,
    QueueEntryOut,
    QueueStats,
    QueueUpdate,
)
from orbit_voice.runtime import Runtime
from orbit_voice.webhooks.ssrf import check_url

log = logging.getLogger("orbit_voice.queues.service")

# Spoken to a caller as they join a queue, before the hold music.
HOLD_ANNOUNCEMENT = "Thank you for waiting. The next available agent will be with you shortly."
LANGUAGE = "en-US"


# -- configuration -------------------------------------------------------------------------


async def _check_members(session: AsyncSession, org_id: str, agent_ids: list[str]) -> list[str]:
    found = {a.id for a in await repo.agents_in_org(session, org_id, agent_ids)}
    seen: set[str] = set()
    for i, agent_id in enumerate(agent_ids):
        if agent_id not in found:
            raise Invalid(
                f"No agent with id '{agent_id}'.",
                code="agent_not_found",
                param=f"agent_ids[{i}]",
            )
        if agent_id in seen:
            raise Invalid(
                f"Agent '{agent_id}' is listed twice.",
                code="duplicate_agent",
                param=f"agent_ids[{i}]",
            )
        seen.add(agent_id)
    return list(agent_ids)


async def _check_hold_music(rt: Runtime, url: str | None) -> str | None:
    if url is None:
        return None
    return await check_url(
        url, allow_private=rt.settings.webhooks_allow_private, param="hold_music_url"
    )


async def create(session: AsyncSession, rt: Runtime, org_id: str, body: QueueCreate) -> Queue:
    agent_ids = await _check_members(session, org_id, body.agent_ids)
    target = await actions.check_target(
        session, org_id, body.overflow_action, body.overflow_target, "overflow_target"
    )
    hold = await _check_hold_music(rt, body.hold_music_url)
    now = rt.clock.now()
    queue = Queue(
        id=new_id("queue"),
        org_id=org_id,
        name=body.name,
        strategy=body.strategy,
        max_wait_seconds=body.max_wait_seconds,
        overflow_action=body.overflow_action,
        overflow_target=target,
        hold_music_url=hold,
        agent_ids=agent_ids,
        wrap_up_seconds=body.wrap_up_seconds,
        created_at=now,
        updated_at=now,
    )
    session.add(queue)
    await session.flush()
    return queue


async def get(session: AsyncSession, org_id: str, queue_id: str, *, lock: bool = False) -> Queue:
    queue = await repo.get_queue(session, org_id, queue_id, lock=lock)
    if queue is None:
        raise not_found("queue", queue_id)
    return queue


async def list_(
    session: AsyncSession, org_id: str, params: PageParams
) -> tuple[list[Queue], Pagination]:
    return await paginate(session, repo.list_queues(org_id), Queue.created_at, Queue.id, params)


async def update(
    session: AsyncSession, rt: Runtime, org_id: str, queue_id: str, body: QueueUpdate
) -> Queue:
    queue = await get(session, org_id, queue_id, lock=True)
    given = body.model_fields_set
    for field in ("name", "strategy", "max_wait_seconds", "overflow_action", "wrap_up_seconds"):
        if field in given and getattr(body, field) is None:
            raise Invalid(f"{field} cannot be null.", param=field)
    if "agent_ids" in given:
        queue.agent_ids = await _check_members(session, org_id, body.agent_ids or [])
        if queue.rr_last_agent_id not in queue.agent_ids:
            queue.rr_last_agent_id = None
    if "overflow_action" in given or "overflow_target" in given:
        action = body.overflow_action or queue.overflow_action
        target = body.overflow_target if "overflow_target" in given else queue.overflow_target
        if "overflow_action" in given and "overflow_target" not in given and action == "hangup":
            target = None
        queue.overflow_target = await actions.check_target(
            session, org_id, action, target, "overflow_target"
        )
        queue.overflow_action = action
    if "hold_music_url" in given:
        queue.hold_music_url = await _check_hold_music(rt, body.hold_music_url)
    for field in ("name", "strategy", "max_wait_seconds", "wrap_up_seconds"):
        if field in given:
            setattr(queue, field, getattr(body, field))
    queue.updated_at = rt.clock.now()
    await session.flush()
    # New members (or a shorter max_wait) may change who gets the waiting callers now.
    dispatch.dispatch_after_commit(session, rt, org_id, queue.id)
    return queue


async def delete(session: AsyncSession, org_id: str, queue_id: str) -> None:
    queue = await get(session, org_id, queue_id, lock=True)
    if await repo.count_active(session, queue):
        raise Conflict("Calls are waiting in or connected from this queue.", code="queue_not_empty")
    users = await users_of(session, org_id, queue.id)
    if users:
        raise Conflict(
            "Numbers or IVR menus route to this queue; point them elsewhere first.",
            code="queue_in_use",
            details={"used_by": users},
        )
    await session.delete(queue)
    await session.flush()


# -- enqueueing ----------------------------------------------------------------------------


async def enqueue(
    session: AsyncSession, rt: Runtime, call: Call, queue_id: str, priority: int = 0
) -> QueueEntry:
    """Put an in-progress call in the queue: it hears hold music until an agent takes it."""
    queue = await get(session, call.org_id, queue_id)
    if call.status != "in_progress":
        raise Conflict(
            f"The call is {call.status}; only a connected call can wait in a queue.",
            code="call_not_active",
            details={"status": call.status},
        )
    existing = await repo.active_entry_for_call(session, call.org_id, call.id)
    if existing is not None:
        raise Conflict(
            f"The call is already {existing.status} in queue {existing.queue_id}.",
            code="already_queued",
            details={"queue_id": existing.queue_id, "entry_id": existing.id},
        )
    await _hand_over_from_ai(session, rt, call)
    now = rt.clock.now()
    entry = QueueEntry(
        id=new_id("qe"),
        org_id=call.org_id,
        queue_id=queue.id,
        call_id=call.id,
        priority=priority,
        status="waiting",
        enqueued_at=now,
    )
    session.add(entry)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent enqueue of the same call won
        raise Conflict("The call is already in a queue.", code="already_queued") from exc
    await record_event(
        session,
        call,
        "queue.joined",
        now,
        data={
            "queue_id": queue.id,
            "entry_id": entry.id,
            "priority": priority,
            "position": await repo.position(session, entry),
        },
    )
    await _announce_hold(rt, call)
    await _start_hold_music(session, rt, queue, call)
    dispatch.dispatch_after_commit(session, rt, call.org_id, queue.id)
    dispatch.arm_max_wait(session, rt, entry, queue.max_wait_seconds)
    return entry


async def _hand_over_from_ai(session: AsyncSession, rt: Runtime, call: Call) -> None:
    """An AI agent passing its caller to a queue is done with the call (it wraps up)."""
    if call.agent_id is None:
        return
    agent = (
        await session.execute(
            select(Agent).where(Agent.id == call.agent_id, Agent.org_id == call.org_id)
        )
    ).scalar_one_or_none()
    if agent is None:
        return
    if agent.kind != "ai":
        raise Conflict(
            "A human agent is connected to this call; transfer it instead.",
            code="call_has_agent",
            details={"agent_id": agent.id},
        )
    call.agent_id = None
    if agent.current_call_id == call.id:
        other = await presence.other_active_call(session, agent, call.id)
        if other is not None:
            agent.current_call_id = other
        else:
            await presence.finish_call(
                session, rt, agent, handled=True, wrap_up_seconds=agent.wrap_up_seconds
            )


async def _announce_hold(rt: Runtime, call: Call) -> None:
    """Tell the caller they are waiting (the hold music resumes when it has been said)."""
    try:
        await rt.media.get(call.backend).play(call.id, HOLD_ANNOUNCEMENT, LANGUAGE)
    except MediaError as exc:
        log.warning("could not announce the hold: %s", exc.message, extra={"call_id": call.id})


async def _start_hold_music(session: AsyncSession, rt: Runtime, queue: Queue, call: Call) -> None:
    if not queue.hold_music_url:
        return
    try:
        path = await hold_music.prepare(rt, queue.hold_music_url)
    except hold_music.HoldMusicError as exc:
        await record_event(
            session,
            call,
            "queue.hold_music_failed",
            rt.clock.now(),
            data={
                "queue_id": queue.id,
                "url": queue.hold_music_url,
                "reason": exc.reason,
                "message": exc.message,
            },
        )
        return
    try:
        await rt.media.get(call.backend).play_audio(call.id, path, True)
    except MediaError as exc:
        log.warning("could not play hold music: %s", exc.message, extra={"call_id": call.id})


async def enqueue_by_id(
    session: AsyncSession, rt: Runtime, org_id: str, queue_id: str, body: EnqueueIn
) -> QueueEntry:
    await get(session, org_id, queue_id)
    call = await calls_repo.get_call(session, org_id, body.call_id, lock=True)
    if call is None:
        raise Invalid(f"No call with id '{body.call_id}'.", code="call_not_found", param="call_id")
    return await enqueue(session, rt, call, queue_id, priority=body.priority)


async def entry_out(session: AsyncSession, entry: QueueEntry) -> QueueEntryOut:
    return QueueEntryOut(
        id=entry.id,
        queue_id=entry.queue_id,
        call_id=entry.call_id,
        priority=entry.priority,
        status=entry.status,
        position=await repo.position(session, entry),
        agent_id=entry.agent_id,
        enqueued_at=entry.enqueued_at,
        connected_at=entry.connected_at,
        ended_at=entry.ended_at,
        end_reason=entry.end_reason,
    )


# -- stats ---------------------------------------------------------------------------------


async def stats(session: AsyncSession, rt: Runtime, org_id: str, queue_id: str) -> QueueStats:
    queue = await get(session, org_id, queue_id)
    now = rt.clock.now()
    since = now - timedelta(hours=24)
    waits = await repo.waits_since(session, queue, since)
    average = (
        sum((end - start).total_seconds() for start, end in waits) / len(waits) if waits else 0.0
    )
    counts = await repo.handled_counts(session, queue)
    members = {a.id: a for a in await repo.agents_in_org(session, org_id, queue.agent_ids)}
    return QueueStats(
        waiting=await repo.count_status(session, queue, "waiting"),
        connected=await repo.count_status(session, queue, "connected"),
        abandoned_24h=await repo.abandoned_since(session, queue, since),
        avg_wait_seconds_24h=round(average, 1),
        agents=[
            AgentStats(
                agent_id=agent_id,
                name=members[agent_id].name,
                presence=members[agent_id].presence,
                calls_handled=counts.get(agent_id, 0),
            )
            for agent_id in queue.agent_ids
            if agent_id in members
        ],
    )
