"""Audio plumbing for speech: PCM conversions, resampling and decoding files (PyAV).

Everything here is synchronous; run it on the speech thread pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from orbit_voice.speech.engine import SAMPLE_RATE, Audio

# Container formats /transcribe accepts, as FFmpeg names them.
ACCEPTED_FORMATS = {"wav": "WAV", "mp3": "MP3", "flac": "FLAC", "ogg": "Ogg"}

Pcm16 = npt.NDArray[np.int16]


class AudioDecodeError(Exception):
    pass


def pcm_from_bytes(data: bytes) -> Pcm16:
    return np.frombuffer(data, dtype=np.int16)


def to_float(pcm: Pcm16) -> Audio:
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32)


def resample_pcm16(pcm: bytes, rate: int, target: int) -> bytes:
    """Mono 16-bit PCM at ``rate`` resampled to ``target`` by FFmpeg's swresample (PyAV),
    which low-pass filters first: interpolating without that filter would fold everything
    above the new Nyquist frequency back into the band."""
    if rate == target or not pcm:
        return pcm
    resampler = av.AudioResampler(format="s16", layout="mono", rate=target)
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype=np.int16)
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return b"".join(part.astype(np.int16).tobytes() for part in parts)


def resample(pcm: Pcm16, rate: int, target: int = SAMPLE_RATE) -> Audio:
    """Band-limited resampling (``resample_pcm16``) of mono 16-bit PCM to float32."""
    if rate == target:
        return to_float(pcm)
    out = resample_pcm16(np.ascontiguousarray(pcm, dtype=np.int16).tobytes(), rate, target)
    return to_float(pcm_from_bytes(out))


def upsample_fast(pcm: Pcm16, factor: int = 2) -> Audio:
    """Cheap linear upsampling, good enough for voice activity detection."""
    if pcm.size == 0:
        return np.zeros(0, dtype=np.float32)
    x = to_float(pcm)
    positions = np.arange(x.size * factor, dtype=np.float32) / factor
    return np.interp(positions, np.arange(x.size, dtype=np.float32), x).astype(np.float32)


@dataclass(frozen=True)
class Probe:
    format: str
    channels: int
    duration_seconds: float | None


def probe(path: Path) -> Probe:
    """What ``path`` holds; ``AudioDecodeError`` unless it is WAV, MP3, FLAC or Ogg audio."""
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            names = set(str(container.format.name).split(","))
            fmt = next((n for n in ACCEPTED_FORMATS if n in names), None)
            if fmt is None or not container.streams.audio:
                raise AudioDecodeError(
                    "The file is not WAV, MP3, FLAC or Ogg audio "
                    f"(detected: {container.format.name})."
                )
            stream = container.streams.audio[0]
            duration = None
            if container.duration is not None:
                duration = float(container.duration) / 1_000_000
            return Probe(format=fmt, channels=int(stream.channels or 1), duration_seconds=duration)
    except AudioDecodeError:
        raise
    except Exception as exc:
        raise AudioDecodeError("The file does not decode as WAV, MP3, FLAC or Ogg audio.") from exc


def decode(path: Path) -> Audio:
    """The whole file as 16 kHz mono float32 (channels mixed down)."""
    from faster_whisper.audio import decode_audio

    try:
        audio: Audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:
        raise AudioDecodeError(f"The audio could not be decoded: {exc}") from exc
    return audio


def decode_channels(path: Path) -> tuple[Audio, Audio]:
    """Left and right channels of a stereo file, each 16 kHz float32."""
    from faster_whisper.audio import decode_audio

    try:
        left, right = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=True)
    except Exception as exc:
        raise AudioDecodeError(f"The audio could not be decoded: {exc}") from exc
    return left, right
