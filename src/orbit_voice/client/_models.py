"""Typed views of the API's objects. Unknown fields are kept (``extra="allow"``), so a
newer server never breaks an older client; ``model_extra`` holds them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Meta(Model):
    request_id: str
    timestamp: datetime


class Pagination(Model):
    cursor: str | None = None
    has_more: bool = False
    total: int = 0


class ListMeta(Meta):
    pagination: Pagination


class Response(Model, Generic[T]):
    """``{"data", "meta"}``: ``response.data`` is the object."""

    data: T
    meta: Meta


class ListResponse(Model, Generic[T]):
    """One page: ``data`` and ``meta.pagination`` (pass its ``cursor`` for the next)."""

    data: list[T]
    meta: ListMeta


class Resource(Model):
    """Any object with an id (used for resources without a dedicated model)."""

    id: str


class RecordingSummary(Model):
    id: str
    status: str
    duration_seconds: float | None = None
    format: str | None = None
    channels: int | None = None
    signed_url: str | None = None
    signed_url_expires_at: datetime | None = None


class Recording(RecordingSummary):
    call_id: str
    size_bytes: int | None = None
    dual_channel: bool | None = None
    trim: bool | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None


class WarmTransfer(Model):
    consult_call_id: str
    to: str
    state: str
    whisper_message: str | None = None


class Call(Model):
    id: str
    to: str
    from_: str = Field(alias="from")
    status: str
    direction: str | None = None
    agent_id: str | None = None
    ivr_id: str | None = None
    record: bool = False
    max_duration: int | None = None
    webhook_url: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    muted: bool = False
    on_hold: bool = False
    duration_seconds: int = 0
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    sip_code: int | None = None
    sip_call_id: str | None = None
    parent_call_id: str | None = None
    leg_role: str | None = None
    warm_transfer: WarmTransfer | None = None
    recording: RecordingSummary | None = None
    created_at: datetime
    updated_at: datetime | None = None


class CallEvent(Model):
    id: str
    call_id: str
    seq: int
    type: str
    from_status: str | None = None
    to_status: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class Number(Model):
    id: str
    number: str
    label: str | None = None
    trunk_id: str | None = None
    created_at: datetime
    updated_at: datetime | None = None


class Agent(Model):
    id: str
    name: str
    kind: str
    presence: str
    sip_uri: str | None = None
    phone_number: str | None = None
    created_at: datetime
    updated_at: datetime | None = None


class Trunk(Model):
    id: str
    name: str
    termination_uri: str
    status: str
    codecs: list[str]
    encryption: str
    origination_uris: list[str] = Field(default_factory=list)
    auth_username: str | None = None
    has_auth_password: bool = False
    is_default: bool = False
    carrier: str | None = None
    created_at: datetime
    updated_at: datetime | None = None


class SipCredential(Model):
    id: str
    username: str
    realm: str
    extension_id: str
    extension: str
    caller_id: str | None = None
    display_name: str | None = None
    register_state: str
    contact: str | None = None
    expires_at: datetime | None = None
    user_agent: str | None = None
    password_rotated_at: datetime | None = None
    created_at: datetime
    updated_at: datetime | None = None


class SipCredentialWithPassword(SipCredential):
    password: str


class SoftphoneToken(Model):
    token: str
    expires_at: datetime
    extension_id: str


class CloneSample(Model):
    format: str
    sample_rate: int
    channels: int = 1
    duration_seconds: float
    speech_seconds: float
    size_bytes: int


class CloneMeasurements(Model):
    pitch_hz: float | None = None
    speaking_rate: float | None = None


class VoiceClone(Model):
    id: str
    name: str
    status: str
    engine: str
    sample: CloneSample
    measurements: CloneMeasurements
    voice: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime | None = None


class WebhookSecret(Model):
    secret: str


class WebhookAttempt(Model):
    id: str
    attempted_at: datetime
    status_code: int | None = None
    error: str | None = None
    duration_ms: int | None = None


class WebhookDelivery(Model):
    id: str
    type: str
    call_id: str | None = None
    url: str
    status: str
    attempts: int
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime
    payload: dict[str, Any] = Field(default_factory=dict)
    attempt_log: list[WebhookAttempt] = Field(default_factory=list)


class Object(Model):
    """An object of any shape (the fields are in ``model_extra`` / ``model_dump()``)."""


class MonitoringSnapshot(Model):
    active_calls: int = 0
    queued_calls: int = 0
    available_agents: int = 0
    busy_agents: int = 0
    calls: list[dict[str, Any]] = Field(default_factory=list)
