from __future__ import annotations

from typing import Literal

from pydantic import Field

from orbit_voice.api.schemas import Input, Output, Timestamp

DEFAULT_GREETING = "Please leave a message after the tone."
_EMAIL = r"^[^@\s<>,;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"

MessageStatus = Literal["recording", "completed", "failed"]
Direction = Literal["inbound", "outbound"]


class BoxCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    greeting: str = Field(default=DEFAULT_GREETING, min_length=1, max_length=2000)
    transcribe: bool = True
    max_duration: int = Field(default=120, ge=1, le=600, description="Seconds, 1..600")
    notification_email: str | None = Field(default=None, max_length=320, pattern=_EMAIL)
    webhook_url: str | None = Field(default=None, max_length=2048)


class BoxUpdate(Input):
    """Fields you send replace the stored ones; the others stay."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    greeting: str | None = Field(default=None, min_length=1, max_length=2000)
    transcribe: bool | None = None
    max_duration: int | None = Field(default=None, ge=1, le=600)
    notification_email: str | None = Field(default=None, max_length=320, pattern=_EMAIL)
    webhook_url: str | None = Field(default=None, max_length=2048)


class BoxOut(Output):
    id: str
    name: str
    greeting: str
    transcribe: bool
    max_duration: int
    notification_email: str | None
    webhook_url: str | None
    messages_count: int
    created_at: Timestamp
    updated_at: Timestamp


class NotificationOut(Output):
    status: str = Field(description="not_requested | pending | sent | skipped | failed")
    detail: str | None


class MessageOut(Output):
    id: str
    voicemail_id: str
    call_id: str | None
    caller: str
    direction: str
    status: str
    duration_seconds: float | None
    transcription: str | None
    transcription_status: str
    recording_url: str | None = Field(description="Signed, valid 24 h; null until recorded")
    recording_url_expires_at: Timestamp | None
    format: str | None
    size_bytes: int | None
    listened: bool
    listened_at: Timestamp | None
    end_reason: str | None = Field(description="hash_key | max_duration | hangup")
    notification: NotificationOut
    created_at: Timestamp
    completed_at: Timestamp | None
