"""Field types shared by the request and response schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer

from orbit_voice.kit.phone import normalize_e164
from orbit_voice.kit.timeutil import iso

Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str)]
E164 = Annotated[str, AfterValidator(normalize_e164)]


class Input(BaseModel):
    """Request bodies refuse unknown fields so typos are reported, not ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Output(BaseModel):
    model_config = ConfigDict(populate_by_name=True, from_attributes=True)
