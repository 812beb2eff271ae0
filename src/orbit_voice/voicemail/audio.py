"""Voicemail audio files: where they live, the beep, and signed URLs to fetch them."""

from __future__ import annotations

import array
import math
import os
from datetime import datetime
from pathlib import Path

from orbit_voice import signed_urls
from orbit_voice.media.audio import write_wav
from orbit_voice.runtime import Runtime

BEEP_HZ = 1000.0
BEEP_SECONDS = 0.4
BEEP_RATE = 8000


def message_path(rt: Runtime, org_id: str, message_id: str) -> Path:
    return rt.settings.data_dir / "voicemail" / org_id / f"{message_id}.wav"


def beep_path(rt: Runtime) -> Path:
    """A 1 kHz, 0.4 s tone (8 kHz, 16-bit mono WAV), written once per data folder."""
    path = rt.settings.data_dir / "media" / "beep.wav"
    if not path.exists():
        frames = int(BEEP_RATE * BEEP_SECONDS)
        fade = int(BEEP_RATE * 0.01)  # 10 ms ramps so the tone does not click
        pcm = array.array(
            "h",
            (
                int(
                    12000
                    * min(1.0, i / fade, (frames - i) / fade)
                    * math.sin(2 * math.pi * BEEP_HZ * i / BEEP_RATE)
                )
                for i in range(frames)
            ),
        )
        # Written aside and renamed, so a concurrent reader never sees half a file.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        write_wav(tmp, pcm.tobytes(), 1, BEEP_RATE)
        tmp.replace(path)
    return path


def _url_path(message_id: str) -> str:
    return f"/v1/voice/voicemails/{message_id}/audio"


def signed_url(rt: Runtime, message_id: str) -> tuple[str, datetime]:
    return signed_urls.sign(rt, _url_path(message_id))


def verify(rt: Runtime, message_id: str, expires: int, signature: str) -> str | None:
    """None when the URL is good, else the error code."""
    return signed_urls.problem(rt, _url_path(message_id), expires, signature)
