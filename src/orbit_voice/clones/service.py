"""Voice clones: a sample validated by decoding it (WAV / MP3 / FLAC, mono, >= 16 kHz,
>= 30 s of measured speech, <= 50 MB), stored under ``data_dir/clones/<org>/``, measured,
and turned into TTS voice parameters by the clone engine."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.clones.audio import Analysis, DecodedAudio, UndecodableAudio, analyse, decode
from orbit_voice.clones.engine import (
    BASE_VOICE,
    DEFAULT_ENGINE,
    DEFAULT_PITCH,
    DEFAULT_SPEED,
    TtsUnavailable,
    get_engine,
)
from orbit_voice.clones.exceptions import PayloadTooLarge, UnsupportedMediaType
from orbit_voice.clones.models import VoiceClone
from orbit_voice.clones.schemas import MeasurementsOut, SampleOut, VoiceCloneOut
from orbit_voice.db import after_commit
from orbit_voice.errors import Conflict, Invalid, ServiceUnavailable, not_found
from orbit_voice.kit.ids import new_id
from orbit_voice.media.backend import TtsVoice
from orbit_voice.runtime import Runtime

MAX_BYTES = 50 * 1024 * 1024
MIN_SAMPLE_RATE = 16_000
MIN_SPEECH_SECONDS = 30.0
_CHUNK = 1024 * 1024


def clone_dir(rt: Runtime, org_id: str) -> Path:
    return rt.settings.data_dir / "clones" / org_id


def to_out(clone: VoiceClone) -> VoiceCloneOut:
    return VoiceCloneOut(
        id=clone.id,
        name=clone.name,
        status=clone.status,
        engine=clone.engine,
        sample=SampleOut(
            format=clone.sample_format,
            sample_rate=clone.sample_rate,
            duration_seconds=clone.duration_seconds,
            speech_seconds=clone.speech_seconds,
            size_bytes=clone.size_bytes,
        ),
        measurements=MeasurementsOut(pitch_hz=clone.pitch_hz, speaking_rate=clone.speaking_rate),
        voice=clone.voice,
        created_at=clone.created_at,
        updated_at=clone.updated_at,
    )


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The audio sample may be at most {MAX_BYTES // (1024 * 1024)} MB.",
        code="audio_too_large",
        param="file",
        details={"max_bytes": MAX_BYTES},
    )


def _copy(source: IO[bytes], target: Path) -> int:
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > MAX_BYTES:
                raise too_large()
            out.write(chunk)
    return size


def _check(audio: DecodedAudio, analysis: Analysis) -> None:
    """The spec's rules, in the order a user would fix them."""
    if audio.channels != 1:
        raise Invalid(
            f"The sample must be mono (1 channel); this one has {audio.channels}.",
            code="audio_not_mono",
            param="file",
            details={"channels": audio.channels},
        )
    if audio.sample_rate < MIN_SAMPLE_RATE:
        raise Invalid(
            f"The sample must be recorded at 16 kHz or more; this one is {audio.sample_rate} Hz.",
            code="audio_sample_rate_too_low",
            param="file",
            details={"sample_rate": audio.sample_rate, "min_sample_rate": MIN_SAMPLE_RATE},
        )
    if analysis.speech_seconds < MIN_SPEECH_SECONDS:
        raise Invalid(
            f"The sample must hold at least {MIN_SPEECH_SECONDS:.0f} s of speech; "
            f"{analysis.speech_seconds:.1f} s of its {audio.duration_seconds:.1f} s is speech.",
            code="not_enough_speech",
            param="file",
            details={
                "speech_seconds": analysis.speech_seconds,
                "duration_seconds": round(audio.duration_seconds, 2),
                "min_speech_seconds": MIN_SPEECH_SECONDS,
            },
        )


def _decode_and_measure(path: Path) -> tuple[DecodedAudio, Analysis]:
    audio = decode(path)
    if audio.channels != 1 or audio.sample_rate < MIN_SAMPLE_RATE:
        return audio, Analysis(speech_seconds=0.0, pitch_hz=None, speaking_rate=None)
    return audio, analyse(audio)


async def create(
    session: AsyncSession, rt: Runtime, org_id: str, name: str | None, source: IO[bytes] | None
) -> VoiceClone:
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise Invalid("name: give the clone a name of 1 to 200 characters.", param="name")
    if source is None:
        raise Invalid(
            "file: attach the audio sample as a multipart file field named 'file'.",
            param="file",
        )
    folder = clone_dir(rt, org_id)
    folder.mkdir(parents=True, exist_ok=True)
    clone_id = new_id("clone")
    upload = folder / f".{clone_id}.upload"
    final: Path | None = None
    try:
        size = await asyncio.to_thread(_copy, source, upload)
        try:
            audio, analysis = await asyncio.to_thread(_decode_and_measure, upload)
        except UndecodableAudio as exc:
            raise UnsupportedMediaType(
                f"The sample could not be read: {exc}. Send WAV, MP3 or FLAC audio.",
                code="unsupported_audio",
                param="file",
            ) from exc
        _check(audio, analysis)
        engine = get_engine(DEFAULT_ENGINE)
        final = folder / f"{clone_id}.{audio.format}"
        upload.replace(final)
        now = rt.clock.now()
        clone = VoiceClone(
            id=clone_id,
            org_id=org_id,
            name=name,
            status="ready",
            engine=engine.name,
            sample_path=str(final),
            sample_format=audio.format,
            sample_rate=audio.sample_rate,
            size_bytes=size,
            duration_seconds=round(audio.duration_seconds, 2),
            speech_seconds=analysis.speech_seconds,
            pitch_hz=analysis.pitch_hz,
            speaking_rate=analysis.speaking_rate,
            voice=engine.derive(analysis),
            created_at=now,
            updated_at=now,
        )
        session.add(clone)
        await session.flush()
        return clone
    except BaseException:
        for path in (upload, final):
            if path is not None:
                path.unlink(missing_ok=True)
        raise
    finally:
        upload.unlink(missing_ok=True)


async def get(session: AsyncSession, org_id: str, clone_id: str) -> VoiceClone:
    clone = (
        await session.execute(
            select(VoiceClone).where(VoiceClone.id == clone_id, VoiceClone.org_id == org_id)
        )
    ).scalar_one_or_none()
    if clone is None:
        raise not_found("clone", clone_id)
    return clone


async def list_(
    session: AsyncSession, org_id: str, params: PageParams
) -> tuple[list[VoiceClone], Pagination]:
    stmt = select(VoiceClone).where(VoiceClone.org_id == org_id)
    return await paginate(session, stmt, VoiceClone.created_at, VoiceClone.id, params)


async def delete(session: AsyncSession, org_id: str, clone_id: str) -> None:
    clone = await get(session, org_id, clone_id)
    users = await _users(session, org_id, clone_id)
    if users:
        raise Conflict(
            "Agents or IVR menus speak with this voice; give them another first.",
            code="voice_in_use",
            details=users,
        )
    path = Path(clone.sample_path)
    await session.delete(clone)
    await session.flush()

    async def remove_sample() -> None:
        # Only once the row is gone for good: a rolled-back delete keeps its sample.
        path.unlink(missing_ok=True)

    after_commit(session, remove_sample)


async def preview(session: AsyncSession, org_id: str, clone_id: str, text: str) -> bytes:
    """``text`` spoken with the clone's voice, as WAV bytes."""
    clone = await get(session, org_id, clone_id)
    with tempfile.TemporaryDirectory(prefix="orbit-clone-") as tmp:
        out = Path(tmp) / "preview.wav"
        try:
            await get_engine(clone.engine).synthesize(text, clone.voice, out)
        except TtsUnavailable as exc:
            raise ServiceUnavailable(str(exc), code="tts_unavailable") from exc
        return await asyncio.to_thread(out.read_bytes)


# -- used by other domains ------------------------------------------------------------


async def require_voice(
    session: AsyncSession, org_id: str, voice_id: str, param: str = "tts_voice_id"
) -> str:
    """``voice_id`` when it is one of the org's clones, else 422 naming ``param``."""
    if await voice_for(session, org_id, voice_id) is None:
        raise Invalid(f"No voice clone with id '{voice_id}'.", code="voice_not_found", param=param)
    return voice_id


async def _users(session: AsyncSession, org_id: str, voice_id: str) -> dict[str, list[str]]:
    from orbit_voice.agents.models import Agent
    from orbit_voice.ivr.models import IvrFlow

    found: dict[str, list[str]] = {}
    for key, model in (("agent_ids", Agent), ("ivr_ids", IvrFlow)):
        stmt = select(model.id).where(model.org_id == org_id, model.tts_voice_id == voice_id)
        ids = sorted(await session.scalars(stmt))
        if ids:
            found[key] = ids
    return found


async def tts_voice(session: AsyncSession, org_id: str, voice_id: str | None) -> TtsVoice | None:
    """The clone ``voice_id`` as the voice a media backend speaks prompts with."""
    voice = await voice_for(session, org_id, voice_id) if voice_id else None
    if voice is None:
        return None
    return TtsVoice(
        name=str(voice.get("voice", BASE_VOICE)),
        pitch=int(voice.get("pitch", DEFAULT_PITCH)),
        speed=int(voice.get("speed", DEFAULT_SPEED)),
    )


async def voice_for(session: AsyncSession, org_id: str, voice_id: str) -> dict[str, Any] | None:
    """The TTS parameters of an org's clone (for ``tts_voice_id`` on agents and IVRs):
    ``{"engine", "tts", "voice", "pitch", "speed", ...}``; None when no such clone."""
    clone = (
        await session.execute(
            select(VoiceClone).where(VoiceClone.id == voice_id, VoiceClone.org_id == org_id)
        )
    ).scalar_one_or_none()
    return None if clone is None else {"engine": clone.engine, **clone.voice}
