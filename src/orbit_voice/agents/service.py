from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.agents.models import Agent
from orbit_voice.agents.schemas import AgentCreate
from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.errors import not_found
from orbit_voice.kit.clock import Clock
from orbit_voice.kit.ids import new_id


async def create(session: AsyncSession, org_id: str, body: AgentCreate, clock: Clock) -> Agent:
    now = clock.now()
    presence = body.presence or ("available" if body.kind == "ai" else "offline")
    agent = Agent(
        id=new_id("agt"),
        org_id=org_id,
        name=body.name,
        kind=body.kind,
        presence=presence,
        created_at=now,
        updated_at=now,
    )
    session.add(agent)
    await session.flush()
    return agent


async def get(session: AsyncSession, org_id: str, agent_id: str, param: str | None = None) -> Agent:
    agent = (
        await session.execute(select(Agent).where(Agent.id == agent_id, Agent.org_id == org_id))
    ).scalar_one_or_none()
    if agent is None:
        raise not_found("agent", agent_id, param)
    return agent


async def list_(
    session: AsyncSession, org_id: str, params: PageParams
) -> tuple[list[Agent], Pagination]:
    stmt = select(Agent).where(Agent.org_id == org_id)
    return await paginate(session, stmt, Agent.created_at, Agent.id, params)
