from __future__ import annotations

from typing import Any

from pydantic import Field

from orbit_voice.api.schemas import Input, Output, Timestamp


class SampleOut(Output):
    format: str = Field(description="wav, mp3 or flac")
    sample_rate: int
    channels: int = 1
    duration_seconds: float
    speech_seconds: float = Field(description="Seconds of the sample measured as speech")
    size_bytes: int


class MeasurementsOut(Output):
    pitch_hz: float | None = Field(description="The speaker's median fundamental frequency")
    speaking_rate: float | None = Field(description="Syllables per second of speech")


class VoiceCloneOut(Output):
    id: str
    name: str
    status: str
    engine: str = Field(description="parametric: espeak-ng tuned to the measured voice")
    sample: SampleOut
    measurements: MeasurementsOut
    voice: dict[str, Any] = Field(description="The engine's voice parameters")
    created_at: Timestamp
    updated_at: Timestamp


class PreviewIn(Input):
    text: str = Field(min_length=1, max_length=1000, description="What the clone should say")
