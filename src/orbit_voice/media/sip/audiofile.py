"""Audio files the engine can play: PJSUA's player wants mono 16-bit PCM WAV, so anything
else (MP3 hold music, stereo WAV) is decoded once with miniaudio and cached. ``fetch`` brings a
``hold_music_url`` in once, through the SSRF guard, for ``play_audio(..., loop=True)``."""

from __future__ import annotations

import asyncio
import hashlib
import os
import wave
from pathlib import Path

import httpx

from orbit_voice.errors import Invalid
from orbit_voice.media.audio import write_wav
from orbit_voice.media.backend import MediaError
from orbit_voice.webhooks.ssrf import check_url

MAX_AUDIO_BYTES = 20 * 1024 * 1024
RATE = 8000


def _playable(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnchannels() == 1 and wav.getsampwidth() == 2
    except (wave.Error, EOFError, OSError):
        return False


def _decode(src: Path, dst: Path) -> None:
    import miniaudio

    try:
        decoded = miniaudio.decode_file(
            str(src),
            output_format=miniaudio.SampleFormat.SIGNED16,
            nchannels=1,
            sample_rate=RATE,
        )
    except miniaudio.DecodeError as exc:
        raise MediaError(
            f"{src.name} is not audio this server can play.", code="bad_audio"
        ) from exc
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    write_wav(tmp, decoded.samples.tobytes(), 1, RATE)
    tmp.replace(dst)


async def playable(path: Path, cache_dir: Path) -> Path:
    """``path`` itself when PJSUA can play it, else a cached mono WAV decoded from it."""
    if not path.exists():
        raise MediaError(f"Audio file {path.name} does not exist.", code="bad_audio")
    if await asyncio.to_thread(_playable, path):
        return path
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}\0{stat.st_mtime_ns}\0{stat.st_size}".encode())
    out = cache_dir / f"{key.hexdigest()[:32]}.wav"
    if not out.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(_decode, path, out)
    return out


async def fetch(url: str, cache_dir: Path, *, allow_private: bool, param: str) -> Path:
    """Download ``url`` once (SSRF-guarded, at most 20 MB) and return a playable WAV."""
    await check_url(url, allow_private=allow_private, param=param)
    key = hashlib.sha256(url.encode()).hexdigest()[:32]
    out = cache_dir / f"url-{key}.wav"
    if out.exists():
        return out
    cache_dir.mkdir(parents=True, exist_ok=True)
    raw = cache_dir / f".url-{key}.{os.getpid()}.download"
    try:
        async with (
            httpx.AsyncClient(timeout=15, follow_redirects=False) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise Invalid(
                    f"{param} answered HTTP {response.status_code}.",
                    code="audio_fetch_failed",
                    param=param,
                )
            size = 0
            with raw.open("wb") as fh:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_AUDIO_BYTES:
                        raise Invalid(
                            f"{param} is larger than 20 MB.", code="audio_too_large", param=param
                        )
                    fh.write(chunk)
        await asyncio.to_thread(_decode, raw, out)
    except httpx.HTTPError as exc:
        raise Invalid(
            f"{param} could not be fetched: {exc}", code="audio_fetch_failed", param=param
        ) from exc
    finally:
        raw.unlink(missing_ok=True)
    return out
