from __future__ import annotations

from typing import Literal

from pydantic import Field

from orbit_voice.api.schemas import Input, Output, Timestamp

Strategy = Literal["longest_idle", "round_robin", "least_calls", "random"]
OverflowAction = Literal["voicemail", "transfer_number", "hangup"]
EntryStatus = Literal["waiting", "connected", "abandoned", "overflowed", "completed"]


class QueueCreate(Input):
    name: str = Field(min_length=1, max_length=200, description="Shown to supervisors")
    strategy: Strategy = "longest_idle"
    max_wait_seconds: int = Field(default=300, ge=1, le=86400)
    overflow_action: OverflowAction = "voicemail"
    overflow_target: str | None = Field(
        default=None,
        max_length=40,
        description="voicemail: a vmail_ box (optional); transfer_number: an E.164 number",
    )
    hold_music_url: str | None = Field(
        default=None, max_length=2048, description="Public http(s) URL of an MP3 or WAV"
    )
    agent_ids: list[str] = Field(default_factory=list, max_length=500)
    wrap_up_seconds: int = Field(default=30, ge=0, le=3600)


class QueueUpdate(Input):
    """Fields left out keep their value; ``null`` clears an optional one."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    strategy: Strategy | None = None
    max_wait_seconds: int | None = Field(default=None, ge=1, le=86400)
    overflow_action: OverflowAction | None = None
    overflow_target: str | None = Field(default=None, max_length=40)
    hold_music_url: str | None = Field(default=None, max_length=2048)
    agent_ids: list[str] | None = Field(default=None, max_length=500)
    wrap_up_seconds: int | None = Field(default=None, ge=0, le=3600)


class QueueOut(Output):
    id: str
    name: str
    strategy: str
    max_wait_seconds: int
    overflow_action: str
    overflow_target: str | None
    hold_music_url: str | None
    agent_ids: list[str]
    wrap_up_seconds: int
    created_at: Timestamp
    updated_at: Timestamp


class EnqueueIn(Input):
    call_id: str = Field(min_length=1, max_length=40, description="An in-progress call")
    priority: int = Field(default=0, ge=-1000, le=1000, description="Higher routes ahead of lower")


class QueueEntryOut(Output):
    id: str
    queue_id: str
    call_id: str
    priority: int
    status: EntryStatus
    position: int | None = Field(description="1 = next to be connected; null unless waiting")
    agent_id: str | None
    enqueued_at: Timestamp
    connected_at: Timestamp | None
    ended_at: Timestamp | None
    end_reason: str | None


class AgentStats(Output):
    agent_id: str
    name: str
    presence: str
    calls_handled: int = Field(description="Calls from this queue the agent has answered")


class QueueStats(Output):
    waiting: int
    connected: int
    abandoned_24h: int
    avg_wait_seconds_24h: float
    agents: list[AgentStats]
