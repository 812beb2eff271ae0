"""Where a live call goes, as the engine needs it: a trunk (URI, credentials, codecs,
encryption) or an agent's own SIP URI.

The trunks domain owns the trunk rules (the ``from`` number's trunk, else the org's default
trunk) and the password's encryption; the agents domain owns an agent's contact. This only
packs their answers for ``OriginateRequest``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.config import Settings
from orbit_voice.errors import Invalid
from orbit_voice.media.backend import DirectRoute, Encryption, TrunkRoute

if TYPE_CHECKING:
    from orbit_voice.agents.models import Agent

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


async def agent_route(
    session: AsyncSession, settings: Settings, agent: Agent, from_number: str, *, param: str
) -> TrunkRoute | DirectRoute:
    """A human agent's phone on a live call: its ``sip_uri`` as-is, else its ``phone_number``
    through the org's trunk. With neither there is nothing to ring (the engine is a user
    agent, not a registrar), so 422 ``agent_unreachable`` naming ``param``."""
    if agent.sip_uri:
        return DirectRoute(agent.sip_uri)
    if agent.phone_number:
        trunk = await require_trunk(session, settings, agent.org_id, from_number, param=param)
        return replace(trunk, number=agent.phone_number)
    raise Invalid(
        f"Agent {agent.id} has no sip_uri or phone_number, so a live call cannot ring it; "
        f"give it one with PUT /v1/voice/agents/{agent.id}.",
        code="agent_unreachable",
        param=param,
        details={"agent_id": agent.id},
    )


async def live_route(
    session: AsyncSession,
    settings: Settings,
    org_id: str,
    to: str,
    from_number: str,
    *,
    param: str,
) -> TrunkRoute | DirectRoute | None:
    """Where a live leg to ``to`` goes: a phone number through the org's trunk (422
    ``no_trunk``), an agent to its own contact (422 ``agent_unreachable``). None for targets
    the engine cannot reach yet (extensions register with the later SIP edge): their legs
    fail when dialled (``unroutable_destination``)."""
    if to.startswith("+"):
        return await require_trunk(session, settings, org_id, from_number, param=param)
    if to.startswith("agt_"):
        from orbit_voice.agents.service import get

        agent = await get(session, org_id, to, param)
        return await agent_route(session, settings, agent, from_number, param=param)
    return None
