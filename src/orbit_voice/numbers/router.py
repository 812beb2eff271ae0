from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from orbit_voice.api.deps import ClockDep, ReadAuth, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.numbers import service
from orbit_voice.numbers.schemas import NumberCreate, NumberOut, NumberUpdate

router = APIRouter(prefix="/numbers", tags=["numbers"])


@router.post("", status_code=201, summary="Register a phone number")
async def create_number(
    request: Request, body: NumberCreate, auth: WriteAuth, session: SessionDep, clock: ClockDep
) -> Envelope[NumberOut]:
    number = await service.create(session, auth.org_id, body, clock)
    return ok(request, NumberOut.model_validate(number))


@router.get("", summary="List phone numbers")
async def list_numbers(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> ListEnvelope[NumberOut]:
    rows, pagination = await service.list_(session, auth.org_id, params)
    return page(request, [NumberOut.model_validate(r) for r in rows], pagination)


@router.get("/{number_id}", summary="Get a phone number")
async def get_number(
    request: Request, number_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[NumberOut]:
    return ok(request, NumberOut.model_validate(await service.get(session, auth.org_id, number_id)))


@router.put("/{number_id}", summary="Update a phone number")
async def update_number(
    request: Request,
    number_id: str,
    body: NumberUpdate,
    auth: WriteAuth,
    session: SessionDep,
    clock: ClockDep,
) -> Envelope[NumberOut]:
    number = await service.update(session, auth.org_id, number_id, body, clock)
    return ok(request, NumberOut.model_validate(number))


@router.delete("/{number_id}", status_code=204, summary="Release a phone number")
async def delete_number(number_id: str, auth: WriteAuth, session: SessionDep) -> Response:
    await service.delete(session, auth.org_id, number_id)
    return Response(status_code=204)
