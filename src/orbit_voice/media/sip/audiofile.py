"""Audio files the engine can play: PJSUA's player wants mono 16-bit PCM WAV, so anything
else (MP3 hold music, stereo WAV) is decoded once with miniaudio and cached. Hold music is
fetched (SSRF-guarded, once) by the queues domain, which hands the file to ``play_audio``."""

from __future__ import annotations

import asyncio
import hashlib
import os
import wave
from pathlib import Path

from orbit_voice.media.audio import write_wav
from orbit_voice.media.backend import MediaError

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
