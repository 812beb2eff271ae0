"""Text to speech for prompts: ``speech.tts.speak_pcm`` (espeak-ng, band-limited to the
call's sample rate by sox) written to a WAV the engine plays, cached.

A prompt is keyed by (text, language, voice, rate), so an IVR greeting or a queue's hold
announcement is synthesised once and replayed from disk afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import wave
from pathlib import Path

from orbit_voice.media.audio import write_wav
from orbit_voice.media.backend import MediaError, TtsVoice
from orbit_voice.speech.tts import TtsUnavailable, speak_pcm

# espeak-ng's own default pace (words per minute), which prompts have always had.
WPM = 175


def voice_for(language: str) -> str:
    """espeak-ng voice name for a BCP-47 tag: en-US -> en-us, fr -> fr."""
    return language.strip().lower().replace("_", "-") or "en-us"


async def render(
    text: str, language: str, rate: int, cache_dir: Path, voice: TtsVoice | None = None
) -> Path:
    """The prompt as a mono 16-bit WAV at ``rate``, from the cache when it is there; in
    ``voice`` (a clone's espeak-ng parameters) if given, else the language's default voice."""
    name, pitch, speed = (
        (voice.name, voice.pitch, voice.speed) if voice else (voice_for(language), None, WPM)
    )
    # v2: band-limited resampling (v1 renders were interpolated, aliased audio).
    key = hashlib.sha256(f"v2\0{name}\0{pitch}\0{speed}\0{rate}\0{text}".encode())
    path = cache_dir / f"{key.hexdigest()[:32]}.wav"
    if path.exists():
        return path
    try:
        pcm = await speak_pcm(text, voice=name, words_per_minute=speed, pitch=pitch, rate=rate)
    except TtsUnavailable as exc:
        raise MediaError(exc.message, code="tts_failed", details={"voice": name}) from exc
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    await asyncio.to_thread(write_wav, tmp, pcm, 1, rate)
    tmp.replace(path)
    return path


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())
