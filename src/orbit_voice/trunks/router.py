from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from orbit_voice.api.deps import ClockDep, ReadAuth, RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.trunks import service
from orbit_voice.trunks.schemas import TrunkCreate, TrunkOut, TrunkUpdate

router = APIRouter(prefix="/sip-trunks", tags=["sip-trunks"])


@router.post("", status_code=201, summary="Create a SIP trunk")
async def create_trunk(
    request: Request, body: TrunkCreate, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[TrunkOut]:
    trunk = await service.create(session, rt.settings, rt.clock, auth.org_id, body)
    return ok(request, service.to_out(trunk))


@router.get("", summary="List SIP trunks, newest first")
async def list_trunks(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> ListEnvelope[TrunkOut]:
    rows, pagination = await service.list_(session, auth.org_id, params)
    return page(request, [service.to_out(t) for t in rows], pagination)


@router.get("/{trunk_id}", summary="Get a SIP trunk")
async def get_trunk(
    request: Request, trunk_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[TrunkOut]:
    return ok(request, service.to_out(await service.get(session, auth.org_id, trunk_id)))


@router.put("/{trunk_id}", summary="Update a SIP trunk (fields left out keep their value)")
async def update_trunk(
    request: Request,
    trunk_id: str,
    body: TrunkUpdate,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[TrunkOut]:
    trunk = await service.update(session, rt.settings, rt.clock, auth.org_id, trunk_id, body)
    return ok(request, service.to_out(trunk))


@router.delete("/{trunk_id}", status_code=204, summary="Delete a SIP trunk no number uses")
async def delete_trunk(
    trunk_id: str, auth: WriteAuth, session: SessionDep, clock: ClockDep
) -> Response:
    await service.delete(session, clock, auth.org_id, trunk_id)
    return Response(status_code=204)
