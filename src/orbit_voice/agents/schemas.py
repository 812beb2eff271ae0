from __future__ import annotations

from typing import Literal

from pydantic import Field

from orbit_voice.api.schemas import Input, Output, Timestamp

Presence = Literal["available", "busy", "wrap_up", "offline"]

_SIP_URI_DOC = (
    "Human agents: where a live call rings the agent's phone, dialled as-is (not through a "
    "trunk), e.g. sip:alice@pbx.example.com:5060. Wins over phone_number."
)
_VOICE_DOC = (
    "AI agents: a voice clone's id (GET /v1/voice/clones), the voice the agent speaks with."
)
_PHONE_DOC = (
    "Human agents: an E.164 number a live call rings through the org's SIP trunk when the "
    "agent has no sip_uri."
)


class AgentCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["human", "ai"] = "human"
    presence: Presence | None = Field(
        default=None, description="Defaults to offline for humans, available for AI agents"
    )
    wrap_up_seconds: int = Field(
        default=0,
        ge=0,
        le=3600,
        description="Wrap-up after a call routed straight to this agent (queues use their own)",
    )
    sip_uri: str | None = Field(default=None, max_length=512, description=_SIP_URI_DOC)
    phone_number: str | None = Field(default=None, max_length=20, description=_PHONE_DOC)
    tts_voice_id: str | None = Field(default=None, max_length=40, description=_VOICE_DOC)


class AgentUpdate(Input):
    """Fields left out keep their value."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    presence: Presence | None = None
    wrap_up_seconds: int | None = Field(default=None, ge=0, le=3600)
    sip_uri: str | None = Field(default=None, max_length=512, description="null removes it")
    phone_number: str | None = Field(default=None, max_length=20, description="null removes it")
    tts_voice_id: str | None = Field(default=None, max_length=40, description="null removes it")


class AgentStatusIn(Input):
    status: Presence = Field(description="available, busy, wrap_up or offline")


class AgentOut(Output):
    id: str
    name: str
    kind: str
    presence: str
    wrap_up_seconds: int
    sip_uri: str | None
    phone_number: str | None
    tts_voice_id: str | None
    calls_handled: int
    current_call_id: str | None
    last_call_ended_at: Timestamp | None
    wrap_up_until: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
