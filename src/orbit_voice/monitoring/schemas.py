from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from orbit_voice.api.schemas import Input, Output, Timestamp

MonitorModeName = Literal["listen", "whisper", "barge"]
MonitorStatus = Literal["dialing", "active", "ended"]

_EXTENSION = re.compile(r"^ext_[A-Za-z0-9]+$")


def _check_supervisor(value: str) -> str:
    if _EXTENSION.match(value):
        return value
    from orbit_voice.kit.phone import normalize_e164

    try:
        return normalize_e164(value)
    except ValueError as exc:
        raise ValueError("must be an E.164 number or an extension id (ext_...)") from exc


Supervisor = Annotated[str, AfterValidator(_check_supervisor)]


class MonitorIn(Input):
    supervisor: Supervisor = Field(
        description="Who listens in: an E.164 number or an extension id (ext_...), dialled "
        "as a child leg of the call"
    )


class MonitorOut(Output):
    call_id: str
    supervisor: str
    supervisor_call_id: str = Field(description="The supervisor's own call leg")
    mode: MonitorModeName
    status: MonitorStatus = Field(
        description="dialing until the supervisor answers, active while connected, then ended"
    )
    created_at: Timestamp
    updated_at: Timestamp


class SnapshotCall(Output):
    id: str
    from_: str = Field(serialization_alias="from")
    to: str
    agent_id: str | None
    duration_seconds: int = Field(description="Seconds since started_at, at the snapshot")
    queue_id: str | None
    started_at: Timestamp


class MonitoringSnapshot(Output):
    active_calls: int
    queued_calls: int
    available_agents: int
    busy_agents: int
    calls: list[SnapshotCall]
