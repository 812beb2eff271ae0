from __future__ import annotations

from typing import Literal

from pydantic import Field

from orbit_voice.api.schemas import E164, Input, Output, Timestamp

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._~+-]{2,63}$"
EXTENSION_PATTERN = r"^[0-9]{2,16}$"
MIN_PASSWORD = 12
GENERATED_PASSWORD_LENGTH = 24


class SipCredentialCreate(Input):
    username: str = Field(
        pattern=USERNAME_PATTERN,
        description="3..64 of A-Z a-z 0-9 . _ ~ + -; unique in your org",
    )
    extension: str = Field(
        pattern=EXTENSION_PATTERN, description="The extension number, 2..16 digits"
    )
    password: str | None = Field(
        default=None,
        min_length=MIN_PASSWORD,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Leave out to have a strong one generated; shown once either way",
    )
    caller_id: E164 | None = Field(
        default=None, description="One of your numbers: the caller id of calls it places"
    )
    display_name: str | None = Field(default=None, min_length=1, max_length=200)


class SipCredentialUpdate(Input):
    """Fields left out keep their value; ``caller_id``/``display_name`` null clear them."""

    extension: str | None = Field(default=None, pattern=EXTENSION_PATTERN)
    caller_id: E164 | None = None
    display_name: str | None = Field(default=None, min_length=1, max_length=200)


class SipCredentialOut(Output):
    id: str
    username: str
    realm: str
    extension_id: str
    extension: str
    caller_id: str | None
    display_name: str | None
    register_state: Literal["registered", "unregistered"]
    contact: str | None
    expires_at: Timestamp | None
    user_agent: str | None
    password_rotated_at: Timestamp
    created_at: Timestamp
    updated_at: Timestamp


class SipCredentialWithPassword(SipCredentialOut):
    password: str = Field(description="Shown only in this response; store it now")
