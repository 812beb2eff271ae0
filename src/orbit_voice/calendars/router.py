from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from orbit_voice.api.deps import ClockDep, ReadAuth, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.calendars import service
from orbit_voice.calendars.schemas import (
    CalendarCreate,
    CalendarOut,
    CalendarStatus,
    CalendarUpdate,
)
from orbit_voice.errors import Invalid
from orbit_voice.kit.timeutil import parse_iso

router = APIRouter(prefix="/calendars", tags=["calendars"])
Page = Annotated[PageParams, Depends(page_params)]


@router.post("", status_code=201, summary="Create a business-hours calendar")
async def create_calendar(
    request: Request, body: CalendarCreate, auth: WriteAuth, session: SessionDep, clock: ClockDep
) -> Envelope[CalendarOut]:
    calendar = await service.create(session, auth.org_id, body, clock)
    return ok(request, service.to_out(calendar))


@router.get("", summary="List calendars, newest first")
async def list_calendars(
    request: Request, auth: ReadAuth, session: SessionDep, params: Page
) -> ListEnvelope[CalendarOut]:
    rows, pagination = await service.list_(session, auth.org_id, params)
    return page(request, [service.to_out(c) for c in rows], pagination)


@router.get("/{calendar_id}", summary="Get a calendar")
async def get_calendar(
    request: Request, calendar_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[CalendarOut]:
    return ok(request, service.to_out(await service.get(session, auth.org_id, calendar_id)))


@router.put("/{calendar_id}", summary="Update a calendar (the fields you send)")
async def update_calendar(
    request: Request,
    calendar_id: str,
    body: CalendarUpdate,
    auth: WriteAuth,
    session: SessionDep,
    clock: ClockDep,
) -> Envelope[CalendarOut]:
    calendar = await service.update(session, auth.org_id, calendar_id, body, clock)
    return ok(request, service.to_out(calendar))


@router.delete("/{calendar_id}", status_code=204, summary="Delete a calendar no number uses")
async def delete_calendar(calendar_id: str, auth: WriteAuth, session: SessionDep) -> Response:
    await service.delete(session, auth.org_id, calendar_id)
    return Response(status_code=204)


@router.get("/{calendar_id}/status", summary="Open or closed at an instant, and until when")
async def calendar_status(
    request: Request,
    calendar_id: str,
    auth: ReadAuth,
    session: SessionDep,
    clock: ClockDep,
    at: Annotated[
        str | None, Query(description="ISO-8601 instant (default: now; no offset means UTC)")
    ] = None,
) -> Envelope[CalendarStatus]:
    calendar = await service.get(session, auth.org_id, calendar_id)
    when: datetime = clock.now()
    if at is not None:
        try:
            when = parse_iso(at)
        except ValueError as exc:
            raise Invalid("at must be an ISO-8601 date-time.", param="at") from exc
    return ok(request, service.status(calendar, when))
