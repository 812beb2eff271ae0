"""Dialling the legs routing adds to a call (an agent's phone, a ring-group member).

Like the transfer legs of ``calls.service``: a child call of the customer's call, shown in
the calls list with ``parent_call_id`` and ``leg_role``, dialled once its row is committed.
"""

from __future__ import annotations

import contextlib

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.agents.models import Agent
from orbit_voice.calls.models import Call
from orbit_voice.calls.service import dial_leg
from orbit_voice.media.backend import DirectRoute, MediaError, TrunkRoute
from orbit_voice.runtime import Runtime

AGENT_ROLE = "agent"
RING_GROUP_ROLE = "ring_group"
ROLES = frozenset({AGENT_ROLE, RING_GROUP_ROLE})


async def spawn_leg(
    session: AsyncSession,
    rt: Runtime,
    parent: Call,
    *,
    to: str,
    role: str,
    ring_timeout: float | None = None,
    agent_id: str | None = None,
    route: TrunkRoute | DirectRoute | None = None,
) -> Call:
    """``ring_timeout`` None: the backend's default. A live leg without ``route`` finds its
    own (see ``dial_leg``); a 422 from that names ``target``."""
    # The member's phone shows who is calling, as a forwarded call would.
    return await dial_leg(
        session,
        rt,
        org_id=parent.org_id,
        backend=parent.backend,
        to=to,
        from_=parent.from_,
        leg_role=role,
        webhook_url=parent.webhook_url,
        max_duration=parent.max_duration,
        parent_call_id=parent.id,
        agent_id=agent_id,
        ring_timeout=ring_timeout,
        route=route,
        param="target",
    )


async def agent_route(
    session: AsyncSession, rt: Runtime, call: Call, agent: Agent
) -> TrunkRoute | DirectRoute | None:
    """Where the agent's phone is for ``call``: its contact on a live call (422
    ``agent_unreachable`` naming ``target`` when it has none), None on the simulator (a
    virtual phone) and for AI agents (nothing is dialled)."""
    if call.backend != "sip" or agent.kind != "human":
        return None
    from orbit_voice.media.sip.routes import agent_route as live_agent_route

    return await live_agent_route(session, rt.settings, agent, call.from_, param="target")


async def drop_leg(session: AsyncSession, rt: Runtime, leg: Call, *, end_reason: str) -> None:
    """Hang up a leg we no longer need (a ring-group loser, an agent leg of an ended call)."""
    from orbit_voice.calls import service as calls
    from orbit_voice.calls.state import TERMINAL

    if leg.status in TERMINAL:
        return
    with contextlib.suppress(MediaError):
        await rt.media.get(leg.backend).hangup(leg.id)
    final = "completed" if leg.status == "in_progress" else "cancelled"
    await calls.end(session, rt, leg, final, end_reason=end_reason)
