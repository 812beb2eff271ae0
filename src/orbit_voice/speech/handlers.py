"""What each kind of speech job does: a call's post-call transcript (and its intelligence),
an uploaded file's transcript, a voicemail message's transcription."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call, Recording
from orbit_voice.errors import Invalid
from orbit_voice.speech import audio as pcm
from orbit_voice.speech.engine import SAMPLE_RATE, Audio, SttEngine, SttError, SttSegment
from orbit_voice.speech.jobs import Defer, JobError, complete
from orbit_voice.speech.models import SpeechJob
from orbit_voice.transcripts.models import Transcript, TranscriptChunk

if TYPE_CHECKING:
    from orbit_voice.speech.runtime import SpeechRuntime

LIVE_SETTLE_SECONDS = 2.0


async def run(speech: SpeechRuntime, job: SpeechJob) -> None:
    if job.kind == "call":
        await _call(speech, job)
    elif job.kind == "transcribe":
        await _upload(speech, job)
    elif job.kind == "voicemail":
        await _voicemail(speech, job)
    else:
        raise JobError("unknown_job", f"Unknown speech job kind '{job.kind}'.")


async def fail(speech: SpeechRuntime, job: SpeechJob, code: str, message: str) -> None:
    """The job gave up: say so on what it was working for."""
    now = speech.clock.now()
    async with speech.sessionmaker() as session, session.begin():
        if job.kind in ("call", "transcribe"):
            transcript = await _transcript(session, job)
            if transcript is not None and transcript.status != "completed":
                transcript.status = "failed"
                transcript.error_code = code
                transcript.error_message = message[:500]
                transcript.updated_at = now
        elif job.kind == "voicemail":
            message_row = await _voicemail_message(session, job)
            if message_row is not None:
                message_row.transcription_status = "failed"


async def _transcript(session: AsyncSession, job: SpeechJob) -> Transcript | None:
    column = Transcript.call_id if job.kind == "call" else Transcript.id
    return (
        await session.execute(
            select(Transcript).where(Transcript.org_id == job.org_id, column == job.ref_id)
        )
    ).scalar_one_or_none()


def _recognise(engine: SttEngine, audio: Audio, language: str) -> list[SttSegment]:
    """Cut the audio into utterances with the Silero VAD, as the live path does, and
    recognise each on its own: long stretches with many turns in one 30 s window make the
    small models drop and invent words."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(
        audio,
        VadOptions(min_silence_duration_ms=500, speech_pad_ms=200, max_speech_duration_s=25),
    )
    out: list[SttSegment] = []
    try:
        for chunk in chunks:
            offset = chunk["start"] / SAMPLE_RATE
            for seg in engine.transcribe(audio[chunk["start"] : chunk["end"]], language, vad=False):
                out.append(SttSegment(offset + seg.start, offset + seg.end, seg.text))
    except SttError as exc:
        raise JobError(exc.code, exc.message) from exc
    if not chunks and not engine.supports(language):
        raise JobError("unsupported_language", f"The speech model cannot transcribe '{language}'.")
    return out


def _recognise_file(
    engine: SttEngine, path: Path, language: str, dual: bool
) -> tuple[list[tuple[str | None, SttSegment]], float]:
    """Each channel of a dual-channel recording on its own (left caller, right agent),
    merged by time; a mono file as one unnamed speaker."""
    try:
        if dual:
            left, right = pcm.decode_channels(path)
            tagged: list[tuple[str | None, SttSegment]] = [
                ("caller", s) for s in _recognise(engine, left, language)
            ]
            tagged += [("agent", s) for s in _recognise(engine, right, language)]
            duration = left.size / SAMPLE_RATE
        else:
            mono = pcm.decode(path)
            tagged = [(None, s) for s in _recognise(engine, mono, language)]
            duration = mono.size / SAMPLE_RATE
    except pcm.AudioDecodeError as exc:
        raise JobError("unsupported_audio", str(exc)) from exc
    tagged.sort(key=lambda t: (t[1].start, t[0] or ""))
    return tagged, duration


def transcript_text(segments: list[dict[str, Any]]) -> str:
    lines = []
    for seg in segments:
        speaker = seg.get("speaker")
        lines.append(f"{str(speaker).capitalize()}: {seg['text']}" if speaker else seg["text"])
    return "\n".join(lines)


# -- post-call transcripts -----------------------------------------------------------------


async def _call(speech: SpeechRuntime, job: SpeechJob) -> None:
    if speech.hub.busy(job.ref_id):
        raise Defer(LIVE_SETTLE_SECONDS)  # live utterances of the call are still being heard
    async with speech.sessionmaker() as session, session.begin():
        call = (
            await session.execute(
                select(Call).where(Call.id == job.ref_id, Call.org_id == job.org_id)
            )
        ).scalar_one_or_none()
        transcript = await _transcript(session, job)
        if call is None or transcript is None:
            raise JobError("call_not_found", "The call of this transcript no longer exists.")
        recording = (
            await session.execute(
                select(Recording)
                .where(
                    Recording.org_id == job.org_id,
                    Recording.call_id == call.id,
                    Recording.status == "completed",
                )
                .order_by(Recording.created_at.desc(), Recording.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        transcript.status = "processing"
        transcript.updated_at = speech.clock.now()
        answered = call.answered_at
    segments: list[dict[str, Any]]
    if recording is not None and recording.path and Path(recording.path).exists():
        tagged, duration = await speech.run(
            _recognise_file,
            speech.engine,
            Path(recording.path),
            transcript.language,
            recording.channels == 2,
        )
        # Offsets count from the answer; the recording may have started later.
        offset = (recording.created_at - answered).total_seconds() if answered else 0.0
        segments = [
            {
                "speaker": speaker,
                "start": round(offset + s.start, 2),
                "end": round(offset + s.end, 2),
                "text": s.text,
                "ts": recording.created_at + timedelta(seconds=s.start),
            }
            for speaker, s in tagged
        ]
        origin, recording_id = "recording", recording.id
    else:
        async with speech.sessionmaker() as session:
            chunks = (
                await session.execute(
                    select(TranscriptChunk)
                    .where(
                        TranscriptChunk.org_id == job.org_id,
                        TranscriptChunk.call_id == job.ref_id,
                    )
                    .order_by(TranscriptChunk.ts, TranscriptChunk.seq)
                )
            ).scalars()
            base = answered
            segments = [
                {
                    "speaker": c.speaker,
                    "start": round((c.ts - base).total_seconds(), 2) if base else 0.0,
                    "end": round((c.end_ts - base).total_seconds(), 2) if base else 0.0,
                    "text": c.text,
                    "ts": c.ts,
                }
                for c in chunks
            ]
        duration = segments[-1]["end"] if segments else 0.0
        origin, recording_id = "live", None
    await _store_call_transcript(speech, job, segments, duration, origin, recording_id)


async def _store_call_transcript(
    speech: SpeechRuntime,
    job: SpeechJob,
    segments: list[dict[str, Any]],
    duration: float,
    origin: str,
    recording_id: str | None,
) -> None:
    from orbit_voice.calls.state import public_view
    from orbit_voice.intelligence.service import analyse_call
    from orbit_voice.kit.timeutil import iso
    from orbit_voice.transcripts.service import to_out
    from orbit_voice.webhooks.outbox import emit

    now = speech.clock.now()
    stored = [
        {**s, "ts": iso(s["ts"]) if isinstance(s["ts"], datetime) else s["ts"]} for s in segments
    ]
    async with speech.sessionmaker() as session, session.begin():
        call = (
            await session.execute(
                select(Call).where(Call.id == job.ref_id, Call.org_id == job.org_id)
            )
        ).scalar_one_or_none()
        transcript = await _transcript(session, job)
        if call is None or transcript is None:
            raise JobError("call_not_found", "The call of this transcript no longer exists.")
        transcript.status = "completed"
        transcript.origin = origin
        transcript.recording_id = recording_id
        transcript.segments = stored
        transcript.text = transcript_text(stored)
        transcript.duration_seconds = round(duration, 2)
        transcript.error_code = transcript.error_message = None
        transcript.completed_at = transcript.updated_at = now
        await session.flush()
        await analyse_call(session, speech, call, transcript)
        await emit(
            session,
            org_id=call.org_id,
            url=call.webhook_url,
            type="transcript.ready",
            data={
                "call": public_view(call, now),
                "transcript": to_out(transcript).model_dump(mode="json"),
            },
            now=now,
            call_id=call.id,
        )
        await complete(session, job, now)


# -- uploaded audio ------------------------------------------------------------------------


async def _fetch(speech: SpeechRuntime, url: str, dest: Path) -> None:
    from orbit_voice.webhooks.ssrf import check_url, guarded_client

    settings = speech.settings
    limit = settings.transcribe_max_bytes
    dest.parent.mkdir(parents=True, exist_ok=True)
    # ``Invalid`` comes from ``check_url`` or, if the name now resolves inside (DNS
    # rebinding), from the guarded client's connect: the same refusal either way.
    try:
        await check_url(url, allow_private=settings.webhooks_allow_private, param="audio_url")
        async with (
            guarded_client(
                allow_private=settings.webhooks_allow_private,
                param="audio_url",
                timeout=settings.transcribe_timeout_seconds,
            ) as client,
            client.stream("GET", url, headers={"user-agent": "orbit-voice-transcribe/1"}) as resp,
        ):
            if resp.status_code != 200:
                raise JobError(
                    "audio_fetch_failed",
                    f"audio_url answered HTTP {resp.status_code} (redirects are not followed).",
                    permanent=resp.status_code < 500,
                )
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise JobError("audio_too_large", f"The audio is larger than {limit} bytes.")
            size = 0
            with dest.open("wb") as out:
                async for block in resp.aiter_bytes():
                    size += len(block)
                    if size > limit:
                        raise JobError(
                            "audio_too_large", f"The audio is larger than {limit} bytes."
                        )
                    out.write(block)
    except Invalid as exc:
        raise JobError("url_not_allowed", exc.message) from exc
    except httpx.HTTPError as exc:
        raise JobError(
            "audio_fetch_failed", f"audio_url could not be fetched: {exc}", permanent=False
        ) from exc


def _decode_and_recognise(
    engine: SttEngine, path: Path, language: str
) -> tuple[list[SttSegment], float]:
    try:
        pcm.probe(path)
        audio = pcm.decode(path)
    except pcm.AudioDecodeError as exc:
        raise JobError("unsupported_audio", str(exc)) from exc
    return _recognise(engine, audio, language), audio.size / SAMPLE_RATE


async def _upload(speech: SpeechRuntime, job: SpeechJob) -> None:
    async with speech.sessionmaker() as session, session.begin():
        transcript = await _transcript(session, job)
        if transcript is None:
            raise JobError("transcript_not_found", "The transcript was deleted.")
        transcript.status = "processing"
        transcript.updated_at = speech.clock.now()
        url, language = transcript.audio_url or "", transcript.language
    dest = speech.settings.data_dir / "transcribe" / job.org_id / f"{job.ref_id}.audio"
    try:
        await _fetch(speech, url, dest)
        segments, duration = await speech.run(_decode_and_recognise, speech.engine, dest, language)
    finally:
        with contextlib.suppress(OSError):
            dest.unlink()
    now = speech.clock.now()
    stored: list[dict[str, Any]] = [
        {"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text} for s in segments
    ]
    async with speech.sessionmaker() as session, session.begin():
        transcript = await _transcript(session, job)
        if transcript is None:
            raise JobError("transcript_not_found", "The transcript was deleted.")
        transcript.status = "completed"
        transcript.segments = stored
        transcript.text = " ".join(s["text"] for s in stored)
        transcript.duration_seconds = round(duration, 2)
        transcript.error_code = transcript.error_message = None
        transcript.completed_at = transcript.updated_at = now
        await complete(session, job, now)


# -- voicemail -----------------------------------------------------------------------------


async def _voicemail_message(session: AsyncSession, job: SpeechJob) -> Any:
    try:
        from orbit_voice.voicemail.models import VoicemailMessage
    except ImportError:
        return None
    return (
        await session.execute(
            select(VoicemailMessage).where(
                VoicemailMessage.org_id == job.org_id, VoicemailMessage.id == job.ref_id
            )
        )
    ).scalar_one_or_none()


async def _voicemail(speech: SpeechRuntime, job: SpeechJob) -> None:
    async with speech.sessionmaker() as session:
        message = await _voicemail_message(session, job)
        if message is None:
            raise JobError("voicemail_not_found", "The voicemail message no longer exists.")
        path = Path(job.audio_path or message.path or "")
    if not path.is_file():
        raise JobError("audio_missing", "The voicemail audio file is missing.")
    segments, _duration = await speech.run(_decode_and_recognise, speech.engine, path, job.language)
    now = speech.clock.now()
    async with speech.sessionmaker() as session, session.begin():
        message = await _voicemail_message(session, job)
        if message is None:
            raise JobError("voicemail_not_found", "The voicemail message no longer exists.")
        message.transcription = " ".join(s.text for s in segments).strip()
        message.transcription_status = "completed"
        await complete(session, job, now)
