"""Which trunk a live call leaves through, as the engine needs it (URI, credentials, codecs,
encryption).

The trunks domain owns the rules (the ``from`` number's trunk, else the org's default trunk)
and the password's encryption; this only packs its answer for ``OriginateRequest``.
"""

from __future__ import annotations

from typing import get_args

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.config import Settings
from orbit_voice.errors import Invalid
from orbit_voice.media.backend import Encryption, TrunkRoute

_ENCRYPTIONS: tuple[Encryption, ...] = get_args(Encryption)


def encryption_of(value: str) -> Encryption:
    """A stored ``encryption``; anything unknown is treated as the strictest, never as none."""
    return next((e for e in _ENCRYPTIONS if e == value), "tls_srtp")


async def trunk_route(
    session: AsyncSession, settings: Settings, org_id: str, from_number: str
) -> TrunkRoute | None:
    try:
        from orbit_voice.trunks.service import decrypt_password, trunk_for_call
    except ImportError:  # trunks not installed on this server
        return None
    trunk = await trunk_for_call(session, org_id, from_number)
    if trunk is None:
        return None
    return TrunkRoute(
        trunk_id=trunk.id,
        termination_uri=trunk.termination_uri,
        username=trunk.auth_username,
        password=decrypt_password(settings, trunk),
        codecs=tuple(str(c) for c in trunk.codecs or ()),
        encryption=encryption_of(trunk.encryption),
    )


async def require_trunk(
    session: AsyncSession, settings: Settings, org_id: str, from_number: str, *, param: str
) -> TrunkRoute:
    route = await trunk_route(session, settings, org_id, from_number)
    if route is None:
        raise Invalid(
            "Your account has no SIP trunk to place this call through; create one with "
            "POST /v1/voice/sip-trunks (the first trunk becomes the default).",
            code="no_trunk",
            param=param,
        )
    return route
