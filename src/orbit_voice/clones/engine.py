"""Clone engines turn a sample's measurements into TTS voice parameters and speak with them.

We ship no neural cloning model, so the built-in engine is ``parametric``: it maps the
speaker's measured pitch (F0) and speaking rate onto espeak-ng's pitch (0..99), speed
(words per minute) and a male or female variant. The tables below were measured with
``clones.audio`` on espeak-ng 1.51's own output (en-us and en-us+f3 at pitch 0/25/50/75/99,
speed 80..350), so a clone of an espeak voice maps back onto about the settings that made it.
A neural engine can take its place by implementing ``CloneEngine`` and registering in
``ENGINES``.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import shutil
from pathlib import Path
from typing import Any, Protocol

from orbit_voice.clones.audio import Analysis

# (measured F0 in Hz, espeak-ng -p) per variant
_PITCH_MALE = [(67.8, 0), (80.2, 25), (99.8, 50), (128.9, 75), (168.3, 99)]
_PITCH_FEMALE = [(137.8, 0), (165.8, 25), (202.3, 50), (253.4, 75), (319.6, 99)]
# Above this F0 the female variant gets closer (the male one tops out near 168 Hz).
FEMALE_ABOVE_HZ = 150.0
# (measured syllables per second of speech, espeak-ng -s words per minute)
_RATE = [(2.87, 80), (3.98, 120), (5.59, 175), (7.14, 250), (7.6, 350)]
DEFAULT_PITCH, DEFAULT_SPEED = 50, 175
BASE_VOICE = "en-us"


class TtsUnavailable(Exception):
    pass


class CloneEngine(Protocol):
    name: str

    def derive(self, analysis: Analysis) -> dict[str, Any]:
        """The voice parameters to store with the clone."""

    async def synthesize(self, text: str, voice: dict[str, Any], out: Path) -> None:
        """Speak ``text`` with ``voice`` into the WAV file ``out``."""


def _interp(x: float, table: list[tuple[float, float]]) -> float:
    """Piecewise-linear through ``table`` (sorted by x), flat beyond its ends."""
    if x <= table[0][0]:
        return table[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(table):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return table[-1][1]


def _interp_log(value: float, table: list[tuple[float, int]]) -> int:
    return round(_interp(math.log(value), [(math.log(x), float(y)) for x, y in table]))


class ParametricEngine:
    name = "parametric"

    def derive(self, analysis: Analysis) -> dict[str, Any]:
        female = analysis.pitch_hz is not None and analysis.pitch_hz > FEMALE_ABOVE_HZ
        variant = "f3" if female else None
        if analysis.pitch_hz is None:
            pitch = DEFAULT_PITCH
        else:
            pitch = _interp_log(analysis.pitch_hz, _PITCH_FEMALE if female else _PITCH_MALE)
        if analysis.speaking_rate is None:
            speed = DEFAULT_SPEED
        else:
            speed = round(_interp(analysis.speaking_rate, [(x, float(y)) for x, y in _RATE]))
        return {
            "tts": "espeak-ng",
            "voice": f"{BASE_VOICE}+{variant}" if variant else BASE_VOICE,
            "variant": variant or "default",
            "pitch": max(0, min(99, pitch)),
            "speed": speed,
        }

    async def synthesize(self, text: str, voice: dict[str, Any], out: Path) -> None:
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise TtsUnavailable("espeak-ng is not installed on this server")
        out.parent.mkdir(parents=True, exist_ok=True)
        proc = await asyncio.create_subprocess_exec(
            binary,
            *espeak_args(voice),
            "-w",
            str(out),
            "--",
            text,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise TtsUnavailable(f"espeak-ng failed: {err.decode(errors='replace').strip()}")


def espeak_args(voice: dict[str, Any]) -> list[str]:
    """espeak-ng options for a parametric voice (for agents / IVRs with ``tts_voice_id``)."""
    return [
        "-v",
        str(voice.get("voice", BASE_VOICE)),
        "-p",
        str(int(voice.get("pitch", DEFAULT_PITCH))),
        "-s",
        str(int(voice.get("speed", DEFAULT_SPEED))),
    ]


ENGINES: dict[str, CloneEngine] = {"parametric": ParametricEngine()}
DEFAULT_ENGINE = "parametric"


def get_engine(name: str = DEFAULT_ENGINE) -> CloneEngine:
    return ENGINES[name]
