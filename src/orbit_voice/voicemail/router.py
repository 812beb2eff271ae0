from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse

from orbit_voice import signed_urls
from orbit_voice.api.deps import ClockDep, ReadAuth, RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.voicemail import service
from orbit_voice.voicemail.schemas import (
    BoxCreate,
    BoxOut,
    BoxUpdate,
    Direction,
    MessageOut,
    MessageStatus,
)

boxes = APIRouter(prefix="/voicemail", tags=["voicemail"])
messages = APIRouter(prefix="/voicemails", tags=["voicemail"])
Page = Annotated[PageParams, Depends(page_params)]


@boxes.post("", status_code=201, summary="Create a voicemail box")
async def create_box(
    request: Request,
    body: BoxCreate,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
    clock: ClockDep,
) -> Envelope[BoxOut]:
    box = await service.create_box(session, rt, auth.org_id, body, clock)
    return ok(request, service.box_out(box, 0))


@boxes.get("", summary="List voicemail boxes, newest first")
async def list_boxes(
    request: Request, auth: ReadAuth, session: SessionDep, params: Page
) -> ListEnvelope[BoxOut]:
    rows, pagination = await service.list_boxes(session, auth.org_id, params)
    counts = await service.counts(session, auth.org_id, [b.id for b in rows])
    return page(request, [service.box_out(b, counts.get(b.id, 0)) for b in rows], pagination)


@boxes.get("/{voicemail_id}", summary="Get a voicemail box")
async def get_box(
    request: Request, voicemail_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[BoxOut]:
    box = await service.get_box(session, auth.org_id, voicemail_id)
    counts = await service.counts(session, auth.org_id, [box.id])
    return ok(request, service.box_out(box, counts.get(box.id, 0)))


@boxes.put("/{voicemail_id}", summary="Update a voicemail box (the fields you send)")
async def update_box(
    request: Request,
    voicemail_id: str,
    body: BoxUpdate,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
    clock: ClockDep,
) -> Envelope[BoxOut]:
    box = await service.update_box(session, rt, auth.org_id, voicemail_id, body, clock)
    counts = await service.counts(session, auth.org_id, [box.id])
    return ok(request, service.box_out(box, counts.get(box.id, 0)))


@boxes.delete(
    "/{voicemail_id}", status_code=204, summary="Delete a box, its messages and their audio"
)
async def delete_box(voicemail_id: str, auth: WriteAuth, session: SessionDep) -> Response:
    await service.delete_box(session, auth.org_id, voicemail_id)
    return Response(status_code=204)


@messages.get("", summary="List voicemail messages across the org, newest first")
async def list_messages(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    rt: RuntimeDep,
    params: Page,
    voicemail_id: Annotated[str | None, Query(description="Only this box's messages")] = None,
    direction: Annotated[Direction | None, Query(description="inbound or outbound")] = None,
    status: Annotated[
        MessageStatus | None, Query(description="recording, completed, failed")
    ] = None,
    unread: Annotated[bool | None, Query(description="true: not yet listened to")] = None,
) -> ListEnvelope[MessageOut]:
    rows, pagination = await service.list_messages(
        session,
        auth.org_id,
        params,
        voicemail_id=voicemail_id,
        direction=direction,
        status=status,
        unread=unread,
    )
    return page(request, [service.message_out(rt, m) for m in rows], pagination)


@messages.get("/{message_id}", summary="Get a voicemail message with a signed recording URL")
async def get_message(
    request: Request, message_id: str, auth: ReadAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[MessageOut]:
    message = await service.get_message(session, auth.org_id, message_id)
    return ok(request, service.message_out(rt, message))


@messages.patch("/{message_id}/read", summary="Mark a voicemail message as read")
async def mark_read(
    request: Request,
    message_id: str,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
    clock: ClockDep,
) -> Envelope[MessageOut]:
    message = await service.mark_read(session, auth.org_id, message_id, clock)
    return ok(request, service.message_out(rt, message))


@messages.delete("/{message_id}", status_code=204, summary="Delete a message and its audio")
async def delete_message(message_id: str, auth: WriteAuth, session: SessionDep) -> Response:
    await service.delete_message(session, auth.org_id, message_id)
    return Response(status_code=204)


@messages.get(
    "/{message_id}/audio",
    summary="Download a message's audio through its signed URL (no API key needed)",
    response_class=FileResponse,
)
async def message_audio(
    message_id: str,
    session: SessionDep,
    rt: RuntimeDep,
    expires: Annotated[int, Query()],
    signature: Annotated[str, Query(max_length=200)],
) -> FileResponse:
    path = await service.audio_file(session, rt, message_id, expires, signature)
    return signed_urls.audio_file(path)
