from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from orbit_voice.api.deps import ReadAuth, RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ok
from orbit_voice.calls import repository as calls_repo
from orbit_voice.calls import service as calls
from orbit_voice.calls.state import TERMINAL
from orbit_voice.errors import Invalid
from orbit_voice.runtime import Runtime
from orbit_voice.speech.service import speech_of
from orbit_voice.transcripts import service
from orbit_voice.transcripts.schemas import TranscribeAccepted, TranscribeIn, TranscriptOut

router = APIRouter(tags=["transcripts"])

# Subscribers also re-read the database this often, so chunks written by another process
# (or a missed wake-up) still arrive.
POLL_SECONDS = 1.0
PING_SECONDS = 15


def _after(last_event_id: str | None) -> int:
    if not last_event_id:
        return 0
    if not last_event_id.isdigit():
        raise Invalid("Last-Event-ID must be an event id this stream sent.", param="Last-Event-ID")
    return int(last_event_id)


async def _call_over(rt: Runtime, org_id: str, call_id: str) -> bool:
    async with rt.sessionmaker() as session:
        call = await calls_repo.get_call(session, org_id, call_id)
        return call is None or call.status in TERMINAL


async def _events(
    rt: Runtime, org_id: str, call_id: str, after: int
) -> AsyncIterator[ServerSentEvent]:
    hub = speech_of(rt).hub
    last = after
    while True:
        changed = hub.signal(call_id)  # taken before reading, so no chunk slips between
        over = await _call_over(rt, org_id, call_id) and not hub.busy(call_id)
        async with rt.sessionmaker() as session:
            chunks = await service.chunks_after(session, org_id, call_id, last)
        for chunk in chunks:
            last = chunk.seq
            yield ServerSentEvent(
                data=service.chunk_out(chunk).model_dump_json(), id=str(chunk.seq)
            )
        if over:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), POLL_SECONDS)


@router.get(
    "/calls/{call_id}/transcript/stream",
    summary="Live transcript (Server-Sent Events) until the call ends",
    response_class=EventSourceResponse,
    responses={204: {"description": "The call has ended and nothing follows Last-Event-ID"}},
)
async def transcript_stream(
    call_id: str,
    auth: ReadAuth,
    session: SessionDep,
    rt: RuntimeDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
) -> Response:
    call = await calls.get(session, auth.org_id, call_id)
    after = _after(last_event_id)
    hub = speech_of(rt).hub
    ended = call.status in TERMINAL and not hub.busy(call.id)
    if ended and not await service.chunks_after(session, auth.org_id, call.id, after):
        # EventSource reconnects after a stream closes; 204 tells it to stop.
        return Response(status_code=204)
    return EventSourceResponse(
        _events(rt, auth.org_id, call.id, after),
        ping=PING_SECONDS,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/calls/{call_id}/transcript", summary="Post-call transcript, by speaker")
async def call_transcript(
    request: Request, call_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[TranscriptOut]:
    call = await calls.get(session, auth.org_id, call_id)
    return ok(request, service.to_out(await service.completed_for_call(session, call)))


@router.post(
    "/transcribe", status_code=202, summary="Transcribe an audio file from a URL (asynchronous)"
)
async def transcribe(
    request: Request, body: TranscribeIn, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[TranscribeAccepted]:
    transcript = await service.submit_upload(
        session,
        auth.org_id,
        body,
        allow_private=rt.settings.webhooks_allow_private,
        now=rt.clock.now(),
    )
    speech = speech_of(rt)

    async def wake() -> None:
        speech.worker.wake()

    from orbit_voice.db import after_commit

    after_commit(session, wake)
    return ok(
        request,
        TranscribeAccepted(
            transcript_id=transcript.id,
            status=transcript.status,
            audio_url=body.audio_url,
            language=transcript.language,
            created_at=transcript.created_at,
        ),
    )


@router.get("/transcriptions/{transcript_id}", summary="A transcription's status and result")
async def get_transcription(
    request: Request, transcript_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[TranscriptOut]:
    return ok(request, service.to_out(await service.get(session, auth.org_id, transcript_id)))
