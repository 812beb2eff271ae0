from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from orbit_voice.api.deps import ReadAuth, RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.ring_groups import service
from orbit_voice.ring_groups.schemas import RingGroupCreate, RingGroupOut, RingGroupUpdate

router = APIRouter(prefix="/ring-groups", tags=["ring groups"])


@router.post("", status_code=201, summary="Create a ring group")
async def create_ring_group(
    request: Request, body: RingGroupCreate, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[RingGroupOut]:
    group = await service.create(session, rt, auth.org_id, body)
    return ok(request, service.to_out(group))


@router.get("", summary="List ring groups, newest first")
async def list_ring_groups(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> ListEnvelope[RingGroupOut]:
    rows, pagination = await service.list_(session, auth.org_id, params)
    return page(request, [service.to_out(r) for r in rows], pagination)


@router.get("/{ring_group_id}", summary="Get a ring group")
async def get_ring_group(
    request: Request, ring_group_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[RingGroupOut]:
    return ok(request, service.to_out(await service.get(session, auth.org_id, ring_group_id)))


@router.put("/{ring_group_id}", summary="Update a ring group (fields left out keep their value)")
async def update_ring_group(
    request: Request,
    ring_group_id: str,
    body: RingGroupUpdate,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[RingGroupOut]:
    group = await service.update(session, rt, auth.org_id, ring_group_id, body)
    return ok(request, service.to_out(group))


@router.delete("/{ring_group_id}", status_code=204, summary="Delete a ring group")
async def delete_ring_group(ring_group_id: str, auth: WriteAuth, session: SessionDep) -> Response:
    await service.delete(session, auth.org_id, ring_group_id)
    return Response(status_code=204)
