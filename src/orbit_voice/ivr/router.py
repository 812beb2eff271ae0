from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from orbit_voice.api.deps import ClockDep, ReadAuth, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.ivr import service
from orbit_voice.ivr.schemas import IvrCreate, IvrOut, IvrUpdate

router = APIRouter(prefix="/ivr", tags=["ivr"])
Page = Annotated[PageParams, Depends(page_params)]


@router.post("", status_code=201, summary="Create an IVR flow")
async def create_ivr(
    request: Request, body: IvrCreate, auth: WriteAuth, session: SessionDep, clock: ClockDep
) -> Envelope[IvrOut]:
    return ok(request, service.to_out(await service.create(session, auth.org_id, body, clock)))


@router.get("", summary="List IVR flows, newest first")
async def list_ivrs(
    request: Request, auth: ReadAuth, session: SessionDep, params: Page
) -> ListEnvelope[IvrOut]:
    rows, pagination = await service.list_(session, auth.org_id, params)
    return page(request, [service.to_out(f) for f in rows], pagination)


@router.get("/{ivr_id}", summary="Get an IVR flow")
async def get_ivr(
    request: Request, ivr_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[IvrOut]:
    return ok(request, service.to_out(await service.get(session, auth.org_id, ivr_id)))


@router.put("/{ivr_id}", summary="Update an IVR flow (the fields you send)")
async def update_ivr(
    request: Request,
    ivr_id: str,
    body: IvrUpdate,
    auth: WriteAuth,
    session: SessionDep,
    clock: ClockDep,
) -> Envelope[IvrOut]:
    flow = await service.update(session, auth.org_id, ivr_id, body, clock)
    return ok(request, service.to_out(flow))


@router.delete("/{ivr_id}", status_code=204, summary="Delete an IVR flow no number or menu uses")
async def delete_ivr(ivr_id: str, auth: WriteAuth, session: SessionDep) -> Response:
    await service.delete(session, auth.org_id, ivr_id)
    return Response(status_code=204)
