"""The live audio tap's file reading, on WAVs written here the way PJSUA's recorder writes
them: a header with zero sizes, samples appended in uneven pieces, sizes filled in at close."""

from __future__ import annotations

import array
import os
import socket
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orbit_voice.media.sip.tap import CLOSE_TIMEOUT, LegTap, WavTail, process_dir


class RecorderFile:
    """A mono 16-bit WAV growing as PJSUA's recorder grows it."""

    def __init__(self, path: Path, rate: int = 8000, fmt: int = 1, channels: int = 1) -> None:
        self.path = path
        self.rate, self.fmt, self.channels = rate, fmt, channels
        self.data = b""
        path.write_bytes(b"")  # createRecorder makes the file; the header comes with a flush

    def header(self, data_len: int, *, final: bool) -> bytes:
        riff = 36 + data_len if final else 0  # sizes are 0 until the recorder closes
        block = 2 * self.channels
        return (
            b"RIFF"
            + struct.pack("<I", riff)
            + b"WAVEfmt "
            + struct.pack(
                "<IHHIIHH", 16, self.fmt, self.channels, self.rate, self.rate * block, block, 16
            )
            + b"data"
            + struct.pack("<I", data_len)
        )

    def flush(self, pcm: bytes) -> None:
        """More bytes reach the file (a flush may end inside a sample)."""
        self.data += pcm
        with self.path.open("ab") as fh:
            if fh.tell() == 0:
                fh.write(self.header(0, final=False))
            fh.write(pcm)

    def close(self) -> None:
        """The recorder port is destroyed: PJSUA writes the sizes into the header."""
        with self.path.open("r+b") as fh:
            if fh.seek(0, 2) == 0:
                fh.write(self.header(0, final=False))
            fh.seek(0)
            fh.write(self.header(len(self.data), final=True))


def samples(*values: int) -> bytes:
    return array.array("h", values).tobytes()


def test_tail_reads_whole_samples_as_the_file_grows_and_knows_when_it_is_complete(
    tmp_path: Path,
) -> None:
    rec = RecorderFile(tmp_path / "leg.caller.wav")
    tail = WavTail(rec.path)
    assert tail.read() == b""  # created, nothing flushed yet
    pcm = samples(*range(1, 2001))
    rec.flush(pcm[:1001])  # ends in the middle of sample 501
    assert tail.read() == pcm[:1000]
    assert (tail.samples_read, tail.rate, tail.closed) == (500, 8000, False)
    assert tail.read() == b""  # the half sample waits for its other byte
    rec.flush(pcm[1001:3000])
    assert tail.read() == pcm[1000:3000]
    rec.flush(pcm[3000:])
    rec.close()
    assert tail.read() == pcm[3000:]
    assert tail.closed and tail.finished
    assert tail.samples_read == 2000
    tail.close()


def test_tail_of_a_file_closed_before_anything_was_flushed(tmp_path: Path) -> None:
    rec = RecorderFile(tmp_path / "short.wav")
    tail = WavTail(rec.path)
    assert tail.read() == b""
    rec.close()
    assert tail.read() == b""
    assert tail.finished


def test_tail_waits_for_a_missing_file_and_refuses_what_is_not_mono_pcm(tmp_path: Path) -> None:
    tail = WavTail(tmp_path / "not-yet.wav")
    assert tail.read() == b"" and not tail.finished
    stereo = RecorderFile(tmp_path / "stereo.wav", channels=2)
    stereo.flush(samples(1, 2))
    with pytest.raises(ValueError, match="mono 16-bit PCM"):
        WavTail(stereo.path).read()
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"ID3\x04" + bytes(60))
    with pytest.raises(ValueError, match="not a WAV"):
        WavTail(junk).read()


def test_leg_tap_times_frames_skips_digital_silence_and_deletes_finished_files(
    tmp_path: Path,
) -> None:
    tap = LegTap(leg_id="call_x", directory=tmp_path)
    started = datetime(2026, 3, 8, 12, 0, 0, tzinfo=UTC)
    segment = tap.new_segment(started.timestamp())
    caller, agent = RecorderFile(segment.files["caller"]), RecorderFile(segment.files["agent"])
    assert tap.live is segment and tap.poll(0.0) == []

    speech = samples(*([1200, -1200] * 400))  # 0.1 s
    caller.flush(speech)
    agent.flush(bytes(1600))  # 0.1 s of the bridge's silence: nobody on our side spoke
    (frame,) = tap.poll(0.0)
    assert (frame.leg_id, frame.speaker, frame.rate, frame.pcm) == (
        "call_x",
        "caller",
        8000,
        speech,
    )
    assert frame.start == started

    agent.flush(speech)  # our side speaks after its silence: the frame starts at 0.1 s
    caller.flush(bytes(1600))
    (frame,) = tap.poll(0.0)
    assert frame.speaker == "agent" and frame.start == started + timedelta(seconds=0.1)

    # The leg ends: the recorders are released, and PJSUA finishes the files a tick later.
    tap.open, segment.released_at = False, 10.0
    caller.flush(speech)
    assert [f.speaker for f in tap.poll(10.0)] == ["caller"]
    assert not tap.drained  # the files are not complete yet
    caller.close()
    agent.close()
    assert tap.poll(10.05) == []
    assert tap.drained
    assert list(tmp_path.iterdir()) == []


def test_leg_tap_reads_segments_in_order_and_gives_up_on_a_file_never_finished(
    tmp_path: Path,
) -> None:
    tap = LegTap(leg_id="call_y", directory=tmp_path)
    first = tap.new_segment(1000.0)
    old = RecorderFile(first.files["caller"])
    RecorderFile(first.files["agent"])
    old.flush(samples(*([900] * 800)))
    # A long call moves to new files: the old pair is released, the new one records.
    first.released_at = 50.0
    second = tap.new_segment(1000.2)
    new = RecorderFile(second.files["caller"])
    RecorderFile(second.files["agent"])
    new.flush(samples(*([700] * 800)))
    assert tap.live is second
    got = tap.poll(50.0)
    # Only the old pair is read while it is unfinished, so nothing leaves out of order.
    assert [f.start.timestamp() for f in got] == [1000.0]
    old.flush(samples(*([900] * 80)))  # PJSUA never completes the header (it crashed)
    later = tap.poll(50.0 + CLOSE_TIMEOUT + 0.1)
    assert [(round(f.start.timestamp(), 3), len(f.pcm)) for f in later] == [
        (1000.1, 160),  # the rest of the old pair, from where it stopped
        (1000.2, 1600),
    ]
    assert list(tap.segments) == [second]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "call_y.2.agent.wav",
        "call_y.2.caller.wav",
    ]


def test_a_crashed_servers_tap_files_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    host = socket.gethostname()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    crashed = tmp_path / f"{host}-{int(gone.stdout)}"
    running = tmp_path / f"{host}-{os.getppid()}"  # our parent is alive
    other_host = tmp_path / f"elsewhere-{int(gone.stdout)}"
    for folder in (crashed, running, other_host):
        folder.mkdir()
        (folder / "call_x.1.caller.wav").write_bytes(b"RIFF")
    mine = process_dir(tmp_path)
    assert mine == tmp_path / f"{host}-{os.getpid()}"
    assert not crashed.exists()
    assert running.exists() and other_host.exists()
    assert process_dir(tmp_path / "missing").parent == tmp_path / "missing"
