"""Small PCM helpers shared by the backends: trimming silence, writing WAV."""

from __future__ import annotations

import array
import wave
from pathlib import Path

SILENCE_THRESHOLD = 300  # of 32767: well above line noise, well below speech


def trim_bounds(
    samples: array.array[int], channels: int, threshold: int = SILENCE_THRESHOLD
) -> tuple[int, int]:
    """First and one-past-last frame where any channel is louder than ``threshold``."""
    frames = len(samples) // channels
    first = next((f for f in range(frames) if _loud(samples, f, channels, threshold)), frames)
    if first == frames:
        return 0, 0
    last = next(f for f in range(frames - 1, -1, -1) if _loud(samples, f, channels, threshold))
    return first, last + 1


def _loud(samples: array.array[int], frame: int, channels: int, threshold: int) -> bool:
    base = frame * channels
    return any(abs(samples[base + c]) > threshold for c in range(channels))


def write_wav(path: Path, pcm: bytes, channels: int, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)


def trim_wav(path: Path) -> None:
    """Cut leading and trailing silence from a 16-bit WAV in place."""
    with wave.open(str(path), "rb") as wav:
        channels, rate = wav.getnchannels(), wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    first, end = trim_bounds(samples, channels)
    write_wav(path, samples[first * channels : end * channels].tobytes(), channels, rate)


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())
