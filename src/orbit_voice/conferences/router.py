from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse

from orbit_voice import signed_urls
from orbit_voice.api.deps import ReadAuth, RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.conferences import recordings, service
from orbit_voice.conferences.schemas import (
    ConferenceCreate,
    ConferenceOut,
    ConferenceRecordingOut,
    ConferenceStatus,
    ParticipantCreate,
    ParticipantOut,
    ParticipantStatus,
)
from orbit_voice.conferences.views import conference_out, conference_outs, participant_out

router = APIRouter(prefix="/conferences", tags=["conferences"])
recording_files = APIRouter(tags=["conferences"])
Page = Annotated[PageParams, Depends(page_params)]


@router.post("", status_code=201, summary="Create a conference")
async def create_conference(
    request: Request, body: ConferenceCreate, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[ConferenceOut]:
    conference = await service.create(session, rt, auth, body)
    return ok(request, await conference_out(session, conference))


@router.get("", summary="List conferences, newest first")
async def list_conferences(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    params: Page,
    status: Annotated[ConferenceStatus | None, Query(description="Filter by status")] = None,
) -> ListEnvelope[ConferenceOut]:
    rows, pagination = await service.list_(session, auth.org_id, params, status=status)
    return page(request, await conference_outs(session, auth.org_id, rows), pagination)


@router.get("/{conference_id}", summary="Get a conference")
async def get_conference(
    request: Request, conference_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[ConferenceOut]:
    conference = await service.get(session, auth.org_id, conference_id)
    return ok(request, await conference_out(session, conference))


@router.delete(
    "/{conference_id}", status_code=204, summary="Delete an ended conference and its recordings"
)
async def delete_conference(
    conference_id: str, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Response:
    conference = await service.get(session, auth.org_id, conference_id, lock=True)
    await service.delete(session, rt, conference)
    return Response(status_code=204)


def _conference_verb(path: str, summary: str) -> None:
    async def endpoint(
        request: Request, conference_id: str, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
    ) -> Envelope[ConferenceOut]:
        conference = await service.get(session, auth.org_id, conference_id, lock=True)
        match path:
            case "end":
                await service.end(session, rt, conference)
            case "mute-all" | "unmute-all":
                await service.mute_all(session, rt, conference, path == "mute-all")
            case "lock" | "unlock":
                await service.set_lock(session, rt, conference, path == "lock")
        return ok(request, await conference_out(session, conference))

    endpoint.__name__ = "conference_" + path.replace("-", "_")
    router.add_api_route(f"/{{conference_id}}/{path}", endpoint, methods=["POST"], summary=summary)


for _path, _summary in [
    ("end", "End the conference: disconnect everyone, keep the row"),
    ("mute-all", "Mute every participant (those already muted stay as they are)"),
    ("unmute-all", "Unmute the participants mute-all muted"),
    ("lock", "Lock: nobody new can join, everyone in the room stays"),
    ("unlock", "Unlock: participants can join again"),
]:
    _conference_verb(_path, _summary)


@router.post(
    "/{conference_id}/participants",
    status_code=201,
    summary="Dial a number into the conference",
)
async def add_participant(
    request: Request,
    conference_id: str,
    body: ParticipantCreate,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[ParticipantOut]:
    conference = await service.get(session, auth.org_id, conference_id, lock=True)
    participant = await service.add_participant(session, rt, conference, body)
    return ok(request, participant_out(participant))


@router.get("/{conference_id}/participants", summary="List participants, newest first")
async def list_participants(
    request: Request,
    conference_id: str,
    auth: ReadAuth,
    session: SessionDep,
    params: Page,
    status: Annotated[ParticipantStatus | None, Query(description="Filter by status")] = None,
) -> ListEnvelope[ParticipantOut]:
    conference = await service.get(session, auth.org_id, conference_id)
    rows, pagination = await service.list_participants(session, conference, params, status=status)
    return page(request, [participant_out(p) for p in rows], pagination)


@router.get("/{conference_id}/participants/{participant_id}", summary="Get a participant")
async def get_participant(
    request: Request, conference_id: str, participant_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[ParticipantOut]:
    conference = await service.get(session, auth.org_id, conference_id)
    participant = await service.get_participant(session, conference, participant_id)
    return ok(request, participant_out(participant))


@router.delete(
    "/{conference_id}/participants/{participant_id}",
    status_code=204,
    summary="Remove a participant (hangs up their leg)",
)
async def remove_participant(
    conference_id: str,
    participant_id: str,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Response:
    conference = await service.get(session, auth.org_id, conference_id, lock=True)
    participant = await service.get_participant(session, conference, participant_id)
    await service.remove_participant(session, rt, participant)
    return Response(status_code=204)


def _participant_verb(path: str, summary: str) -> None:
    async def endpoint(
        request: Request,
        conference_id: str,
        participant_id: str,
        auth: WriteAuth,
        session: SessionDep,
        rt: RuntimeDep,
    ) -> Envelope[ParticipantOut]:
        conference = await service.get(session, auth.org_id, conference_id, lock=True)
        participant = await service.get_participant(session, conference, participant_id)
        if path in {"mute", "unmute"}:
            await service.set_participant_mute(session, rt, conference, participant, path == "mute")
        else:
            await service.set_participant_hold(session, rt, conference, participant, path == "hold")
        return ok(request, participant_out(participant))

    endpoint.__name__ = f"participant_{path}"
    router.add_api_route(
        f"/{{conference_id}}/participants/{{participant_id}}/{path}",
        endpoint,
        methods=["POST"],
        summary=summary,
    )


for _path, _summary in [
    ("mute", "Mute a participant (they still hear the room)"),
    ("unmute", "Unmute a participant"),
    ("hold", "Put a participant on hold (they neither hear nor are heard)"),
    ("unhold", "Take a participant off hold"),
]:
    _participant_verb(_path, _summary)


@router.post("/{conference_id}/recording/start", summary="Record the room's mixed audio")
async def start_recording(
    request: Request, conference_id: str, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[ConferenceRecordingOut]:
    conference = await service.get(session, auth.org_id, conference_id, lock=True)
    recording = await recordings.start(session, rt, conference)
    return ok(request, recordings.to_out(rt, recording))


@router.post("/{conference_id}/recording/stop", summary="Stop recording and finalise the file")
async def stop_recording(
    request: Request, conference_id: str, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[ConferenceRecordingOut]:
    conference = await service.get(session, auth.org_id, conference_id, lock=True)
    recording = await recordings.stop(session, rt, conference)
    return ok(request, recordings.to_out(rt, recording))


@router.get("/{conference_id}/recording", summary="Latest recording with a 24 h signed URL")
async def get_recording(
    request: Request, conference_id: str, auth: ReadAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[ConferenceRecordingOut]:
    conference = await service.get(session, auth.org_id, conference_id)
    recording = await recordings.latest(session, conference)
    return ok(request, recordings.to_out(rt, recording))


@recording_files.get(
    "/conference-recordings/{recording_id}/audio",
    summary="Download a conference recording through its signed URL (no API key needed)",
    response_class=FileResponse,
)
async def conference_recording_audio(
    recording_id: str,
    session: SessionDep,
    rt: RuntimeDep,
    expires: Annotated[int, Query()],
    signature: Annotated[str, Query(max_length=200)],
) -> FileResponse:
    path = await recordings.audio_path(session, rt, recording_id, expires, signature)
    return signed_urls.audio_file(path)
