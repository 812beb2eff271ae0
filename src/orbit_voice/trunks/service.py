"""SIP trunks: validation, the org's default trunk, encrypted passwords, and which trunk a
call leaves through."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.config import Settings
from orbit_voice.errors import Conflict, Invalid, not_found
from orbit_voice.kit import secretbox
from orbit_voice.kit.clock import Clock
from orbit_voice.kit.ids import new_id
from orbit_voice.kit.sipuri import normalize_sip_uri, transport_param
from orbit_voice.trunks import repository as repo
from orbit_voice.trunks.models import Trunk
from orbit_voice.trunks.schemas import KNOWN_CODECS, TrunkCreate, TrunkOut, TrunkUpdate

_CODECS = {c.upper(): c for c in KNOWN_CODECS}


def to_out(trunk: Trunk) -> TrunkOut:
    return TrunkOut(
        id=trunk.id,
        name=trunk.name,
        termination_uri=trunk.termination_uri,
        origination_uris=list(trunk.origination_uris),
        auth_username=trunk.auth_username,
        has_auth_password=trunk.auth_password_encrypted is not None,
        codecs=list(trunk.codecs),
        encryption=trunk.encryption,
        is_default=trunk.is_default,
        carrier=trunk.carrier,
        status=trunk.status,
        created_at=trunk.created_at,
        updated_at=trunk.updated_at,
    )


def _uri(value: str, param: str) -> str:
    try:
        return normalize_sip_uri(value)
    except ValueError as exc:
        raise Invalid(f"{param}: {exc}.", code="invalid_sip_uri", param=param) from exc


def _uris(values: list[str]) -> list[str]:
    out = [_uri(v, f"origination_uris[{i}]") for i, v in enumerate(values)]
    for i, uri in enumerate(out):
        if uri in out[:i]:
            raise Invalid(
                f"origination_uris[{i}]: {uri} is listed twice.",
                code="duplicate_value",
                param=f"origination_uris[{i}]",
            )
    return out


def _codecs(values: list[str]) -> list[str]:
    if not values:
        raise Invalid("codecs: list at least one codec.", param="codecs")
    out: list[str] = []
    for i, value in enumerate(values):
        codec = _CODECS.get(value.upper())
        if codec is None:
            raise Invalid(
                f"codecs[{i}]: unknown codec '{value}'; use any of {', '.join(KNOWN_CODECS)}.",
                code="unknown_codec",
                param=f"codecs[{i}]",
            )
        if codec in out:
            raise Invalid(
                f"codecs[{i}]: {codec} is listed twice.",
                code="duplicate_value",
                param=f"codecs[{i}]",
            )
        out.append(codec)
    return out


def _encryption_consistent(trunk: Trunk, param: str) -> None:
    """An encrypted trunk is dialled over TLS, so its URI may not ask for another transport
    (``sips:`` or ``;transport=tls`` agree; no transport is made TLS)."""
    transport = transport_param(trunk.termination_uri)
    if trunk.encryption != "none" and transport not in (None, "tls"):
        raise Invalid(
            f"{param}: encryption '{trunk.encryption}' needs TLS signalling, but the "
            f"termination_uri asks for transport={transport}; drop ;transport= (or make it "
            "tls), or set encryption to none.",
            code="encryption_transport_conflict",
            param=param,
        )


def _auth_consistent(trunk: Trunk) -> None:
    if trunk.auth_password_encrypted is not None and trunk.auth_username is None:
        raise Invalid(
            "auth_username: a trunk with an auth_password needs an auth_username.",
            code="auth_username_required",
            param="auth_username",
        )


async def create(
    session: AsyncSession, settings: Settings, clock: Clock, org_id: str, body: TrunkCreate
) -> Trunk:
    now = clock.now()
    first = not await repo.has_trunks(session, org_id)
    trunk = Trunk(
        id=new_id("trunk"),
        org_id=org_id,
        name=body.name,
        termination_uri=_uri(body.termination_uri, "termination_uri"),
        origination_uris=_uris(body.origination_uris),
        auth_username=body.auth_username,
        auth_password_encrypted=secretbox.encrypt(settings.encryption_key, body.auth_password)
        if body.auth_password is not None
        else None,
        codecs=_codecs(body.codecs),
        encryption=body.encryption,
        is_default=first if body.is_default is None else body.is_default or first,
        status="active",
        carrier=body.carrier,
        created_at=now,
        updated_at=now,
    )
    _encryption_consistent(trunk, "termination_uri")
    _auth_consistent(trunk)
    session.add(trunk)
    await session.flush()
    if trunk.is_default and not first:
        await repo.clear_default(session, org_id, trunk.id)
    return trunk


async def get(session: AsyncSession, org_id: str, trunk_id: str, *, lock: bool = False) -> Trunk:
    trunk = await repo.get_trunk(session, org_id, trunk_id, lock=lock)
    if trunk is None:
        raise not_found("trunk", trunk_id)
    return trunk


async def list_(
    session: AsyncSession, org_id: str, params: PageParams
) -> tuple[list[Trunk], Pagination]:
    return await paginate(session, repo.list_trunks(org_id), Trunk.created_at, Trunk.id, params)


_NOT_NULL = ("name", "termination_uri", "origination_uris", "codecs", "encryption", "is_default")


async def update(
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    org_id: str,
    trunk_id: str,
    body: TrunkUpdate,
) -> Trunk:
    trunk = await get(session, org_id, trunk_id, lock=True)
    given: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
    for name in _NOT_NULL:
        if name in given and given[name] is None:
            raise Invalid(f"{name}: may not be null.", param=name)
    if "name" in given:
        trunk.name = given["name"]
    if "termination_uri" in given:
        trunk.termination_uri = _uri(given["termination_uri"], "termination_uri")
    if "origination_uris" in given:
        trunk.origination_uris = _uris(given["origination_uris"])
    if "codecs" in given:
        trunk.codecs = _codecs(given["codecs"])
    if "encryption" in given:
        trunk.encryption = given["encryption"]
    if "carrier" in given:
        trunk.carrier = given["carrier"]
    if "auth_username" in given:
        trunk.auth_username = given["auth_username"]
    if "auth_password" in given:
        password = given["auth_password"]
        trunk.auth_password_encrypted = (
            None if password is None else secretbox.encrypt(settings.encryption_key, password)
        )
    _encryption_consistent(trunk, "termination_uri" if "termination_uri" in given else "encryption")
    _auth_consistent(trunk)
    if given.get("is_default") is True and not trunk.is_default:
        await repo.clear_default(session, org_id, trunk.id)
        trunk.is_default = True
    elif given.get("is_default") is False and trunk.is_default:
        raise Invalid(
            "is_default: this is the org's default trunk; make another trunk the default instead.",
            code="default_trunk_required",
            param="is_default",
        )
    trunk.updated_at = clock.now()
    await session.flush()
    return trunk


async def delete(session: AsyncSession, clock: Clock, org_id: str, trunk_id: str) -> None:
    trunk = await get(session, org_id, trunk_id, lock=True)
    users = await repo.numbers_using(session, org_id, trunk.id)
    if users:
        raise Conflict(
            f"{len(users)} number(s) route through this trunk; move them to another trunk first.",
            code="trunk_in_use",
            details={"number_ids": users},
        )
    if trunk.is_default:
        successor = await repo.oldest_other(session, org_id, trunk.id)
        if successor is not None:
            successor.is_default = True
            successor.updated_at = clock.now()
    await session.delete(trunk)
    await session.flush()


# -- used by other domains ------------------------------------------------------------


def decrypt_password(settings: Settings, trunk: Trunk) -> str | None:
    """The trunk's SIP password for the engine's digest auth; None when it has none (or it
    was stored under another ``ORBIT_ENCRYPTION_KEY``)."""
    if trunk.auth_password_encrypted is None:
        return None
    return secretbox.decrypt(settings.encryption_key, trunk.auth_password_encrypted)


async def trunk_for_call(session: AsyncSession, org_id: str, from_number: str) -> Trunk | None:
    """The trunk a call from ``from_number`` leaves through: the number's own trunk, else the
    org's default trunk, else None (no trunk configured)."""
    own = await repo.trunk_of_number(session, org_id, from_number)
    if own is not None:
        return own
    return await repo.default_trunk(session, org_id)


async def check_in_org(session: AsyncSession, org_id: str, trunk_id: str, param: str) -> None:
    """422 ``trunk_not_found`` unless ``trunk_id`` is one of the org's trunks (for numbers)."""
    if await repo.get_trunk(session, org_id, trunk_id) is None:
        raise Invalid(f"No trunk with id '{trunk_id}'.", code="trunk_not_found", param=param)
