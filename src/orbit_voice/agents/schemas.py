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


class AgentOut(Output):
    id: str
    name: str
    kind: str
    presence: str
    created_at: Timestamp
    updated_at: Timestamp
