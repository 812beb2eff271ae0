"""Agent presence as calls come and go: claiming a free agent, wrap-up, back to available.

Claims are conditional updates (``... WHERE presence = 'available'``), so two calls routed
at the same moment, in one process or several, can never get the same agent: the database
lets one update match and the other finds nothing to update.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.agents.models import Agent
from orbit_voice.calls.lifecycle import NodeRestarted
from orbit_voice.calls.models import Call
from orbit_voice.calls.state import TERMINAL
from orbit_voice.db import after_commit, pop_after_commit
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.agents.presence")


def updated_rows(result: Result[Any]) -> int:
    """Rows an UPDATE matched (how conditional updates tell who won)."""
    return int(cast("CursorResult[Any]", result).rowcount)


async def claim(session: AsyncSession, agent: Agent, call_id: str, now: datetime) -> bool:
    """available -> busy on ``call_id``, only if the agent is still available."""
    result = await session.execute(
        update(Agent)
        .where(Agent.id == agent.id, Agent.org_id == agent.org_id, Agent.presence == "available")
        .values(presence="busy", current_call_id=call_id, wrap_up_until=None, updated_at=now)
    )
    return updated_rows(result) == 1


async def count_handled(session: AsyncSession, agent: Agent) -> None:
    await session.execute(
        update(Agent)
        .where(Agent.id == agent.id, Agent.org_id == agent.org_id)
        .values(calls_handled=Agent.calls_handled + 1)
    )
    await session.refresh(agent, ["calls_handled"])


async def call_is_active(session: AsyncSession, org_id: str, call_id: str | None) -> bool:
    if call_id is None:
        return False
    status = (
        await session.execute(select(Call.status).where(Call.id == call_id, Call.org_id == org_id))
    ).scalar_one_or_none()
    return status is not None and status not in TERMINAL


async def other_active_call(session: AsyncSession, agent: Agent, excluding: str) -> str | None:
    """Another live call an (AI) agent is handling, if any."""
    return (
        await session.execute(
            select(Call.id)
            .where(
                Call.org_id == agent.org_id,
                Call.agent_id == agent.id,
                Call.id != excluding,
                Call.parent_call_id.is_(None),
                Call.status.not_in(TERMINAL),
            )
            .limit(1)
        )
    ).scalar_one_or_none()


async def finish_call(
    session: AsyncSession, rt: Runtime, agent: Agent, *, handled: bool, wrap_up_seconds: int
) -> None:
    """The agent's call is over: wrap up (if it answered) and become available again.

    An agent whose presence was changed during the call (set offline, say) keeps it.
    """
    now = rt.clock.now()
    agent.current_call_id = None
    agent.updated_at = now
    if handled:
        agent.last_call_ended_at = now
    if agent.presence != "busy":
        return
    if handled and wrap_up_seconds > 0:
        until = now + timedelta(seconds=wrap_up_seconds)
        agent.presence = "wrap_up"
        agent.wrap_up_until = until
        schedule_wrap_up_end(session, rt, agent.org_id, agent.id, until, wrap_up_seconds)
    else:
        agent.presence = "available"
        agent.wrap_up_until = None
        became_available(session, rt, agent.org_id, agent.id)
    await session.flush()


def became_available(session: AsyncSession, rt: Runtime, org_id: str, agent_id: str) -> None:
    """Once committed, offer the agent a waiting call from one of its queues."""

    async def offer() -> None:
        from orbit_voice.queues.dispatch import dispatch_for_agent

        await dispatch_for_agent(rt, org_id, agent_id)

    after_commit(session, offer)


def schedule_wrap_up_end(
    session: AsyncSession, rt: Runtime, org_id: str, agent_id: str, until: datetime, seconds: int
) -> None:
    async def arm() -> None:
        rt.clock.spawn(wrap_up_timer(rt, org_id, agent_id, until, seconds))

    after_commit(session, arm)


async def wrap_up_timer(
    rt: Runtime, org_id: str, agent_id: str, until: datetime, seconds: float
) -> None:
    await rt.clock.sleep(seconds)
    try:
        async with rt.sessionmaker() as session:
            ended = await end_wrap_up(session, rt, org_id, agent_id, until=until)
            await session.commit()
            hooks = pop_after_commit(session)
        if ended:
            for hook in hooks:
                await hook()
    except Exception:
        log.exception("ending wrap-up failed", extra={"org_id": org_id})


async def end_wrap_up(
    session: AsyncSession,
    rt: Runtime,
    org_id: str,
    agent_id: str,
    *,
    until: datetime | None = None,
) -> bool:
    """wrap_up -> available, unless the agent's presence changed meanwhile."""
    now = rt.clock.now()
    stmt = update(Agent).where(
        Agent.id == agent_id,
        Agent.org_id == org_id,
        Agent.presence == "wrap_up",
        Agent.wrap_up_until.is_not(None),
    )
    stmt = (
        stmt.where(Agent.wrap_up_until == until)
        if until
        else stmt.where(Agent.wrap_up_until <= now)
    )
    result = await session.execute(
        stmt.values(presence="available", wrap_up_until=None, updated_at=now)
    )
    if updated_rows(result) != 1:
        return False
    became_available(session, rt, org_id, agent_id)
    return True


async def sweep_wrap_ups(session: AsyncSession, rt: Runtime, org_id: str) -> None:
    """Wrap-ups whose timer was lost (a restart) end here, at the next routing decision."""
    now = rt.clock.now()
    expired = (
        await session.execute(
            select(Agent.id).where(
                Agent.org_id == org_id,
                Agent.presence == "wrap_up",
                Agent.wrap_up_until.is_not(None),
                Agent.wrap_up_until <= now,
            )
        )
    ).scalars()
    for agent_id in list(expired):
        await end_wrap_up(session, rt, org_id, agent_id)


async def resume_wrap_ups(session: AsyncSession, rt: Runtime, event: NodeRestarted) -> None:
    """Agents in wrap-up become available when it ends: that timer was in the memory of the
    run that stopped."""
    rows = (
        await session.execute(
            select(Agent.org_id, Agent.id, Agent.wrap_up_until).where(
                Agent.presence == "wrap_up", Agent.wrap_up_until.is_not(None)
            )
        )
    ).all()
    now = rt.clock.now()
    for org_id, agent_id, until in rows:
        assert until is not None  # selected so
        seconds = max(0.0, (until - now).total_seconds())
        rt.clock.spawn(wrap_up_timer(rt, org_id, agent_id, until, seconds))
