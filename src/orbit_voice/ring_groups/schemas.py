from __future__ import annotations

from typing import Literal

from pydantic import Field

from orbit_voice.api.schemas import Input, Output, Timestamp

Strategy = Literal["simultaneous", "sequential", "random"]
FallbackAction = Literal["voicemail", "transfer_number", "hangup"]


class MemberIn(Input):
    """Exactly one of ``extension_id`` and ``phone_number`` (checked by the service, which
    names the offending ``members[i]``)."""

    extension_id: str | None = Field(default=None, max_length=40)
    phone_number: str | None = Field(default=None, max_length=20)
    ring_seconds: int | None = Field(
        default=None, ge=1, le=600, description="Seconds it rings (default: timeout_seconds)"
    )


class RingGroupCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    strategy: Strategy = "simultaneous"
    members: list[MemberIn] = Field(min_length=1, max_length=50)
    timeout_seconds: int = Field(default=20, ge=1, le=600, description="Per-member ring time")
    fallback_action: FallbackAction = "voicemail"
    fallback_target: str | None = Field(
        default=None,
        max_length=40,
        description="voicemail: a vmail_ box (optional); transfer_number: an E.164 number",
    )


class RingGroupUpdate(Input):
    """Fields left out keep their value; ``null`` clears ``fallback_target``."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    strategy: Strategy | None = None
    members: list[MemberIn] | None = Field(default=None, min_length=1, max_length=50)
    timeout_seconds: int | None = Field(default=None, ge=1, le=600)
    fallback_action: FallbackAction | None = None
    fallback_target: str | None = Field(default=None, max_length=40)


class MemberOut(Output):
    extension_id: str | None
    phone_number: str | None
    ring_seconds: int | None


class RingGroupOut(Output):
    id: str
    name: str
    strategy: str
    members: list[MemberOut]
    timeout_seconds: int
    fallback_action: str
    fallback_target: str | None
    created_at: Timestamp
    updated_at: Timestamp
