"""Softphone tokens: short-lived HS256 JWTs bound to one extension, and the dial they allow.

Claims: ``sub`` (extension id), ``org``, ``mode`` (test|live, from the API key that minted
it, so the call uses the same media backend), ``iat``, ``exp``, ``jti`` (unique), ``aud``.
Expiry is checked against the injectable clock, never the wall clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls import service as calls
from orbit_voice.calls.models import Call
from orbit_voice.calls.schemas import CallCreate
from orbit_voice.errors import Invalid, Unauthorized
from orbit_voice.numbers import service as numbers
from orbit_voice.orgs.service import AuthContext
from orbit_voice.runtime import Runtime
from orbit_voice.sip_credentials.models import Extension
from orbit_voice.sip_credentials.service import find_extension
from orbit_voice.softphone.schemas import DialIn

ALGORITHM = "HS256"
AUDIENCE = "orbit-voice:softphone"
ISSUER = "orbit-voice"


@dataclass(frozen=True)
class Minted:
    token: str
    expires_at: datetime
    extension_id: str


@dataclass(frozen=True)
class SoftphoneIdentity:
    org_id: str
    extension_id: str
    mode: str
    jti: str


async def mint(
    session: AsyncSession, rt: Runtime, auth: AuthContext, extension_id: str, ttl_seconds: int
) -> Minted:
    if await find_extension(session, auth.org_id, extension_id) is None:
        raise Invalid(
            f"No extension with id '{extension_id}'.",
            code="extension_not_found",
            param="extension_id",
        )
    iat = rt.clock.now().replace(microsecond=0)
    exp = iat + timedelta(seconds=ttl_seconds)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": extension_id,
        "org": auth.org_id,
        "mode": auth.mode,
        "iat": int(iat.timestamp()),
        "exp": int(exp.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, rt.settings.softphone_jwt_secret, algorithm=ALGORITHM)
    return Minted(token=token, expires_at=exp, extension_id=extension_id)


def _unauthorized(message: str, code: str = "invalid_token") -> Unauthorized:
    return Unauthorized(message, code=code)


async def verify(session: AsyncSession, rt: Runtime, token: str) -> SoftphoneIdentity:
    """The token's identity, or 401: bad signature, another algorithm (``none`` included),
    missing claims, expired by the server's clock, or an extension its org does not hold."""
    try:
        claims = jwt.decode(
            token,
            rt.settings.softphone_jwt_secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=0,
            options={
                "require": ["sub", "org", "mode", "iat", "exp", "jti"],
                # Time is checked below against the injectable clock.
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise _unauthorized("The softphone token is not valid.") from exc
    now = rt.clock.now().timestamp()
    try:
        exp, iat = float(claims["exp"]), float(claims["iat"])
        sub, org, mode, jti = (str(claims[k]) for k in ("sub", "org", "mode", "jti"))
    except (TypeError, ValueError) as exc:
        raise _unauthorized("The softphone token is not valid.") from exc
    if now >= exp:
        raise _unauthorized("The softphone token has expired.", code="token_expired")
    if iat > now or mode not in {"test", "live"}:
        raise _unauthorized("The softphone token is not valid.")
    if await find_extension(session, org, sub) is None:
        raise _unauthorized("The softphone token's extension does not exist in its org.")
    return SoftphoneIdentity(org_id=org, extension_id=sub, mode=mode, jti=jti)


async def _extension_for_dial(
    session: AsyncSession, org_id: str, extension_id: str | None
) -> Extension:
    if extension_id is None:
        raise Invalid("extension_id: required when dialling with an API key.", param="extension_id")
    extension = await find_extension(session, org_id, extension_id)
    if extension is None:
        raise Invalid(
            f"No extension with id '{extension_id}'.",
            code="extension_not_found",
            param="extension_id",
        )
    return extension


async def dial(
    session: AsyncSession,
    rt: Runtime,
    auth: AuthContext,
    body: DialIn,
    token_extension_id: str | None,
) -> Call:
    """Place a call to ``body.to`` from the extension's caller id (an org number)."""
    if token_extension_id is not None:
        if body.extension_id not in (None, token_extension_id):
            raise Invalid(
                "extension_id: differs from the extension the softphone token was issued for.",
                code="extension_mismatch",
                param="extension_id",
            )
        extension_id: str | None = token_extension_id
    else:
        extension_id = body.extension_id
    extension = await _extension_for_dial(session, auth.org_id, extension_id)
    if extension.caller_id is None:
        raise Invalid(
            f"Extension {extension.extension} has no caller_id; set one with "
            "PUT /v1/voice/sip-credentials/{id}.",
            code="caller_id_not_set",
            param="extension_id",
        )
    if await numbers.find_owned(session, auth.org_id, extension.caller_id) is None:
        raise Invalid(
            f"The extension's caller_id {extension.caller_id} is no longer one of your numbers.",
            code="caller_id_not_owned",
            param="extension_id",
        )
    create = CallCreate.model_validate(
        {
            "to": body.to,
            "from": extension.caller_id,
            "webhook_url": body.webhook_url,
            "record": body.record,
            "metadata": {**body.metadata, "softphone_extension_id": extension.id},
        }
    )
    return await calls.create(session, rt, auth, create)
