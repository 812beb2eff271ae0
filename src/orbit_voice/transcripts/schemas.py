from __future__ import annotations

import re

from pydantic import Field, field_validator

from orbit_voice.api.schemas import Input, Output, Timestamp

_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$")


class SegmentOut(Output):
    speaker: str | None = Field(default=None, description="caller | agent (call transcripts)")
    start: float = Field(description="Seconds from the answer (calls) or the file's start")
    end: float
    text: str
    ts: str | None = Field(default=None, description="ISO-8601 time it was said (calls)")


class TranscriptError(Output):
    code: str
    message: str


class TranscriptOut(Output):
    id: str
    call_id: str | None
    status: str = Field(description="queued | processing | completed | failed")
    source: str = Field(description="call | upload")
    origin: str | None = Field(
        description="For calls: recording (each channel of the dual-channel recording) or live "
        "(the live utterances, when the call was not recorded)"
    )
    audio_url: str | None
    language: str
    text: str | None
    segments: list[SegmentOut]
    duration_seconds: float | None
    error: TranscriptError | None
    created_at: Timestamp
    completed_at: Timestamp | None


class TranscribeIn(Input):
    audio_url: str = Field(
        max_length=2048, description="http(s) URL of WAV, MP3, FLAC or Ogg audio"
    )
    language: str = Field(default="en-US", description="BCP-47 language tag")

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if not _LANGUAGE.match(value):
            raise ValueError("must be a BCP-47 language tag such as en-US")
        return value


class TranscribeAccepted(Output):
    transcript_id: str
    status: str
    audio_url: str
    language: str
    created_at: Timestamp


class LiveChunk(Output):
    speaker: str
    text: str
    ts: str
