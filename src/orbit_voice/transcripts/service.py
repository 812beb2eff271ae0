"""Transcripts: a call's post-call transcript, uploaded files, and the live chunks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call
from orbit_voice.calls.state import TERMINAL
from orbit_voice.errors import Conflict, NotFound
from orbit_voice.kit.ids import new_id
from orbit_voice.kit.timeutil import iso
from orbit_voice.speech.jobs import add_job
from orbit_voice.transcripts.models import Transcript, TranscriptChunk
from orbit_voice.transcripts.schemas import (
    LiveChunk,
    SegmentOut,
    TranscribeIn,
    TranscriptError,
    TranscriptOut,
)
from orbit_voice.webhooks.ssrf import check_url


def to_out(t: Transcript) -> TranscriptOut:
    return TranscriptOut(
        id=t.id,
        call_id=t.call_id,
        status=t.status,
        source=t.source,
        origin=t.origin,
        audio_url=t.audio_url,
        language=t.language,
        text=t.text,
        segments=[SegmentOut.model_validate(s) for s in t.segments],
        duration_seconds=t.duration_seconds,
        error=TranscriptError(code=t.error_code, message=t.error_message or "")
        if t.error_code
        else None,
        created_at=t.created_at,
        completed_at=t.completed_at,
    )


async def for_call(session: AsyncSession, call: Call) -> Transcript | None:
    return (
        await session.execute(
            select(Transcript).where(
                Transcript.org_id == call.org_id, Transcript.call_id == call.id
            )
        )
    ).scalar_one_or_none()


async def status_for_call(session: AsyncSession, call: Call) -> str:
    transcript = await for_call(session, call)
    if transcript is not None:
        return transcript.status
    if call.status not in TERMINAL:
        return "call_in_progress"
    return "not_available"


async def completed_for_call(session: AsyncSession, call: Call) -> Transcript:
    """The call's finished transcript; 409 ``transcript_not_ready`` (with its status) before."""
    transcript = await for_call(session, call)
    if transcript is None and call.status in TERMINAL and call.answered_at is None:
        raise NotFound(
            "This call was never answered, so it has no transcript.",
            code="transcript_not_found",
        )
    if transcript is None or transcript.status != "completed":
        status = await status_for_call(session, call)
        details: dict[str, object] = {"status": status}
        if transcript is not None and transcript.error_code:
            details["error"] = {
                "code": transcript.error_code,
                "message": transcript.error_message,
            }
        raise Conflict(
            "The transcript is not ready; it is produced from the recording (or the live "
            "transcript) once the call has ended.",
            code="transcript_not_ready",
            details=details,
        )
    return transcript


async def create_for_call(session: AsyncSession, call: Call, language: str, now: datetime) -> None:
    """Queue the post-call transcript of an ended call (once)."""
    if await for_call(session, call) is not None:
        return
    session.add(
        Transcript(
            id=new_id("tr"),
            org_id=call.org_id,
            source="call",
            call_id=call.id,
            status="queued",
            language=language,
            segments=[],
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    await add_job(
        session,
        kind="call",
        ref_id=call.id,
        org_id=call.org_id,
        audio_path=None,
        language=language,
        now=now,
    )


async def submit_upload(
    session: AsyncSession, org_id: str, body: TranscribeIn, *, allow_private: bool, now: datetime
) -> Transcript:
    await check_url(body.audio_url, allow_private=allow_private, param="audio_url")
    transcript = Transcript(
        id=new_id("tr"),
        org_id=org_id,
        source="upload",
        audio_url=body.audio_url,
        status="queued",
        language=body.language,
        segments=[],
        created_at=now,
        updated_at=now,
    )
    session.add(transcript)
    await session.flush()
    await add_job(
        session,
        kind="transcribe",
        ref_id=transcript.id,
        org_id=org_id,
        audio_path=None,
        language=body.language,
        now=now,
    )
    return transcript


async def get(session: AsyncSession, org_id: str, transcript_id: str) -> Transcript:
    transcript = (
        await session.execute(
            select(Transcript).where(Transcript.org_id == org_id, Transcript.id == transcript_id)
        )
    ).scalar_one_or_none()
    if transcript is None:
        raise NotFound(f"No transcript with id '{transcript_id}'.", code="transcript_not_found")
    return transcript


async def chunks_after(
    session: AsyncSession, org_id: str, call_id: str, after: int
) -> list[TranscriptChunk]:
    rows = await session.execute(
        select(TranscriptChunk)
        .where(
            TranscriptChunk.org_id == org_id,
            TranscriptChunk.call_id == call_id,
            TranscriptChunk.seq > after,
        )
        .order_by(TranscriptChunk.seq)
    )
    return list(rows.scalars().all())


def chunk_out(chunk: TranscriptChunk) -> LiveChunk:
    return LiveChunk(speaker=chunk.speaker, text=chunk.text, ts=iso(chunk.ts))
