from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from orbit_voice.agents import service
from orbit_voice.agents.schemas import AgentCreate, AgentOut, AgentStatusIn, AgentUpdate
from orbit_voice.api.deps import ClockDep, ReadAuth, RuntimeDep, SessionDep, WriteAuth
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


@router.put("/{agent_id}", summary="Update an agent (fields left out keep their value)")
async def update_agent(
    request: Request,
    agent_id: str,
    body: AgentUpdate,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[AgentOut]:
    agent = await service.update(session, rt, auth.org_id, agent_id, body)
    return ok(request, AgentOut.model_validate(agent))


@router.delete("/{agent_id}", status_code=204, summary="Delete an agent (leaves its queues)")
async def delete_agent(agent_id: str, auth: WriteAuth, session: SessionDep) -> Response:
    await service.delete(session, auth.org_id, agent_id)
    return Response(status_code=204)


@router.post("/{agent_id}/status", summary="Set an agent's presence")
async def set_agent_status(
    request: Request,
    agent_id: str,
    body: AgentStatusIn,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[AgentOut]:
    agent = await service.get(session, auth.org_id, agent_id, lock=True)
    await service.set_status(session, rt, agent, body.status)
    return ok(request, AgentOut.model_validate(agent))
