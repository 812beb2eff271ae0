"""What queues, agents and ring groups do when calls change: called by the calls domain.

``on_call_ended`` runs inside ``calls.service.end`` for every call that ends;
``on_leg_answered`` runs (from ``calls.events``) when a leg this package dialled answers:
an agent's phone or a ring-group member.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.agents import presence
from orbit_voice.agents.models import Agent
from orbit_voice.calls import repository as calls_repo
from orbit_voice.calls.lifecycle import LegAnswered, LegEnded
from orbit_voice.calls.models import Call
from orbit_voice.calls.service import TRANSFERRED
from orbit_voice.calls.state import TERMINAL, record_event
from orbit_voice.queues import dispatch
from orbit_voice.queues import repository as repo
from orbit_voice.queues.legs import AGENT_ROLE, RING_GROUP_ROLE, ROLES, drop_leg
from orbit_voice.queues.models import Queue, QueueEntry
from orbit_voice.runtime import Runtime


async def on_leg_answered(session: AsyncSession, rt: Runtime, event: LegAnswered) -> None:
    leg = event.call
    if leg.leg_role not in ROLES or leg.parent_call_id is None:
        return
    parent = await calls_repo.get_call(session, leg.org_id, leg.parent_call_id, lock=True)
    if parent is None or parent.status != "in_progress":
        # The caller left while this phone rang: nobody to talk to.
        await drop_leg(session, rt, leg, end_reason="parent_ended")
        return
    if leg.leg_role == AGENT_ROLE:
        await _agent_answered(session, rt, parent, leg)
    elif leg.leg_role == RING_GROUP_ROLE:
        from orbit_voice.ring_groups import runner

        await runner.member_answered(session, rt, parent, leg)


async def on_call_ended(session: AsyncSession, rt: Runtime, event: LegEnded) -> None:
    call = event.call
    if call.leg_role in ROLES and call.parent_call_id:
        parent = await calls_repo.get_call(session, call.org_id, call.parent_call_id, lock=True)
        if parent is None or parent.status in TERMINAL:
            return  # the customer's call ended first; its own hook tidied up
        if call.end_reason == TRANSFERRED:
            await _transferred_away(session, rt, parent, call)
            return
        if call.leg_role == AGENT_ROLE:
            await _agent_leg_ended(session, rt, parent, call)
        else:
            from orbit_voice.ring_groups import runner

            await runner.member_ended(session, rt, parent, call)
        return
    await _customer_call_ended(session, rt, call)


# -- agent legs ----------------------------------------------------------------------------


async def _agent_of(session: AsyncSession, leg: Call) -> Agent | None:
    if leg.agent_id is None:
        return None
    return (
        await session.execute(
            select(Agent).where(Agent.id == leg.agent_id, Agent.org_id == leg.org_id)
        )
    ).scalar_one_or_none()


async def _agent_answered(session: AsyncSession, rt: Runtime, parent: Call, leg: Call) -> None:
    agent = await _agent_of(session, leg)
    if agent is None:
        return
    entry = await repo.offered_entry(session, parent.org_id, parent.id, leg.id)
    if entry is not None:
        queue = await repo.get_queue(session, parent.org_id, entry.queue_id)
        if queue is not None:
            await dispatch.connect(session, rt, queue, entry, parent, agent, leg=leg)
            return
    # Routed straight to the agent (a number's handler, an IVR option).
    now = rt.clock.now()
    await rt.media.get(parent.backend).bridge(parent.id, leg.id)
    parent.agent_id = agent.id
    parent.updated_at = now
    await presence.count_handled(session, agent)
    await record_event(
        session,
        parent,
        "agent.connected",
        now,
        data={"agent_id": agent.id, "agent_call_id": leg.id},
    )


async def _transferred_away(session: AsyncSession, rt: Runtime, parent: Call, leg: Call) -> None:
    """A transfer gave the caller someone else: the agent whose leg this was is done with the
    call now (wrap-up starts), and the caller's call goes on."""
    agent = await _agent_of(session, leg)
    if agent is None or agent.current_call_id != parent.id:
        return
    entry = await repo.active_entry_for_call(session, parent.org_id, parent.id)
    queue = await repo.get_queue(session, parent.org_id, entry.queue_id) if entry else None
    await _release(session, rt, parent, agent, entry, queue)


async def _agent_leg_ended(session: AsyncSession, rt: Runtime, parent: Call, leg: Call) -> None:
    from orbit_voice.routing.executor import hangup

    now = rt.clock.now()
    agent = await _agent_of(session, leg)
    if leg.answered_at is not None:
        # The agent hung up: the caller is alone, so the call ends (and the agent wraps up).
        await hangup(session, rt, parent, end_reason="agent_hangup")
        return
    # The agent's phone was not answered (no answer, busy, failed): the agent is not
    # responding, so it goes offline rather than being offered the next call at once.
    if agent is not None and agent.current_call_id == parent.id:
        agent.current_call_id = None
        if agent.presence == "busy":
            agent.presence = "offline"
        agent.updated_at = now
    entry = await repo.offered_entry(session, parent.org_id, parent.id, leg.id)
    reason = leg.status
    if entry is None:
        await record_event(
            session,
            parent,
            "agent.no_answer",
            now,
            data={"agent_id": leg.agent_id, "agent_call_id": leg.id, "reason": reason},
        )
        await hangup(session, rt, parent, end_reason="agent_no_answer")
        return
    entry.agent_id = None
    entry.agent_leg_id = None
    await session.flush()
    await record_event(
        session,
        parent,
        "queue.agent_no_answer",
        now,
        data={
            "queue_id": entry.queue_id,
            "agent_id": leg.agent_id,
            "agent_call_id": leg.id,
            "reason": reason,
        },
    )
    queue = await repo.get_queue(session, parent.org_id, entry.queue_id)
    if queue is not None and dispatch.past_max_wait(queue, entry, now):
        await dispatch.overflow(session, rt, parent.org_id, entry.id)
    else:
        dispatch.dispatch_after_commit(session, rt, parent.org_id, entry.queue_id)


# -- the customer's call -------------------------------------------------------------------


async def _customer_call_ended(session: AsyncSession, rt: Runtime, call: Call) -> None:
    now = rt.clock.now()
    entry = await repo.active_entry_for_call(session, call.org_id, call.id)
    queue = None
    if entry is not None:
        queue = await repo.get_queue(session, call.org_id, entry.queue_id)
        if entry.status == "waiting":
            await _abandon(session, rt, call, entry)
        else:
            entry.status = "completed"
            entry.ended_at = now
            entry.end_reason = call.end_reason
    agents = (
        await session.execute(
            select(Agent).where(Agent.org_id == call.org_id, Agent.current_call_id == call.id)
        )
    ).scalars()
    for agent in list(agents):
        await _release(session, rt, call, agent, entry, queue)
    from orbit_voice.ring_groups import runner

    await runner.call_ended(session, rt, call)


async def _abandon(session: AsyncSession, rt: Runtime, call: Call, entry: QueueEntry) -> None:
    now = rt.clock.now()
    entry.status = "abandoned"
    entry.ended_at = now
    entry.end_reason = call.end_reason
    await session.flush()
    await record_event(
        session,
        call,
        "queue.abandoned",
        now,
        data={"queue_id": entry.queue_id, "wait_seconds": dispatch.wait_seconds(entry, now)},
    )


async def _release(
    session: AsyncSession,
    rt: Runtime,
    call: Call,
    agent: Agent,
    entry: QueueEntry | None,
    queue: Queue | None,
) -> None:
    if agent.kind == "ai":
        # AI agents take calls side by side: busy until their last call ends.
        other = await presence.other_active_call(session, agent, call.id)
        if other is not None:
            agent.current_call_id = other
            return
    from_queue = entry is not None and entry.agent_id == agent.id
    handled = call.agent_id == agent.id or (
        from_queue and entry is not None and entry.connected_at is not None
    )
    seconds = queue.wrap_up_seconds if from_queue and queue is not None else agent.wrap_up_seconds
    await presence.finish_call(session, rt, agent, handled=handled, wrap_up_seconds=seconds)
