"""Decoding and measuring a voice sample: the container is sniffed from its bytes, WAV is
decoded with the stdlib ``wave`` (``soundfile`` for float/extensible WAV), FLAC and MP3 with
``soundfile`` (libsndfile >= 1.1 decodes MP3). Measurements:

* speech: 20 ms frames whose RMS is above both -45 dBFS and the file's noise floor (its 5th
  percentile frame energy) + 6 dB; a steady tone or hiss is one level throughout, so it
  counts as no speech however long it is;
* pitch (F0): median of per-frame normalised-autocorrelation peaks in 60..400 Hz over voiced
  speech frames;
* speaking rate: syllable nuclei (peaks of the 50 ms-smoothed energy envelope, >= 80 ms
  apart, standing >= 4 dB above the valleys on both sides) per second of speech.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile  # type: ignore[import-untyped]

Samples = npt.NDArray[np.float32]

FRAME_SECONDS = 0.02
ABS_SPEECH_DBFS = -45.0
FLOOR_MARGIN_DB = 6.0
F0_MIN, F0_MAX = 60.0, 400.0


class UndecodableAudio(Exception):
    """Not WAV, MP3 or FLAC, or not decodable as the format it claims to be."""


@dataclass(frozen=True)
class DecodedAudio:
    format: str  # wav | mp3 | flac
    sample_rate: int
    channels: int
    samples: Samples  # the first channel, float32 in -1..1

    @property
    def duration_seconds(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


@dataclass(frozen=True)
class Analysis:
    speech_seconds: float
    pitch_hz: float | None
    speaking_rate: float | None  # syllables per second of speech


def sniff(head: bytes) -> str | None:
    """The container from the first bytes: wav, flac, mp3 or None."""
    if len(head) >= 12 and head[:4] in {b"RIFF", b"RF64"} and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:3] == b"ID3":
        return "mp3"
    # An MPEG audio frame sync: 11 set bits, layer III.
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 == 0x02:
        return "mp3"
    return None


def _wave(path: Path) -> DecodedAudio | None:
    try:
        with wave.open(str(path), "rb") as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError):
        return None  # e.g. float or WAVE_FORMAT_EXTENSIBLE: libsndfile reads those
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw[: len(raw) - len(raw) % 3], dtype=np.uint8).reshape(-1, 3)
        ints = (b[:, 0].astype(np.int32) | (b[:, 1].astype(np.int32) << 8)) | (
            b[:, 2].astype(np.int8).astype(np.int32) << 16
        )
        data = ints.astype(np.float32) / 8388608.0
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    else:
        return None
    if channels < 1 or rate < 1:
        raise UndecodableAudio("the WAV header is invalid")
    usable = len(data) - len(data) % channels
    return DecodedAudio("wav", rate, channels, np.ascontiguousarray(data[:usable:channels]))


def _soundfile(path: Path, fmt: str) -> DecodedAudio:
    try:
        with soundfile.SoundFile(str(path)) as f:
            rate, channels = int(f.samplerate), int(f.channels)
            blocks = [
                block[:, 0].copy()
                for block in f.blocks(blocksize=65536, dtype="float32", always_2d=True)
            ]
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise UndecodableAudio(f"the {fmt.upper()} data could not be decoded") from exc
    samples = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
    return DecodedAudio(fmt, rate, channels, samples.astype(np.float32, copy=False))


def decode(path: Path) -> DecodedAudio:
    with path.open("rb") as f:
        head = f.read(16)
    fmt = sniff(head)
    if fmt is None:
        raise UndecodableAudio("the file is not WAV, MP3 or FLAC audio")
    if fmt == "wav":
        decoded = _wave(path)
        if decoded is not None:
            return decoded
    audio = _soundfile(path, fmt)
    if audio.samples.size == 0:
        raise UndecodableAudio(f"the {fmt.upper()} file holds no audio")
    return audio


def _frames(samples: Samples, size: int) -> npt.NDArray[np.float32]:
    count = len(samples) // size
    return samples[: count * size].reshape(count, size)


def _frame_db(frames: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    rms: npt.NDArray[np.float64] = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    db: npt.NDArray[np.float64] = 20.0 * np.log10(np.maximum(rms, 1e-10))
    return db


def speech_mask(audio: DecodedAudio) -> npt.NDArray[np.bool_]:
    frames = _frames(audio.samples, max(1, int(audio.sample_rate * FRAME_SECONDS)))
    if len(frames) == 0:
        return np.zeros(0, dtype=bool)
    db = _frame_db(frames)
    floor = float(np.percentile(db, 5))
    mask: npt.NDArray[np.bool_] = (db >= ABS_SPEECH_DBFS) & (db >= floor + FLOOR_MARGIN_DB)
    return mask


def _pitch(audio: DecodedAudio, mask: npt.NDArray[np.bool_]) -> float | None:
    rate = audio.sample_rate
    hop = max(1, int(rate * FRAME_SECONDS))
    win = int(rate * 0.04)
    lag_min, lag_max = int(rate / F0_MAX), int(rate / F0_MIN)
    if win <= lag_max:
        win = lag_max + 1
    nfft = 1 << int(np.ceil(np.log2(2 * win)))
    starts = [i * hop for i in np.flatnonzero(mask) if i * hop + win <= len(audio.samples)]
    if not starts:
        return None
    # Cap the work on long samples: an evenly spread subset is plenty for a median.
    starts = starts[:: max(1, len(starts) // 1500)]
    frames = np.stack([audio.samples[s : s + win] for s in starts]).astype(np.float64)
    frames -= frames.mean(axis=1, keepdims=True)
    frames *= np.hanning(win)
    spectrum = np.fft.rfft(frames, n=nfft, axis=1)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, n=nfft, axis=1)[:, : lag_max + 1]
    energy = acf[:, :1]
    ok = energy[:, 0] > 1e-9
    if not ok.any():
        return None
    norm = acf[ok] / energy[ok]
    # Correct the window's taper so peaks at long lags are not penalised.
    taper = np.fft.irfft(np.abs(np.fft.rfft(np.hanning(win), n=nfft)) ** 2, n=nfft)
    norm = norm / np.maximum(taper[: lag_max + 1] / taper[0], 1e-3)
    region = norm[:, lag_min : lag_max + 1]
    best = region.argmax(axis=1)
    strength = region[np.arange(len(region)), best]
    voiced = strength > 0.5
    if voiced.sum() < 10:
        return None
    lags = (best[voiced] + lag_min).astype(np.float64)
    return float(np.median(rate / lags))


def _prominence(env: npt.NDArray[np.float64], i: int, reach: int = 30) -> float:
    """Height of ``env[i]`` over the higher of its two bases, each the lowest point before
    the envelope rises above ``env[i]`` again (looking at most 300 ms away)."""
    bases = []
    for step in (-1, 1):
        lowest, j = env[i], i + step
        while 0 <= j < len(env) and abs(j - i) <= reach and env[j] <= env[i]:
            lowest = min(lowest, env[j])
            j += step
        bases.append(lowest)
    return float(env[i] - max(bases))


def _speaking_rate(audio: DecodedAudio, mask: npt.NDArray[np.bool_]) -> float | None:
    speech_seconds = float(mask.sum()) * FRAME_SECONDS
    hop = max(1, int(audio.sample_rate * 0.01))
    db = _frame_db(_frames(audio.samples, hop))
    if speech_seconds <= 0 or len(db) < 3:
        return None
    kernel = np.hanning(7)[1:-1]
    env = np.convolve(db, kernel / kernel.sum(), mode="same")
    floor = float(np.percentile(env, 5))
    threshold = max(ABS_SPEECH_DBFS, floor + FLOOR_MARGIN_DB)
    inner = env[1:-1]
    is_peak = np.zeros(len(env), dtype=bool)
    is_peak[1:-1] = (inner >= env[:-2]) & (inner > env[2:]) & (inner >= threshold)
    candidates = [i for i in np.flatnonzero(is_peak).tolist() if _prominence(env, i) >= 4.0]
    peaks: list[int] = []
    for i in candidates:
        if peaks and i - peaks[-1] < 8:  # nuclei at least 80 ms apart
            if env[i] > env[peaks[-1]]:
                peaks[-1] = i
            continue
        peaks.append(i)
    return len(peaks) / speech_seconds if peaks else None


def analyse(audio: DecodedAudio) -> Analysis:
    mask = speech_mask(audio)
    speech_seconds = round(float(mask.sum()) * FRAME_SECONDS, 2)
    pitch = _pitch(audio, mask)
    rate = _speaking_rate(audio, mask)
    return Analysis(
        speech_seconds=speech_seconds,
        pitch_hz=round(pitch, 1) if pitch is not None else None,
        speaking_rate=round(rate, 2) if rate is not None else None,
    )
