from __future__ import annotations

from typing import Literal

from pydantic import Field

from orbit_voice.api.schemas import Input, Output, Timestamp

IvrAction = Literal[
    "transfer_agent",
    "transfer_number",
    "queue",
    "ring_group",
    "voicemail",
    "submenu",
    "repeat",
    "hangup",
]
FallbackAction = Literal["voicemail", "transfer_number", "hangup"]
_BCP47 = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"


class MenuOption(Input):
    key: str = Field(pattern=r"^[0-9*#]$", description="One DTMF key: 0-9, * or #")
    action: IvrAction
    target: str | None = Field(
        default=None,
        max_length=40,
        description="agt_, queue_, rg_, vmail_, ivr_ id or an E.164 number, as the action needs",
    )


class Menu(Input):
    options: list[MenuOption] = Field(min_length=1, max_length=12)


class IvrCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    greeting: str = Field(min_length=1, max_length=2000, description="Text spoken on connect")
    language: str = Field(default="en-US", pattern=_BCP47, max_length=35)
    tts_voice_id: str | None = Field(
        default=None,
        max_length=40,
        description="A voice clone's id (GET /v1/voice/clones): the greeting's voice",
    )
    menu: Menu
    timeout_seconds: int = Field(default=10, ge=1, le=120)
    max_retries: int = Field(default=3, ge=0, le=10)
    fallback_action: FallbackAction = "voicemail"
    fallback_target: str | None = Field(default=None, max_length=40)


class IvrUpdate(Input):
    """Fields you send replace the stored ones (``menu`` as a whole); the others stay."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    greeting: str | None = Field(default=None, min_length=1, max_length=2000)
    language: str | None = Field(default=None, pattern=_BCP47, max_length=35)
    tts_voice_id: str | None = Field(default=None, max_length=40, description="null removes it")
    menu: Menu | None = None
    timeout_seconds: int | None = Field(default=None, ge=1, le=120)
    max_retries: int | None = Field(default=None, ge=0, le=10)
    fallback_action: FallbackAction | None = None
    fallback_target: str | None = Field(default=None, max_length=40)


class MenuOptionOut(Output):
    key: str
    action: str
    target: str | None


class MenuOut(Output):
    options: list[MenuOptionOut]


class IvrOut(Output):
    id: str
    name: str
    status: str
    greeting: str
    language: str
    tts_voice_id: str | None
    menu: MenuOut
    options_count: int
    timeout_seconds: int
    max_retries: int
    fallback_action: str
    fallback_target: str | None
    created_at: Timestamp
    updated_at: Timestamp
