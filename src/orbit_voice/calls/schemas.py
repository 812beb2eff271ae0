from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator

from orbit_voice.api.schemas import E164, Input, Output, Timestamp

CallStatus = Literal[
    "initiating", "ringing", "in_progress", "completed", "failed", "busy", "no_answer", "cancelled"
]

MAX_METADATA_KEYS = 50
MAX_METADATA_BYTES = 16 * 1024
_TARGET = re.compile(r"^(agt|ext)_[A-Za-z0-9]+$")


def _check_target(value: str) -> str:
    if _TARGET.match(value):
        return value
    from orbit_voice.kit.phone import normalize_e164

    try:
        return normalize_e164(value)
    except ValueError as exc:
        raise ValueError(
            "must be an E.164 number, an agent id (agt_...) or an extension id (ext_...)"
        ) from exc


TransferTarget = Annotated[str, AfterValidator(_check_target)]


class CallCreate(Input):
    to: E164 = Field(description="Destination phone number in E.164 format")
    from_: E164 = Field(alias="from", description="Caller ID: a number your org owns")
    agent_id: str | None = Field(default=None, description="Agent to handle the call")
    ivr_id: str | None = Field(default=None, description="IVR flow to run when the call connects")
    webhook_url: str | None = Field(
        default=None, max_length=2048, description="URL for call status callbacks"
    )
    record: bool = False
    max_duration: int = Field(default=3600, ge=1, le=14400, description="Seconds, 1..14400")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _metadata_limits(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_METADATA_KEYS:
            raise ValueError(f"may hold at most {MAX_METADATA_KEYS} keys")
        if len(json.dumps(value).encode()) > MAX_METADATA_BYTES:
            raise ValueError("may be at most 16 KB as JSON")
        return value


class DtmfIn(Input):
    digits: str = Field(pattern=r"^[0-9*#A-D]{1,64}$", description="0-9, *, #, A-D; 1 to 64")


class TransferIn(Input):
    to: TransferTarget
    caller_id: E164 | None = None


class WarmTransferIn(Input):
    to: TransferTarget
    whisper_message: str | None = Field(default=None, max_length=1000)


class RecordingStartIn(Input):
    dual_channel: bool = True
    trim: bool = False


class RecordingSummary(Output):
    id: str
    status: str
    duration_seconds: float | None
    format: str | None
    channels: int
    signed_url: str | None
    signed_url_expires_at: str | None


class RecordingOut(Output):
    id: str
    call_id: str
    status: str
    duration_seconds: float | None
    format: str | None
    channels: int
    size_bytes: int | None
    dual_channel: bool
    trim: bool
    signed_url: str | None
    signed_url_expires_at: str | None
    created_at: Timestamp
    completed_at: Timestamp | None


class WarmTransferState(Output):
    consult_call_id: str
    to: str
    state: str  # dialing | consulting | completed | cancelled | failed
    whisper_message: str | None = None


class CallOut(Output):
    id: str
    direction: str
    to: str
    from_: str = Field(serialization_alias="from")
    agent_id: str | None
    ivr_id: str | None
    status: CallStatus
    record: bool
    max_duration: int
    webhook_url: str | None
    metadata: dict[str, Any]
    muted: bool
    on_hold: bool
    duration_seconds: int
    answered_at: Timestamp | None
    ended_at: Timestamp | None
    end_reason: str | None
    sip_code: int | None = Field(description="Final SIP response or hangup cause")
    sip_call_id: str | None
    parent_call_id: str | None
    leg_role: str | None
    warm_transfer: WarmTransferState | None
    created_at: Timestamp
    updated_at: Timestamp


class CallDetail(CallOut):
    recording: RecordingSummary | None = None


class CallEventOut(Output):
    id: str
    call_id: str
    seq: int
    type: str
    from_status: str | None
    to_status: str | None
    data: dict[str, Any]
    created_at: Timestamp


class InboundIn(Input):
    from_: E164 = Field(alias="from", description="The caller's number")
    to: E164 = Field(description="One of your org's numbers")
    webhook_url: str | None = Field(default=None, max_length=2048)


class SimDtmfIn(Input):
    digits: str = Field(pattern=r"^[0-9*#A-D]{1,64}$")
