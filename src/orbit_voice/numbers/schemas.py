from __future__ import annotations

from pydantic import Field

from orbit_voice.api.schemas import E164, Input, Output, Timestamp
from orbit_voice.routing.schemas import HandlerIn, HandlerOut

_HANDLER = "Inbound routing: {type, target}"
_CALENDAR = "Business-hours calendar; while it is closed, off_hours_handler routes calls"


class NumberCreate(Input):
    number: E164 = Field(description="The phone number in E.164 format")
    label: str | None = Field(default=None, max_length=200)
    trunk_id: str | None = Field(
        default=None, description="SIP trunk calls from this number use (default: the org's)"
    )
    handler: HandlerIn | None = Field(default=None, description=_HANDLER)
    calendar_id: str | None = Field(default=None, max_length=40, description=_CALENDAR)
    off_hours_handler: HandlerIn | None = None


class NumberUpdate(Input):
    label: str | None = Field(default=None, max_length=200)
    trunk_id: str | None = Field(
        default=None, description="Left out: unchanged; null: use the org's default trunk"
    )
    handler: HandlerIn | None = Field(default=None, description="Left out: unchanged")
    calendar_id: str | None = Field(default=None, max_length=40, description="Left out: unchanged")
    off_hours_handler: HandlerIn | None = Field(default=None, description="Left out: unchanged")


class NumberOut(Output):
    id: str
    number: str
    label: str | None
    trunk_id: str | None = None
    handler: HandlerOut | None = None
    calendar_id: str | None = None
    off_hours_handler: HandlerOut | None = None
    created_at: Timestamp
    updated_at: Timestamp
