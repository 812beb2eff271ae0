"""Resampling (``resample_pcm16``: call audio to Whisper's rate, uploads and recordings down
to a call's): what is above the new Nyquist frequency is filtered out, not folded back in."""

from __future__ import annotations

import array
import math

from orbit_voice.speech.audio import resample_pcm16
from sip_support import tone_amplitude


def tones(rate: int, seconds: float, *freqs: float, amplitude: int = 8000) -> bytes:
    n = int(rate * seconds)
    samples = array.array(
        "h",
        (
            int(sum(amplitude * math.sin(2 * math.pi * f * i / rate) for f in freqs))
            for i in range(n)
        ),
    )
    return samples.tobytes()


def test_down_to_a_call_keeps_the_voice_band_and_drops_what_would_alias() -> None:
    # 22.05 kHz (espeak-ng's rate): a 1 kHz tone (kept) and a 6 kHz one (above 8 kHz's
    # Nyquist: interpolating the samples, as prompts once were, brings it back at 2 kHz
    # with 78 % of its amplitude).
    out = array.array("h", resample_pcm16(tones(22050, 1.0, 1000, 6000), 22050, 8000))
    assert abs(len(out) - 8000) <= 16
    body = out[400:-400]  # away from the filter's edges
    assert tone_amplitude(body, 8000, 1000) > 0.9 * 8000
    assert tone_amplitude(body, 8000, 2000) < 0.01 * 8000


def test_up_to_whispers_rate_and_nothing_to_do() -> None:
    pcm = tones(8000, 0.5, 440)
    up = array.array("h", resample_pcm16(pcm, 8000, 16000))
    assert abs(len(up) - 8000) <= 16
    assert tone_amplitude(up[400:-400], 16000, 440) > 0.9 * 8000
    assert resample_pcm16(pcm, 8000, 8000) == pcm
    assert resample_pcm16(b"", 22050, 8000) == b""
