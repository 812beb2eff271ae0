"""Taking a voicemail on a connected call.

The box's greeting plays, then a beep, then the caller is recorded until they press ``#``,
hang up, or ``max_duration`` passes. The message is stored with a signed recording URL,
announced as ``voicemail.received`` (a call event and webhook, and a webhook to the box's
``webhook_url``), queued for transcription when the box asks for it, and emailed to
``notification_email`` when SMTP is configured.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call
from orbit_voice.calls.state import public_view, record_event
from orbit_voice.db import after_commit
from orbit_voice.kit.ids import new_id
from orbit_voice.media.backend import MediaError, stop_or_recover
from orbit_voice.routing import gather
from orbit_voice.routing.models import CallGather
from orbit_voice.runtime import Runtime
from orbit_voice.voicemail import audio, service
from orbit_voice.voicemail.models import VoicemailBox, VoicemailMessage
from orbit_voice.webhooks.outbox import emit

log = logging.getLogger("orbit_voice.voicemail.runner")

KIND = "voicemail"
UNAVAILABLE = "The mailbox you are trying to reach is not available. Goodbye."
LANGUAGE = "en-US"


async def start(session: AsyncSession, rt: Runtime, call: Call, box_id: str | None) -> None:
    """Record a message into ``box_id`` (the org's first box when None)."""
    from orbit_voice.calls import recordings
    from orbit_voice.routing.executor import hangup

    box = (
        await service.find_box(session, call.org_id, box_id)
        if box_id
        else await service.first_box(session, call.org_id)
    )
    backend = rt.media.get(call.backend)
    now = rt.clock.now()
    if box is None:
        await backend.play(call.id, UNAVAILABLE, LANGUAGE)
        await record_event(
            session, call, "voicemail.unavailable", now, data={"voicemail_id": box_id}
        )
        await hangup(session, rt, call, end_reason="voicemail_unavailable", after_prompts=True)
        return
    # One recorder per leg: a call recording stops where the voicemail starts.
    await recordings.finish_if_recording(session, rt, call)
    await backend.play(call.id, box.greeting, LANGUAGE)
    await backend.play_audio(call.id, audio.beep_path(rt), False)
    # Recording starts after the beep: at once where prompts take no time (the simulator),
    # else when the greeting and beep have played (a caller hanging up before that leaves
    # no message).
    wait = await backend.queued_audio_seconds(call.id)
    if wait <= 0:
        await _record(session, rt, call, box)
        return
    g = await gather.begin(
        session, call, KIND, now, state={"voicemail_id": box.id, "phase": "greeting"}
    )
    gather.arm_timer(session, rt, g, wait, _after_beep)


async def _after_beep(session: AsyncSession, rt: Runtime, call: Call, g: CallGather) -> None:
    box = await service.find_box(session, call.org_id, str(g.state.get("voicemail_id")))
    if box is None:  # deleted while the greeting played
        from orbit_voice.routing.executor import hangup

        await gather.clear(session, call.id)
        await hangup(session, rt, call, end_reason="voicemail_unavailable", after_prompts=True)
        return
    await _record(session, rt, call, box)


async def _record(session: AsyncSession, rt: Runtime, call: Call, box: VoicemailBox) -> None:
    now = rt.clock.now()
    message = VoicemailMessage(
        id=new_id("vmsg"),
        org_id=call.org_id,
        voicemail_id=box.id,
        call_id=call.id,
        caller=call.to if call.direction == "outbound" else call.from_,
        direction=call.direction,
        status="recording",
        transcription_status="pending" if box.transcribe else "skipped",
        listened=False,
        notification_status="not_requested",
        created_at=now,
    )
    backend = rt.media.get(call.backend)
    await backend.start_recording(call.id, audio.message_path(rt, call.org_id, message.id), False)
    session.add(message)
    await session.flush()
    g = await gather.begin(
        session, call, KIND, now, ref_id=message.id, state={"voicemail_id": box.id}
    )
    await record_event(
        session,
        call,
        "voicemail.recording.started",
        now,
        data={"voicemail_id": box.id, "message_id": message.id, "max_duration": box.max_duration},
    )
    gather.arm_timer(session, rt, g, float(box.max_duration), _on_max_duration)


async def on_digit(
    session: AsyncSession, rt: Runtime, call: Call, g: CallGather, digit: str
) -> None:
    if digit != "#" or g.ref_id is None:  # keys during the greeting are not the message's
        return
    from orbit_voice.routing.executor import hangup

    await finish(session, rt, call, g, reason="hash_key")
    await hangup(session, rt, call, end_reason="voicemail_recorded")


async def _on_max_duration(session: AsyncSession, rt: Runtime, call: Call, g: CallGather) -> None:
    from orbit_voice.routing.executor import hangup

    await finish(session, rt, call, g, reason="max_duration")
    await hangup(session, rt, call, end_reason="voicemail_recorded")


async def on_call_end(session: AsyncSession, rt: Runtime, call: Call, g: CallGather) -> None:
    """The caller hung up: what they said is the message (none before the beep)."""
    if g.ref_id is None:
        await gather.clear(session, call.id)
        return
    await finish(session, rt, call, g, reason="hangup")


async def finish(
    session: AsyncSession, rt: Runtime, call: Call, g: CallGather, *, reason: str
) -> None:
    await gather.clear(session, call.id)
    message = await session.get(VoicemailMessage, g.ref_id) if g.ref_id else None
    backend = rt.media.get(call.backend)
    now = rt.clock.now()
    try:
        path = audio.message_path(rt, call.org_id, g.ref_id or call.id)  # where it records
        result = await stop_or_recover(backend, backend.stop_recording(call.id, False), path, False)
        if result is None:  # the server recording it died and its files kept nothing
            raise MediaError("The recording was lost with the server.", code="recording_lost")
    except MediaError as exc:
        log.warning("voicemail recording failed: %s", exc.message, extra={"call_id": call.id})
        if message is not None and message.status == "recording":
            message.status = "failed"
            message.end_reason = reason
            message.completed_at = now
            message.transcription_status = "skipped"
            await session.flush()
            await record_event(
                session,
                call,
                "voicemail.failed",
                now,
                data={"message_id": message.id, "code": exc.code},
            )
        return
    if message is None or message.status != "recording":
        # The box was deleted while the caller spoke: nowhere to keep the audio.
        Path(result.path).unlink(missing_ok=True)
        return
    box = await service.find_box(session, call.org_id, message.voicemail_id)
    message.status = "completed"
    message.end_reason = reason
    message.completed_at = now
    message.duration_seconds = round(result.duration_seconds, 2)
    message.size_bytes = result.size_bytes
    message.format = result.format
    message.path = str(result.path)
    if box is not None and box.transcribe:
        await _transcribe(session, rt, message, result.path)
    if box is not None and box.notification_email:
        if rt.settings.smtp_url:
            message.notification_status = "pending"
            _notify_after_commit(session, rt, message.id)
        else:
            message.notification_status = "skipped"
            message.notification_detail = "ORBIT_SMTP_URL is not set"
    await session.flush()
    await _announce(session, rt, call, box, message)


async def _transcribe(
    session: AsyncSession, rt: Runtime, message: VoicemailMessage, path: Path
) -> None:
    """Queue the speech job when that work is installed; else the status stays pending."""
    try:
        jobs = importlib.import_module("orbit_voice.speech.jobs")
    except ImportError:
        return
    enqueue: Any = getattr(jobs, "enqueue", None)
    if enqueue is None:
        return
    await enqueue(
        session,
        kind="voicemail",
        ref_id=message.id,
        org_id=message.org_id,
        audio_path=path,
        language=LANGUAGE,
        now=rt.clock.now(),
    )


def _notify_after_commit(session: AsyncSession, rt: Runtime, message_id: str) -> None:
    from orbit_voice.voicemail.notify import send_notification

    async def spawn() -> None:
        rt.clock.spawn(send_notification(rt, message_id))

    after_commit(session, spawn)


async def _announce(
    session: AsyncSession,
    rt: Runtime,
    call: Call,
    box: VoicemailBox | None,
    message: VoicemailMessage,
) -> None:
    now = rt.clock.now()
    view = service.message_out(rt, message).model_dump(mode="json")
    await record_event(session, call, "voicemail.received", now, data={"voicemail": view})
    if box is not None and box.webhook_url:
        await emit(
            session,
            org_id=call.org_id,
            url=box.webhook_url,
            type="voicemail.received",
            data={"voicemail": view, "call": public_view(call, now)},
            now=now,
        )
