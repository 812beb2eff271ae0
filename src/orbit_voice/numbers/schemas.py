from __future__ import annotations

from pydantic import Field

from orbit_voice.api.schemas import E164, Input, Output, Timestamp


class NumberCreate(Input):
    number: E164 = Field(description="The phone number in E.164 format")
    label: str | None = Field(default=None, max_length=200)


class NumberUpdate(Input):
    label: str | None = Field(default=None, max_length=200)


class NumberOut(Output):
    id: str
    number: str
    label: str | None
    created_at: Timestamp
    updated_at: Timestamp
