from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from orbit_voice.agents import service
from orbit_voice.agents.schemas import AgentCreate, AgentOut
from orbit_voice.api.deps import ClockDep, ReadAuth, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params

router = APIRouter(prefix="/agents", tags=["agents"])


@router.post("", status_code=201, summary="Create an agent")
async def create_agent(
    request: Request, body: AgentCreate, auth: WriteAuth, session: SessionDep, clock: ClockDep
) -> Envelope[AgentOut]:
    agent = await service.create(session, auth.org_id, body, clock)
    return ok(request, AgentOut.model_validate(agent))


@router.get("", summary="List agents")
async def list_agents(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> ListEnvelope[AgentOut]:
    rows, pagination = await service.list_(session, auth.org_id, params)
    return page(request, [AgentOut.model_validate(r) for r in rows], pagination)


@router.get("/{agent_id}", summary="Get an agent")
async def get_agent(
    request: Request, agent_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[AgentOut]:
    return ok(request, AgentOut.model_validate(await service.get(session, auth.org_id, agent_id)))
