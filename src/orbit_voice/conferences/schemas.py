from __future__ import annotations

from typing import Literal

from pydantic import Field

from orbit_voice.api.schemas import E164, Input, Output, Timestamp

ConferenceStatus = Literal["waiting", "active", "ended"]
ParticipantStatus = Literal["dialing", "joined", "left", "failed"]

MAX_PARTICIPANTS_LIMIT = 250


class ConferenceCreate(Input):
    name: str = Field(min_length=1, max_length=200, description="Conference name")
    max_participants: int = Field(
        default=50, ge=1, le=MAX_PARTICIPANTS_LIMIT, description="Maximum number of participants"
    )
    record: bool = Field(default=False, description="Record the conference")
    mute_on_join: bool = Field(default=False, description="Mute participants when they join")
    webhook_url: str | None = Field(
        default=None, max_length=2048, description="URL for conference event callbacks"
    )


class ConferenceOut(Output):
    id: str
    name: str
    status: ConferenceStatus
    pin: str
    dial_in_number: str | None = Field(
        description="The org's number that answers with a PIN prompt (null when none)"
    )
    max_participants: int
    record: bool
    mute_on_join: bool
    locked: bool
    all_muted: bool = Field(description="mute-all is in force")
    webhook_url: str | None
    participants_count: int = Field(description="Participants in the room right now")
    started_at: Timestamp | None
    ended_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class ParticipantCreate(Input):
    number: E164 = Field(description="Phone number to dial into the conference")
    muted: bool = Field(default=False, description="Join the participant in muted state")
    from_: E164 | None = Field(
        default=None,
        alias="from",
        description="Caller ID shown to the participant: one of your numbers "
        "(default: the dial-in number, else your oldest number)",
    )


class ParticipantOut(Output):
    id: str
    conference_id: str
    call_id: str
    number: str
    source: Literal["dial_out", "dial_in"]
    status: ParticipantStatus
    muted: bool
    on_hold: bool
    end_reason: str | None
    joined_at: Timestamp | None
    left_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class ConferenceRecordingOut(Output):
    id: str
    conference_id: str
    status: str
    duration_seconds: float | None
    format: str | None
    channels: int
    size_bytes: int | None
    signed_url: str | None
    signed_url_expires_at: str | None
    created_at: Timestamp
    completed_at: Timestamp | None
