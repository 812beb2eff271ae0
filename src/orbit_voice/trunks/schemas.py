from __future__ import annotations

from pydantic import Field

from orbit_voice.api.schemas import Input, Output, Timestamp
from orbit_voice.media.backend import Encryption

# Canonical spelling, in no particular order; a trunk lists its own in priority order.
KNOWN_CODECS = ("PCMU", "PCMA", "G722", "G729", "GSM", "iLBC", "speex", "OPUS", "AMR", "AMR-WB")
DEFAULT_CODECS = ["PCMU", "PCMA", "OPUS"]
MAX_ORIGINATION_URIS = 20

_URI_DOC = "sip: or sips: URI: host, optional port 1..65535, optional ;params"


class TrunkCreate(Input):
    name: str = Field(min_length=1, max_length=200, description="A descriptive name")
    termination_uri: str = Field(description=f"Outbound routing target; {_URI_DOC}")
    origination_uris: list[str] = Field(
        default_factory=list,
        max_length=MAX_ORIGINATION_URIS,
        description=f"Where inbound calls may come from; each a {_URI_DOC}",
    )
    auth_username: str | None = Field(default=None, min_length=1, max_length=255)
    auth_password: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Write-only: stored encrypted, never returned",
    )
    codecs: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CODECS),
        description=f"Priority order; any of {', '.join(KNOWN_CODECS)}",
    )
    encryption: Encryption = "tls_srtp"
    is_default: bool | None = Field(
        default=None,
        description="Calls from numbers without a trunk use the default; an org's first "
        "trunk is its default",
    )
    carrier: str | None = Field(default=None, min_length=1, max_length=200)


class TrunkUpdate(Input):
    """Fields left out keep their value; ``auth_password: null`` removes the password."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    termination_uri: str | None = None
    origination_uris: list[str] | None = Field(default=None, max_length=MAX_ORIGINATION_URIS)
    auth_username: str | None = Field(default=None, min_length=1, max_length=255)
    auth_password: str | None = Field(default=None, min_length=1, max_length=255)
    codecs: list[str] | None = None
    encryption: Encryption | None = None
    is_default: bool | None = None
    carrier: str | None = Field(default=None, min_length=1, max_length=200)


class TrunkOut(Output):
    id: str
    name: str
    termination_uri: str
    origination_uris: list[str]
    auth_username: str | None
    has_auth_password: bool
    codecs: list[str]
    encryption: str
    is_default: bool
    carrier: str | None
    status: str
    created_at: Timestamp
    updated_at: Timestamp
