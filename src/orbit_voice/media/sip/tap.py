"""Live audio off the SIP engine, for live transcripts.

Each tapped leg has two PJSUA recorders on the conference bridge, fed exactly like a
dual-channel recording: ``caller`` hears the leg's far end, ``agent`` everything our side
sends it (``Engine._channel_sources``). ``WavTail`` reads each WAV while PJSUA is still
writing it, and ``LegTap`` turns what arrived into ``AudioFrame``s with their start times.
No pjsua2 import here: the engine creates and releases the recorders on its thread.

Why recorders and not a Python port (``pj.AudioMediaPort.onFrameReceived``): with the null
sound device the bridge is clocked by a PJSUA media thread, so a Python port makes that
thread take the GIL every 20 ms. Measured with this wheel (8 ports, one busy Python thread):
bridge ticks stalled up to 65 to 97 ms (every call's audio stalls with them), and creating and
destroying ports meanwhile crashed the process (segfault) or hung it. A recorder keeps
Python off the media thread. Its price is buffering: the file grows in 4096-byte steps (the
WAV writer's 4000-byte buffer, then stdio's), so audio reaches the reader 0.25 to 0.5 s after
it was on the line.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from orbit_voice.media.backend import AudioFrame

Speaker = Literal["caller", "agent"]
SPEAKERS: tuple[Speaker, Speaker] = ("caller", "agent")
# A file PJSUA has not finished this long after its recorder was released is read as it is.
CLOSE_TIMEOUT = 2.0


def process_dir(root: Path) -> Path:
    """This server's own folder of tap files under ``root`` (servers may share a data folder):
    ``<host>-<pid>``. Folders of this host's processes that are gone (a crash left their files
    behind) are removed."""
    host = socket.gethostname()
    for old in root.glob(f"{host}-*") if root.is_dir() else ():
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return root / f"{host}-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process
        return True
    return True


class WavTail:
    """Reads a mono 16-bit PCM WAV while PJSUA's recorder writes it.

    PJSUA writes the header with zero sizes and fills them in when the recorder port is
    destroyed (on a later tick of the bridge): a header whose RIFF size matches the file
    means the file is complete. Until then, every whole sample past the header is audio.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rate = 0
        self.closed = False  # PJSUA has finished the file
        self._fd: int | None = None
        self._data_at: int | None = None  # file offset of the first sample
        self._read = 0  # bytes of samples handed out so far

    @property
    def samples_read(self) -> int:
        return self._read // 2

    @property
    def finished(self) -> bool:
        """Complete and read to the end."""
        return self.closed and self._remaining() == 0

    def read(self) -> bytes:
        """The samples written since the last read (whole samples only)."""
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:
                return b""
        size = os.fstat(self._fd).st_size
        if self._data_at is None and not self._parse_header(size):
            return b""
        if not self.closed:
            self.closed = self._complete(size)
        n = self._remaining(size)
        n -= n % 2
        if n <= 0:
            return b""
        assert self._data_at is not None
        pcm = os.pread(self._fd, n, self._data_at + self._read)
        pcm = pcm[: len(pcm) - len(pcm) % 2]
        self._read += len(pcm)
        return pcm

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _remaining(self, size: int | None = None) -> int:
        if self._data_at is None or self._fd is None:
            return 0
        if size is None:
            size = os.fstat(self._fd).st_size
        end = size
        if self.closed:
            declared = int.from_bytes(os.pread(self._fd, 4, self._data_at - 4), "little")
            end = min(size, self._data_at + declared)
        return max(0, end - self._data_at - self._read)

    def _complete(self, size: int) -> bool:
        assert self._fd is not None
        riff = int.from_bytes(os.pread(self._fd, 4, 4), "little")
        return riff != 0 and riff == size - 8

    def _parse_header(self, size: int) -> bool:
        """Find the format and the data chunk; False while the header is not all written."""
        assert self._fd is not None
        head = os.pread(self._fd, min(size, 4096), 0)
        if len(head) < 12:
            return False
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{self.path.name} is not a WAV file")
        at = 12
        while at + 8 <= len(head):
            chunk, length = head[at : at + 4], int.from_bytes(head[at + 4 : at + 8], "little")
            if chunk == b"fmt ":
                if at + 8 + 16 > len(head):
                    return False
                fmt = head[at + 8 : at + 24]
                kind, channels = (
                    int.from_bytes(fmt[0:2], "little"),
                    int.from_bytes(fmt[2:4], "little"),
                )
                bits = int.from_bytes(fmt[14:16], "little")
                if (kind, channels, bits) != (1, 1, 16):
                    raise ValueError(
                        f"{self.path.name} is not mono 16-bit PCM "
                        f"(format {kind}, {channels} channels, {bits} bits)"
                    )
                self.rate = int.from_bytes(fmt[4:8], "little")
            elif chunk == b"data":
                if not self.rate:
                    raise ValueError(f"{self.path.name} has audio before its format")
                self._data_at = at + 8
                return True
            at += 8 + length + length % 2
        return False


def _silent(pcm: bytes) -> bool:
    return pcm.count(0) == len(pcm)


@dataclass
class TapSegment:
    """One pair of recorder files of a tapped leg, recording from ``started`` (epoch
    seconds). ``recorders`` are the engine's pjsua2 objects, [caller, agent]; empty once
    released, after which PJSUA finishes the files on its own clock."""

    started: float
    files: dict[Speaker, Path]
    recorders: list[Any] = field(default_factory=list)
    released_at: float | None = None  # monotonic time the recorders were released
    tails: dict[Speaker, WavTail] = field(init=False)

    def __post_init__(self) -> None:
        self.tails = {speaker: WavTail(path) for speaker, path in self.files.items()}

    def frames(self, leg_id: str) -> list[AudioFrame]:
        out = []
        for speaker, tail in self.tails.items():
            offset = tail.samples_read
            pcm = tail.read()
            # Digital silence is what the bridge sends when nobody speaks on that side;
            # leaving it out is the same to the listener (a gap counts as silence) and saves
            # its voice detection the work.
            if pcm and not _silent(pcm):
                start = datetime.fromtimestamp(self.started + offset / tail.rate, UTC)
                out.append(
                    AudioFrame(leg_id=leg_id, speaker=speaker, start=start, pcm=pcm, rate=tail.rate)
                )
        return out

    def done(self, now: float) -> bool:
        """Released, and its files complete and read (or given up on)."""
        if self.released_at is None:
            return False
        if all(tail.finished for tail in self.tails.values()):
            return True
        return now - self.released_at > CLOSE_TIMEOUT

    def discard(self) -> None:
        for tail in self.tails.values():
            tail.close()
        for path in self.files.values():
            path.unlink(missing_ok=True)


@dataclass
class LegTap:
    """The live audio of one leg: segments oldest first, the last one recording while the
    tap is open. Segments are read one after another, so frames leave in order."""

    leg_id: str
    directory: Path
    segments: deque[TapSegment] = field(default_factory=deque)
    open: bool = True
    held_events: list[Any] = field(default_factory=list)  # to send after the last frame
    _made: int = 0

    @property
    def live(self) -> TapSegment | None:
        """The segment whose recorders are on the bridge."""
        if not self.open or not self.segments:
            return None
        return self.segments[-1]

    @property
    def drained(self) -> bool:
        return not self.open and not self.segments

    def new_segment(self, started: float) -> TapSegment:
        """A segment to record into from now (the engine attaches its recorders)."""
        self._made += 1
        files: dict[Speaker, Path] = {
            s: self.directory / f"{self.leg_id}.{self._made}.{s}.wav" for s in SPEAKERS
        }
        for path in files.values():
            path.unlink(missing_ok=True)
        segment = TapSegment(started=started, files=files)
        self.segments.append(segment)
        return segment

    def poll(self, now: float) -> list[AudioFrame]:
        """Frames that arrived since the last poll; finished segments are discarded."""
        out: list[AudioFrame] = []
        while self.segments:
            segment = self.segments[0]
            out += segment.frames(self.leg_id)
            if not segment.done(now):
                break
            segment.discard()
            self.segments.popleft()
        return out

    def discard(self) -> None:
        for segment in self.segments:
            segment.discard()
        self.segments.clear()
