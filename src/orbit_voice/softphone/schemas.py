from __future__ import annotations

from typing import Any

from pydantic import Field

from orbit_voice.api.schemas import E164, Input, Output, Timestamp

DEFAULT_TTL = 60
MAX_TTL = 3600


class TokenCreate(Input):
    extension_id: str = Field(description="The extension (ext_...) the softphone acts as")
    ttl_seconds: int = Field(
        default=DEFAULT_TTL, ge=1, le=MAX_TTL, description="Lifetime, 1..3600 seconds"
    )


class TokenOut(Output):
    token: str = Field(description="HS256 JWT; send it as `Authorization: Bearer <token>`")
    expires_at: Timestamp
    extension_id: str


class DialIn(Input):
    to: E164 = Field(description="Destination phone number in E.164 format")
    extension_id: str | None = Field(
        default=None,
        description="Required with an API key; with a softphone token it defaults to (and "
        "must equal) the token's extension",
    )
    webhook_url: str | None = Field(default=None, max_length=2048)
    record: bool = False
    metadata: dict[str, Any] = Field(default_factory=dict)
