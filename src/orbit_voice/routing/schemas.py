from __future__ import annotations

from typing import Literal

from pydantic import Field

from orbit_voice.api.schemas import Input, Output

HandlerType = Literal[
    "agent",
    "ivr",
    "queue",
    "ring_group",
    "extension",
    "voicemail",
    "forward",
    "hangup",
    "conference",
]


class HandlerIn(Input):
    type: HandlerType
    target: str | None = Field(
        default=None,
        max_length=40,
        description="agt_, ivr_, queue_, rg_, ext_ or vmail_ id, or an E.164 number (forward); "
        "none for hangup and conference (the caller enters the conference PIN)",
    )


class HandlerOut(Output):
    type: str
    target: str | None = None
