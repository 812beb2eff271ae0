"""Call recordings: start/stop through the media backend, files in a tenant-isolated folder,
read through URLs signed for 24 hours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice import signed_urls
from orbit_voice.calls import repository as repo
from orbit_voice.calls.models import Call, Recording
from orbit_voice.calls.schemas import RecordingOut, RecordingSummary
from orbit_voice.calls.state import record_event
from orbit_voice.errors import Conflict, NotFound
from orbit_voice.kit.ids import new_id
from orbit_voice.media.backend import settle_recording, stop_or_recover
from orbit_voice.runtime import Runtime


def recording_path(rt: Runtime, org_id: str, recording_id: str) -> Path:
    return rt.settings.data_dir / "recordings" / org_id / f"{recording_id}.wav"


async def start(
    session: AsyncSession, rt: Runtime, call: Call, *, dual_channel: bool, trim: bool
) -> Recording:
    """Idempotent: a call already being recorded returns its current recording."""
    existing = await repo.active_recording(session, call.id)
    if existing is not None:
        return existing
    if call.status != "in_progress":
        raise Conflict(
            f"Only a connected call can be recorded; this one is {call.status}.",
            code="call_not_active",
        )
    now = rt.clock.now()
    recording = Recording(
        id=new_id("rec"),
        org_id=call.org_id,
        call_id=call.id,
        status="in_progress",
        dual_channel=dual_channel,
        trim=trim,
        channels=2 if dual_channel else 1,
        created_at=now,
    )
    path = recording_path(rt, call.org_id, recording.id)
    await rt.media.get(call.backend).start_recording(call.id, path, dual_channel)
    session.add(recording)
    await session.flush()
    await record_event(
        session, call, "call.recording.started", now, data={"recording_id": recording.id}
    )
    return recording


async def stop(session: AsyncSession, rt: Runtime, call: Call) -> Recording:
    recording = await repo.active_recording(session, call.id)
    if recording is None:
        raise Conflict("This call is not being recorded.", code="not_recording")
    await finish(session, rt, call, recording)
    return recording


async def finish(session: AsyncSession, rt: Runtime, call: Call, recording: Recording) -> None:
    """Stop the recorder and keep what it recorded. A backend that no longer holds the
    recorder (the server that started it died) is asked for what its files kept (SIP writes
    as it goes); with nothing to keep the recording is ``failed``."""
    backend = rt.media.get(call.backend)
    path, trim = recording_path(rt, call.org_id, recording.id), recording.trim
    result = await stop_or_recover(backend, backend.stop_recording(call.id, trim), path, trim)
    now = rt.clock.now()
    settle_recording(recording, result, now)
    await session.flush()
    data: dict[str, Any] = {"recording_id": recording.id}
    if result is not None:
        data |= {
            "duration_seconds": recording.duration_seconds,
            "format": recording.format,
            "channels": recording.channels,
            "size_bytes": recording.size_bytes,
        }
    await record_event(session, call, f"call.recording.{recording.status}", now, data=data)


async def finish_if_recording(session: AsyncSession, rt: Runtime, call: Call) -> None:
    recording = await repo.active_recording(session, call.id)
    if recording is not None:
        await finish(session, rt, call, recording)


def audio_url_path(recording_id: str) -> str:
    return f"/v1/voice/recordings/{recording_id}/audio"


def to_out(rt: Runtime, recording: Recording) -> RecordingOut:
    url, expires_at = signed_urls.sign_finished(rt, recording.status, audio_url_path(recording.id))
    return RecordingOut(
        id=recording.id,
        call_id=recording.call_id,
        status=recording.status,
        duration_seconds=recording.duration_seconds,
        format=recording.format,
        channels=recording.channels,
        size_bytes=recording.size_bytes,
        dual_channel=recording.dual_channel,
        trim=recording.trim,
        signed_url=url,
        signed_url_expires_at=expires_at,
        created_at=recording.created_at,
        completed_at=recording.completed_at,
    )


def to_summary(rt: Runtime, recording: Recording) -> RecordingSummary:
    out = to_out(rt, recording)
    return RecordingSummary.model_validate(out.model_dump())


async def get_for_call(session: AsyncSession, call: Call) -> Recording:
    recording = await repo.latest_recording(session, call.id)
    if recording is None:
        raise NotFound("This call has no recording.", code="recording_not_found")
    return recording


async def audio_path(
    session: AsyncSession, rt: Runtime, recording_id: str, expires: int, signature: str
) -> Path:
    """The file behind a signed URL, if the signature is valid and not expired."""
    signed_urls.check(rt, audio_url_path(recording_id), expires, signature)
    recording = await session.get(Recording, recording_id)
    if recording is None or recording.path is None or not Path(recording.path).exists():
        raise NotFound("No such recording.", code="recording_not_found")
    return Path(recording.path)
