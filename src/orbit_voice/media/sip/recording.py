"""Finishing a SIP recording: PJSUA's mono WAVs become one stereo (or mono) MP3.

Each party is recorded on its own mono recorder; both recorders join the conference bridge
in the same engine tick and a silent source keeps them ticking, so their frames line up and
interleaving them gives the caller on the left and the other party on the right.
"""

from __future__ import annotations

import array
import time
import wave
from pathlib import Path

import lameenc

from orbit_voice.media.audio import trim_bounds
from orbit_voice.media.backend import RecordingResult

MP3_KBPS = {1: 32, 2: 64}
RECORDER_PARTS = {True: ("far", "near"), False: ("mix",)}


def _closed(path: Path) -> bool:
    """PJSUA writes a WAV's sizes into its header only when the recorder port is destroyed,
    which the conference bridge does on its own clock tick: until then the header says 0."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
        size = path.stat().st_size
    except OSError:
        return False
    return len(head) == 8 and int.from_bytes(head[4:8], "little") == size - 8


def wait_closed(files: list[Path], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(_closed(p) for p in files) and time.monotonic() < deadline:
        time.sleep(0.02)


def _read_mono(path: Path) -> tuple[array.array[int], int]:
    """The file's samples. A file PJSUA never closed (its process died, or the bridge did not
    get to it in time) has 0 for its sizes: its samples are whatever follows the header."""
    try:
        if not _closed(path):
            return _read_unclosed(path)
        with wave.open(str(path), "rb") as wav:
            return array.array("h", wav.readframes(wav.getnframes())), wav.getframerate()
    except (FileNotFoundError, EOFError, wave.Error):
        return array.array("h"), 8000


def _read_unclosed(path: Path) -> tuple[array.array[int], int]:
    raw = path.read_bytes()
    fmt, data = raw.find(b"fmt "), raw.find(b"data")
    if not raw.startswith(b"RIFF") or fmt < 0 or data < 0:
        raise wave.Error(f"{path.name} is not a WAV file")
    rate = int.from_bytes(raw[fmt + 12 : fmt + 16], "little")
    body = raw[data + 8 :]
    return array.array("h", body[: len(body) - len(body) % 2]), rate or 8000


def combine(files: list[Path], dual: bool) -> tuple[array.array[int], int, int]:
    """Samples (interleaved when dual), channel count and rate."""
    tracks = [_read_mono(p) for p in files]
    rate = tracks[0][1] if tracks else 8000
    if not dual:
        return tracks[0][0], 1, rate
    left, right = tracks[0][0], tracks[1][0]
    frames = max(len(left), len(right))
    left.extend(array.array("h", [0] * (frames - len(left))))
    right.extend(array.array("h", [0] * (frames - len(right))))
    out = array.array("h", [0] * (2 * frames))
    out[0::2] = left[:frames]
    out[1::2] = right[:frames]
    return out, 2, rate


def encode_mp3(samples: array.array[int], channels: int, rate: int) -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(MP3_KBPS[channels])
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(channels)
    encoder.set_quality(2)
    return bytes(encoder.encode(samples.tobytes())) + bytes(encoder.flush())


def finish(files: list[Path], dual: bool, out: Path, trim: bool) -> RecordingResult:
    wait_closed(files)
    return _encode(files, dual, out, trim)


def recover(path: Path, trim: bool) -> RecordingResult | None:
    """What the recorder files of ``path`` (``start_recording``'s naming) hold after the
    process that wrote them died, finished as an MP3; None when it left none."""
    for dual in (True, False):
        files = recorder_files(path, dual)
        if any(f.exists() for f in files):
            return _encode(files, dual, path.with_suffix(".mp3"), trim)
    return None


def recorder_files(path: Path, dual: bool) -> list[Path]:
    """The mono WAVs a recording to ``path`` is captured in: far end and near end, or the mix."""
    return [path.with_suffix(f".{part}.wav") for part in RECORDER_PARTS[dual]]


def _encode(files: list[Path], dual: bool, out: Path, trim: bool) -> RecordingResult:
    samples, channels, rate = combine(files, dual)
    if trim:
        first, end = trim_bounds(samples, channels)
        samples = samples[first * channels : end * channels]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(encode_mp3(samples, channels, rate))
    for path in files:
        path.unlink(missing_ok=True)
    return RecordingResult(
        path=out,
        duration_seconds=len(samples) / channels / float(rate),
        channels=channels,
        size_bytes=out.stat().st_size,
        format="mp3",
    )
