from __future__ import annotations

from typing import Literal

from pydantic import Field

from orbit_voice.api.schemas import Input, Output, Timestamp

Presence = Literal["available", "busy", "wrap_up", "offline"]


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


class AgentUpdate(Input):
    """Fields left out keep their value."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    presence: Presence | None = None
    wrap_up_seconds: int | None = Field(default=None, ge=0, le=3600)


class AgentStatusIn(Input):
    status: Presence = Field(description="available, busy, wrap_up or offline")


class AgentOut(Output):
    id: str
    name: str
    kind: str
    presence: str
    wrap_up_seconds: int
    calls_handled: int
    current_call_id: str | None
    last_call_ended_at: Timestamp | None
    wrap_up_until: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
