"""Recording a room's mixed audio: files in the tenant's folder, read through signed URLs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice import signed_urls
from orbit_voice.conferences import repository as repo
from orbit_voice.conferences.models import Conference, ConferenceRecording
from orbit_voice.conferences.schemas import ConferenceRecordingOut
from orbit_voice.errors import Conflict, NotFound
from orbit_voice.kit.ids import new_id
from orbit_voice.media.backend import settle_recording, stop_or_recover
from orbit_voice.runtime import Runtime


def recording_path(rt: Runtime, org_id: str, recording_id: str) -> Path:
    return rt.settings.data_dir / "recordings" / org_id / f"{recording_id}.wav"


def audio_url_path(recording_id: str) -> str:
    return f"/v1/voice/conference-recordings/{recording_id}/audio"


async def start(session: AsyncSession, rt: Runtime, conference: Conference) -> ConferenceRecording:
    """Idempotent: a room already being recorded returns its current recording."""
    existing = await repo.active_recording(session, conference.org_id, conference.id)
    if existing is not None:
        return existing
    if conference.status != "active":
        raise Conflict(
            f"Only an active conference can be recorded; this one is {conference.status}.",
            code="conference_not_active",
            details={"status": conference.status},
        )
    recording = ConferenceRecording(
        id=new_id("rec"),
        org_id=conference.org_id,
        conference_id=conference.id,
        status="in_progress",
        channels=1,
        created_at=rt.clock.now(),
    )
    path = recording_path(rt, conference.org_id, recording.id)
    await rt.media.get(conference.backend).conference_start_recording(conference.id, path)
    session.add(recording)
    await session.flush()
    return recording


async def stop(session: AsyncSession, rt: Runtime, conference: Conference) -> ConferenceRecording:
    recording = await repo.active_recording(session, conference.org_id, conference.id)
    if recording is None:
        raise Conflict("This conference is not being recorded.", code="not_recording")
    await finish(session, rt, conference, recording)
    return recording


async def finish(
    session: AsyncSession, rt: Runtime, conference: Conference, recording: ConferenceRecording
) -> None:
    from orbit_voice.conferences.legs import emit_event

    backend = rt.media.get(conference.backend)
    path = recording_path(rt, conference.org_id, recording.id)
    stop = backend.conference_stop_recording(conference.id)
    # None: the server recording the room died, and its files kept nothing.
    result = await stop_or_recover(backend, stop, path, trim=False)
    settle_recording(recording, result, rt.clock.now())
    await session.flush()
    await emit_event(
        session,
        rt,
        conference,
        f"conference.recording.{recording.status}",
        recording=to_out(rt, recording).model_dump(mode="json"),
    )


async def finish_if_recording(session: AsyncSession, rt: Runtime, conference: Conference) -> None:
    recording = await repo.active_recording(session, conference.org_id, conference.id)
    if recording is not None:
        await finish(session, rt, conference, recording)


def to_out(rt: Runtime, recording: ConferenceRecording) -> ConferenceRecordingOut:
    url, expires_at = signed_urls.sign_finished(rt, recording.status, audio_url_path(recording.id))
    return ConferenceRecordingOut(
        id=recording.id,
        conference_id=recording.conference_id,
        status=recording.status,
        duration_seconds=recording.duration_seconds,
        format=recording.format,
        channels=recording.channels,
        size_bytes=recording.size_bytes,
        signed_url=url,
        signed_url_expires_at=expires_at,
        created_at=recording.created_at,
        completed_at=recording.completed_at,
    )


async def latest(session: AsyncSession, conference: Conference) -> ConferenceRecording:
    recording = await repo.latest_recording(session, conference.org_id, conference.id)
    if recording is None:
        raise NotFound("This conference has no recording.", code="recording_not_found")
    return recording


async def audio_path(
    session: AsyncSession, rt: Runtime, recording_id: str, expires: int, signature: str
) -> Path:
    """The file behind a signed URL, if the signature is valid and not expired."""
    signed_urls.check(rt, audio_url_path(recording_id), expires, signature)
    # The signature is the credential here (no API key), so the row is found by id alone.
    recording = await session.get(ConferenceRecording, recording_id)
    if recording is None or recording.path is None or not Path(recording.path).exists():
        raise NotFound("No such recording.", code="recording_not_found")
    return Path(recording.path)
