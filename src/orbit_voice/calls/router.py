from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse

from orbit_voice import signed_urls
from orbit_voice.api.deps import ReadAuth, RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.calls import recordings, service
from orbit_voice.calls.schemas import (
    CallCreate,
    CallDetail,
    CallEventOut,
    CallOut,
    CallStatus,
    DtmfIn,
    RecordingOut,
    RecordingStartIn,
    TransferIn,
    WarmTransferIn,
)

router = APIRouter(prefix="/calls", tags=["calls"])
recording_files = APIRouter(tags=["recordings"])
Page = Annotated[PageParams, Depends(page_params)]


@router.post("", status_code=201, summary="Initiate a call")
async def create_call(
    request: Request, body: CallCreate, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[CallOut]:
    call = await service.create(session, rt, auth, body)
    return ok(request, service.to_out(call, rt.clock.now()))


@router.get("", summary="List calls, newest first")
async def list_calls(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    rt: RuntimeDep,
    params: Page,
    status: Annotated[CallStatus | None, Query(description="Filter by status")] = None,
    from_: Annotated[str | None, Query(alias="from", description="Caller number")] = None,
    to: Annotated[str | None, Query(description="Destination number")] = None,
) -> ListEnvelope[CallOut]:
    rows, pagination = await service.list_(
        session, auth.org_id, params, status=status, from_=from_, to=to
    )
    now = rt.clock.now()
    return page(request, [service.to_out(c, now) for c in rows], pagination)


@router.get("/{call_id}", summary="Get call details")
async def get_call(
    request: Request, call_id: str, auth: ReadAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[CallDetail]:
    call = await service.get(session, auth.org_id, call_id)
    return ok(request, await service.detail(session, rt, call))


@router.get("/{call_id}/events", summary="The call's state changes and events, newest first")
async def list_call_events(
    request: Request, call_id: str, auth: ReadAuth, session: SessionDep, params: Page
) -> ListEnvelope[CallEventOut]:
    rows, pagination = await service.list_events(session, auth.org_id, call_id, params)
    return page(request, [CallEventOut.model_validate(e) for e in rows], pagination)


def _verb(path: str, summary: str, action: str) -> None:
    async def endpoint(
        request: Request, call_id: str, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
    ) -> Envelope[CallDetail]:
        call = await service.get(session, auth.org_id, call_id, lock=True)
        match action:
            case "hangup":
                await service.hangup(session, rt, call)
            case "accept":
                await service.accept(session, rt, call)
            case "decline":
                await service.decline(session, rt, call)
            case "mute" | "unmute":
                await service.set_mute(session, rt, call, action == "mute")
            case "hold" | "unhold":
                await service.set_hold(session, rt, call, action == "hold")
            case "warm-transfer/complete":
                await service.complete_warm_transfer(session, rt, call)
            case "warm-transfer/cancel":
                await service.cancel_warm_transfer(session, rt, call)
        return ok(request, await service.detail(session, rt, call))

    endpoint.__name__ = "call_" + action.replace("-", "_").replace("/", "_")
    router.add_api_route(f"/{{call_id}}/{path}", endpoint, methods=["POST"], summary=summary)


for _path, _summary in [
    ("hangup", "Hang up a call (cancels it if not yet answered)"),
    ("accept", "Accept a ringing inbound call"),
    ("decline", "Decline a ringing inbound call (486 Busy Here)"),
    ("mute", "Mute the operator side"),
    ("unmute", "Unmute the operator side"),
    ("hold", "Put the remote party on hold"),
    ("unhold", "Take the remote party off hold"),
    ("warm-transfer/complete", "Bridge the caller to the consult leg and drop the agent"),
    ("warm-transfer/cancel", "Hang up the consult leg and return the caller to the agent"),
]:
    _verb(_path, _summary, _path)


@router.post("/{call_id}/dtmf", summary="Send DTMF tones (100 ms on, 100 ms gap)")
async def send_dtmf(
    request: Request,
    call_id: str,
    body: DtmfIn,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[CallDetail]:
    call = await service.get(session, auth.org_id, call_id, lock=True)
    await service.send_dtmf(session, rt, call, body.digits)
    return ok(request, await service.detail(session, rt, call))


@router.post("/{call_id}/transfer", summary="Blind transfer to a number, agent or extension")
async def transfer(
    request: Request,
    call_id: str,
    body: TransferIn,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[CallDetail]:
    call = await service.get(session, auth.org_id, call_id, lock=True)
    await service.transfer(session, rt, call, body)
    return ok(request, await service.detail(session, rt, call))


@router.post("/{call_id}/warm-transfer", summary="Start a warm transfer (caller held, consult leg)")
async def warm_transfer(
    request: Request,
    call_id: str,
    body: WarmTransferIn,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[CallDetail]:
    call = await service.get(session, auth.org_id, call_id, lock=True)
    await service.warm_transfer(session, rt, call, body)
    return ok(request, await service.detail(session, rt, call))


@router.post("/{call_id}/recording/start", summary="Start recording (idempotent)")
async def start_recording(
    request: Request,
    call_id: str,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
    body: RecordingStartIn | None = None,
) -> Envelope[RecordingOut]:
    body = body or RecordingStartIn()
    call = await service.get(session, auth.org_id, call_id, lock=True)
    recording = await recordings.start(
        session, rt, call, dual_channel=body.dual_channel, trim=body.trim
    )
    return ok(request, recordings.to_out(rt, recording))


@router.post("/{call_id}/recording/stop", summary="Stop recording and finalise the file")
async def stop_recording(
    request: Request, call_id: str, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[RecordingOut]:
    call = await service.get(session, auth.org_id, call_id, lock=True)
    recording = await recordings.stop(session, rt, call)
    return ok(request, recordings.to_out(rt, recording))


@router.get("/{call_id}/recording", summary="Recording metadata and a 24 h signed URL")
async def get_recording(
    request: Request, call_id: str, auth: ReadAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[RecordingOut]:
    call = await service.get(session, auth.org_id, call_id)
    recording = await recordings.get_for_call(session, call)
    return ok(request, recordings.to_out(rt, recording))


@recording_files.get(
    "/recordings/{recording_id}/audio",
    summary="Download a recording through its signed URL (no API key needed)",
    response_class=FileResponse,
)
async def recording_audio(
    recording_id: str,
    session: SessionDep,
    rt: RuntimeDep,
    expires: Annotated[int, Query()],
    signature: Annotated[str, Query(max_length=200)],
) -> FileResponse:
    path = await recordings.audio_path(session, rt, recording_id, expires, signature)
    return signed_urls.audio_file(path)
