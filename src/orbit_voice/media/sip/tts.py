"""Text to speech for prompts: espeak-ng, rendered to the call's sample rate, cached.

A prompt is keyed by (text, language, voice, rate), so an IVR greeting or a queue's hold
announcement is synthesised once and replayed from disk afterwards.
"""

from __future__ import annotations

import array
import asyncio
import hashlib
import os
import shutil
import wave
from pathlib import Path

from orbit_voice.media.audio import resample_pcm16, write_wav
from orbit_voice.media.backend import MediaError


def voice_for(language: str) -> str:
    """espeak-ng voice name for a BCP-47 tag: en-US -> en-us, fr -> fr."""
    return language.strip().lower().replace("_", "-") or "en-us"


def _convert(src: Path, dst: Path, rate: int) -> None:
    with wave.open(str(src), "rb") as wav:
        channels, width, src_rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    if width != 2:
        raise MediaError("espeak-ng produced audio that is not 16-bit PCM.")
    samples = array.array("h", frames)
    if channels > 1:
        samples = samples[::channels]
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    write_wav(tmp, resample_pcm16(samples.tobytes(), src_rate, rate), 1, rate)
    tmp.replace(dst)


async def render(text: str, language: str, rate: int, cache_dir: Path) -> Path:
    """The prompt as a mono 16-bit WAV at ``rate``, from the cache when it is there."""
    voice = voice_for(language)
    # v2: band-limited resampling (v1 renders interpolated, aliased audio).
    key = hashlib.sha256(f"v2\0{voice}\0{rate}\0{text}".encode()).hexdigest()[:32]
    path = cache_dir / f"{key}.wav"
    if path.exists():
        return path
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise MediaError(
            "Text to speech needs espeak-ng, which is not installed.", code="tts_unavailable"
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    raw = cache_dir / f".{key}.{os.getpid()}.raw.wav"
    proc = await asyncio.create_subprocess_exec(
        exe,
        "-v",
        voice,
        "-w",
        str(raw),
        "--stdin",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(text.encode()), timeout=30)
    except TimeoutError as exc:
        proc.kill()
        raise MediaError("Text to speech timed out.", code="tts_failed") from exc
    if proc.returncode != 0 or not raw.exists():
        raw.unlink(missing_ok=True)
        raise MediaError(
            "Text to speech failed.",
            code="tts_failed",
            details={"stderr": err.decode(errors="replace")[:200], "voice": voice},
        )
    try:
        await asyncio.to_thread(_convert, raw, path, rate)
    finally:
        raw.unlink(missing_ok=True)
    return path


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())
