"""Agents: the people and AI agents calls are connected to, and their presence."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.agents import presence
from orbit_voice.agents.models import Agent
from orbit_voice.agents.schemas import AgentCreate, AgentUpdate, Presence
from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.calls.models import Call
from orbit_voice.calls.state import record_event
from orbit_voice.clones.service import require_voice
from orbit_voice.errors import Conflict, Invalid, not_found
from orbit_voice.kit.clock import Clock
from orbit_voice.kit.ids import new_id
from orbit_voice.kit.phone import normalize_e164
from orbit_voice.kit.sipuri import normalize_sip_uri
from orbit_voice.runtime import Runtime

_CONTACTS: dict[str, Callable[[str], str]] = {
    "sip_uri": normalize_sip_uri,
    "phone_number": normalize_e164,
}


def _contact(kind: str, field: str, value: str | None) -> str | None:
    """A human agent's ``sip_uri`` or ``phone_number``, normalized; 422 naming it if bad."""
    if value is None:
        return None
    _human_only(kind, field)
    try:
        return _CONTACTS[field](value)
    except ValueError as exc:
        raise Invalid(f"{field} {exc}.", code=f"invalid_{field}", param=field) from exc


async def _voice(session: AsyncSession, org_id: str, kind: str, value: str | None) -> str | None:
    if value is None:
        return None
    if kind != "ai":
        raise Invalid(
            "tts_voice_id is the voice an AI agent speaks with; a human agent has their own.",
            code="field_not_allowed",
            param="tts_voice_id",
        )
    return await require_voice(session, org_id, value)


def _human_only(kind: str, field: str) -> None:
    if kind != "human":
        raise Invalid(
            f"{field} is where a call rings a human agent's phone; an AI agent has none.",
            code="field_not_allowed",
            param=field,
        )


async def create(session: AsyncSession, org_id: str, body: AgentCreate, clock: Clock) -> Agent:
    now = clock.now()
    presence_ = body.presence or ("available" if body.kind == "ai" else "offline")
    agent = Agent(
        id=new_id("agt"),
        org_id=org_id,
        name=body.name,
        kind=body.kind,
        presence=presence_,
        wrap_up_seconds=body.wrap_up_seconds,
        sip_uri=_contact(body.kind, "sip_uri", body.sip_uri),
        phone_number=_contact(body.kind, "phone_number", body.phone_number),
        tts_voice_id=await _voice(session, org_id, body.kind, body.tts_voice_id),
        calls_handled=0,
        created_at=now,
        updated_at=now,
    )
    session.add(agent)
    await session.flush()
    return agent


async def get(
    session: AsyncSession,
    org_id: str,
    agent_id: str,
    param: str | None = None,
    *,
    lock: bool = False,
) -> Agent:
    stmt = select(Agent).where(Agent.id == agent_id, Agent.org_id == org_id)
    if lock:
        stmt = stmt.with_for_update()
    agent = (await session.execute(stmt)).scalar_one_or_none()
    if agent is None:
        raise not_found("agent", agent_id, param)
    return agent


async def list_(
    session: AsyncSession, org_id: str, params: PageParams
) -> tuple[list[Agent], Pagination]:
    stmt = select(Agent).where(Agent.org_id == org_id)
    return await paginate(session, stmt, Agent.created_at, Agent.id, params)


async def update(
    session: AsyncSession, rt: Runtime, org_id: str, agent_id: str, body: AgentUpdate
) -> Agent:
    agent = await get(session, org_id, agent_id, lock=True)
    given = body.model_fields_set
    if "name" in given and body.name is not None:
        agent.name = body.name
    if "wrap_up_seconds" in given and body.wrap_up_seconds is not None:
        agent.wrap_up_seconds = body.wrap_up_seconds
    if "sip_uri" in given:
        agent.sip_uri = _contact(agent.kind, "sip_uri", body.sip_uri)
    if "phone_number" in given:
        agent.phone_number = _contact(agent.kind, "phone_number", body.phone_number)
    if "tts_voice_id" in given:
        agent.tts_voice_id = await _voice(session, org_id, agent.kind, body.tts_voice_id)
    agent.updated_at = rt.clock.now()
    if "presence" in given and body.presence is not None:
        await set_status(session, rt, agent, body.presence)
    await session.flush()
    return agent


async def set_status(session: AsyncSession, rt: Runtime, agent: Agent, status: Presence) -> Agent:
    """Presence set by the agent (or a supervisor).

    While the agent is on a call only ``busy`` and ``offline`` are accepted: offline takes
    effect when the call ends (no wrap-up, no more calls); ``available`` would let a second
    call in.
    """
    now = rt.clock.now()
    on_call = await presence.call_is_active(session, agent.org_id, agent.current_call_id)
    if on_call and status in ("available", "wrap_up"):
        raise Conflict(
            f"The agent is on call {agent.current_call_id}; it becomes available after it.",
            code="agent_on_call",
            details={"call_id": agent.current_call_id},
        )
    if not on_call:
        agent.current_call_id = None
    was = agent.presence
    agent.presence = status
    agent.wrap_up_until = None
    agent.updated_at = now
    await session.flush()
    if status == "available" and was != "available":
        presence.became_available(session, rt, agent.org_id, agent.id)
    return agent


async def delete(session: AsyncSession, org_id: str, agent_id: str) -> None:
    from orbit_voice.queues import repository as queues
    from orbit_voice.queues.refs import users_of

    agent = await get(session, org_id, agent_id, lock=True)
    if await presence.call_is_active(session, org_id, agent.current_call_id):
        raise Conflict(
            "The agent is on a call.",
            code="agent_on_call",
            details={"call_id": agent.current_call_id},
        )
    users = await users_of(session, org_id, agent.id)
    if users:
        raise Conflict(
            "Numbers or IVR menus route to this agent; point them elsewhere first.",
            code="agent_in_use",
            details={"used_by": users},
        )
    for queue in await queues.org_queues(session, org_id):
        if agent.id in queue.agent_ids:
            queue.agent_ids = [a for a in queue.agent_ids if a != agent.id]
            if queue.rr_last_agent_id == agent.id:
                queue.rr_last_agent_id = None
    await session.delete(agent)
    await session.flush()


async def connect_to_agent(session: AsyncSession, rt: Runtime, call: Call, agent_id: str) -> None:
    """Route ``call`` straight to an agent (a number's handler, an IVR option).

    An AI agent takes the call at once (AI agents take calls side by side, unless offline);
    a human agent must be available: its phone is dialled as a child leg and bridged when
    answered (on a live call the agent's sip_uri or phone_number: 422 agent_unreachable
    without one). Either way the agent is busy until the call ends, then wraps up.
    """
    from orbit_voice.queues.legs import AGENT_ROLE, agent_route, spawn_leg

    agent = await get(session, call.org_id, agent_id, "target")
    if call.status != "in_progress":
        raise Conflict(
            f"The call is {call.status}; only a connected call can be given to an agent.",
            code="call_not_active",
        )
    now = rt.clock.now()
    if agent.kind == "ai":
        if agent.presence == "offline":
            raise _unavailable(agent)
        agent.presence = "busy"
        agent.current_call_id = call.id
        agent.wrap_up_until = None
        agent.updated_at = now
        call.agent_id = agent.id
        call.updated_at = now
        await session.flush()
        await presence.count_handled(session, agent)
        await record_event(
            session,
            call,
            "agent.connected",
            now,
            data={"agent_id": agent.id, "agent_call_id": None},
        )
        return
    route = await agent_route(session, rt, call, agent)  # a live call: 422 agent_unreachable
    if not await presence.claim(session, agent, call.id, now):
        await session.refresh(agent)
        raise _unavailable(agent)
    leg = await spawn_leg(
        session, rt, call, to=agent.id, role=AGENT_ROLE, agent_id=agent.id, route=route
    )
    await record_event(
        session, call, "agent.dialing", now, data={"agent_id": agent.id, "agent_call_id": leg.id}
    )


def _unavailable(agent: Agent) -> Conflict:
    return Conflict(
        f"Agent {agent.id} is {agent.presence}.",
        code="agent_unavailable",
        details={"agent_id": agent.id, "presence": agent.presence},
    )
