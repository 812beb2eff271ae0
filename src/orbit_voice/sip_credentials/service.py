"""SIP credentials: a username and password (kept only as digest HA1 hashes) owning one
extension. Passwords are shown once, at create and at rotate."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.errors import Conflict, Invalid, not_found
from orbit_voice.kit.clock import Clock
from orbit_voice.kit.ids import new_id, random_token
from orbit_voice.numbers import service as numbers
from orbit_voice.sip_credentials import repository as repo
from orbit_voice.sip_credentials.models import Extension, SipCredential
from orbit_voice.sip_credentials.schemas import (
    GENERATED_PASSWORD_LENGTH,
    SipCredentialCreate,
    SipCredentialOut,
    SipCredentialUpdate,
    SipCredentialWithPassword,
)


def digest_ha1(username: str, realm: str, password: str) -> tuple[str, str]:
    """HA1 = H(username:realm:password) with MD5 (RFC 2617) and SHA-256 (RFC 7616), so the
    registrar can answer either digest algorithm without ever holding the password."""
    a1 = f"{username}:{realm}:{password}".encode()
    return hashlib.md5(a1, usedforsecurity=False).hexdigest(), hashlib.sha256(a1).hexdigest()


def register_state(credential: SipCredential, now: datetime) -> str:
    live = credential.contact and credential.expires_at and credential.expires_at > now
    return "registered" if live else "unregistered"


def to_out(credential: SipCredential, extension: Extension, now: datetime) -> SipCredentialOut:
    return SipCredentialOut(**_fields(credential, extension, now))


def _fields(credential: SipCredential, extension: Extension, now: datetime) -> dict[str, Any]:
    registered = register_state(credential, now) == "registered"
    return {
        "id": credential.id,
        "username": credential.username,
        "realm": credential.realm,
        "extension_id": extension.id,
        "extension": extension.extension,
        "caller_id": extension.caller_id,
        "display_name": extension.display_name,
        "register_state": "registered" if registered else "unregistered",
        "contact": credential.contact if registered else None,
        "expires_at": credential.expires_at if registered else None,
        "user_agent": credential.user_agent if registered else None,
        "password_rotated_at": credential.password_rotated_at,
        "created_at": credential.created_at,
        "updated_at": credential.updated_at,
    }


def with_password(
    credential: SipCredential, extension: Extension, password: str, now: datetime
) -> SipCredentialWithPassword:
    return SipCredentialWithPassword(**_fields(credential, extension, now), password=password)


async def _caller_id_owned(session: AsyncSession, org_id: str, caller_id: str | None) -> None:
    if caller_id is not None and await numbers.find_owned(session, org_id, caller_id) is None:
        raise Invalid(
            f"{caller_id} is not a number registered in your account.",
            code="caller_id_not_owned",
            param="caller_id",
        )


async def _extension_free(
    session: AsyncSession, org_id: str, number: str, except_id: str | None = None
) -> None:
    taken = await repo.extension_by_number(session, org_id, number)
    if taken is not None and taken.id != except_id:
        raise Conflict(
            f"Extension {number} is already in use in your org.",
            code="extension_taken",
            param="extension",
        )


async def _flush_unique(session: AsyncSession) -> None:
    """Flush; a concurrent insert that won the unique race becomes a 409, not a 500 (the
    request's transaction then rolls back whole, so nothing is half-written)."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "The username or extension was just taken by another request.",
            code="sip_credential_conflict",
        ) from exc


async def create(
    session: AsyncSession, clock: Clock, realm: str, org_id: str, body: SipCredentialCreate
) -> tuple[SipCredential, Extension, str]:
    if await repo.credential_by_username(session, org_id, body.username) is not None:
        raise Conflict(
            f"The username '{body.username}' is already in use in your org.",
            code="username_taken",
            param="username",
        )
    await _extension_free(session, org_id, body.extension)
    await _caller_id_owned(session, org_id, body.caller_id)
    password = body.password or random_token(GENERATED_PASSWORD_LENGTH)
    ha1_md5, ha1_sha256 = digest_ha1(body.username, realm, password)
    now = clock.now()
    credential = SipCredential(
        id=new_id("cred"),
        org_id=org_id,
        username=body.username,
        realm=realm,
        ha1_md5=ha1_md5,
        ha1_sha256=ha1_sha256,
        password_rotated_at=now,
        created_at=now,
        updated_at=now,
    )
    extension = Extension(
        id=new_id("ext"),
        org_id=org_id,
        extension=body.extension,
        credential_id=credential.id,
        caller_id=body.caller_id,
        display_name=body.display_name,
        created_at=now,
        updated_at=now,
    )
    # No ORM relationship orders the inserts, so flush the credential before its extension.
    session.add(credential)
    await _flush_unique(session)
    session.add(extension)
    await _flush_unique(session)
    return credential, extension, password


async def get(
    session: AsyncSession, org_id: str, credential_id: str
) -> tuple[SipCredential, Extension]:
    credential = await repo.get_credential(session, org_id, credential_id)
    extension = await repo.extension_of(session, org_id, credential_id) if credential else None
    if credential is None or extension is None:
        raise not_found("sip_credential", credential_id)
    return credential, extension


async def list_(
    session: AsyncSession, org_id: str, params: PageParams
) -> tuple[list[tuple[SipCredential, Extension]], Pagination]:
    rows, pagination = await paginate(
        session,
        repo.list_credentials(org_id),
        SipCredential.created_at,
        SipCredential.id,
        params,
    )
    extensions = await repo.extensions_of(session, org_id, [c.id for c in rows])
    return [(c, extensions[c.id]) for c in rows if c.id in extensions], pagination


async def update(
    session: AsyncSession, clock: Clock, org_id: str, credential_id: str, body: SipCredentialUpdate
) -> tuple[SipCredential, Extension]:
    credential, extension = await get(session, org_id, credential_id)
    given = body.model_fields_set
    if "extension" in given:
        if body.extension is None:
            raise Invalid("extension: may not be null.", param="extension")
        await _extension_free(session, org_id, body.extension, except_id=extension.id)
        extension.extension = body.extension
    if "caller_id" in given:
        await _caller_id_owned(session, org_id, body.caller_id)
        extension.caller_id = body.caller_id
    if "display_name" in given:
        extension.display_name = body.display_name
    now = clock.now()
    extension.updated_at = credential.updated_at = now
    await _flush_unique(session)
    return credential, extension


async def rotate(
    session: AsyncSession, clock: Clock, realm: str, org_id: str, credential_id: str
) -> tuple[SipCredential, Extension, str]:
    """A new generated password; the old one stops working at once. The credential moves to
    the server's current realm."""
    credential, extension = await get(session, org_id, credential_id)
    password = random_token(GENERATED_PASSWORD_LENGTH)
    credential.realm = realm
    credential.ha1_md5, credential.ha1_sha256 = digest_ha1(credential.username, realm, password)
    now = clock.now()
    credential.password_rotated_at = credential.updated_at = now
    await session.flush()
    return credential, extension, password


async def delete(session: AsyncSession, org_id: str, credential_id: str) -> None:
    credential, extension = await get(session, org_id, credential_id)
    try:
        await session.delete(extension)
        await session.flush()
        await session.delete(credential)
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "This credential's extension is still referenced (e.g. by a ring group); "
            "remove it there first.",
            code="extension_in_use",
            details={"extension_id": extension.id},
        ) from exc


# -- used by other domains ------------------------------------------------------------


async def find_extension(session: AsyncSession, org_id: str, extension_id: str) -> Extension | None:
    """The org's extension with this ``ext_`` id, or None (another org's is None too)."""
    return await repo.get_extension(session, org_id, extension_id)
