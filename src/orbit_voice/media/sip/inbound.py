"""Inbound SIP: one entry point, ``handle_invite``, from an INVITE to a ringing call.

The engine feeds it every INVITE it receives; a SIP edge (Kamailio, later) can feed it the
same way. An INVITE is trusted when its source host is one of a trunk's origination URIs;
the org is the trunk's, and the number dialled must be one of that org's numbers. The
trunk's ``encryption`` is then held against how the INVITE came (the transport the engine
received it on, not its Via); when several of the org's trunks list the source, the least
strict one applies:

    unknown source       ─► 403 Forbidden             (no row written)
    unknown number       ─► 404 Not Found             (no row written)
    tls/tls_srtp trunk,
      not over TLS       ─► 403 "TLS Required"        (no row written)
    tls_srtp trunk,
      no SRTP offered    ─► 488 "SRTP Required"       (no row written)
    otherwise            ─► 180 Ringing, an inbound call (status ringing), routed by the
                            number's handler; accept answers 200, decline 486 Busy Here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls import repository as calls_repo
from orbit_voice.calls.lifecycle import InboundRinging, bus
from orbit_voice.calls.models import Call
from orbit_voice.calls.state import record_event, transition
from orbit_voice.db import pop_after_commit
from orbit_voice.kit.ids import new_id
from orbit_voice.media.backend import InboundLeg, LegNotFound
from orbit_voice.media.sip.types import SipInvite
from orbit_voice.numbers.models import Number
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.media.sip.inbound")

_HOST = re.compile(r"^sips?:(?:[^@;?]+@)?(?P<host>\[[^\]]+\]|[^:;?]+)", re.IGNORECASE)


def uri_host(uri: str) -> str | None:
    match = _HOST.match(uri.strip())
    return match["host"].strip("[]").lower() if match else None


async def _addresses(host: str) -> set[str]:
    try:
        return {str(ipaddress.ip_address(host))}
    except ValueError:
        pass
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_DGRAM), 2
        )
    except (OSError, TimeoutError, UnicodeError):
        return set()
    return {str(info[4][0]) for info in infos}


# From least to most strict: an org's weakest trunk for a source decides what it must meet.
_STRICTNESS = {"none": 0, "tls": 1, "tls_srtp": 2}


async def trusted_orgs(session: AsyncSession, source_host: str) -> dict[str, str]:
    """Orgs with a trunk whose origination URIs include ``source_host`` (by name or address),
    each with the least strict ``encryption`` among those trunks."""
    try:
        from orbit_voice.trunks.models import Trunk
    except ImportError:
        return {}
    source = source_host.strip("[]").lower()
    source_ips = await _addresses(source)
    orgs: dict[str, str] = {}
    # Every trunk is read: origination URIs are a JSON list, and matching needs DNS anyway.
    rows = await session.execute(select(Trunk.org_id, Trunk.origination_uris, Trunk.encryption))
    for org_id, uris, encryption in rows.all():
        for uri in uris or []:
            host = uri_host(str(uri))
            if host is None:
                continue
            if host == source or (source_ips and source_ips & await _addresses(host)):
                level = _STRICTNESS.get(encryption, 2)
                if org_id not in orgs or level < _STRICTNESS.get(orgs[org_id], 2):
                    orgs[org_id] = encryption
                break
    return orgs


def encryption_refusal(encryption: str, invite: SipInvite) -> tuple[int, str] | None:
    """The SIP status (and reason phrase) refusing an INVITE that does not meet its trunk's
    ``encryption``, or None when it does."""
    if encryption == "none":
        return None
    if not invite.secure:
        return 403, "TLS Required"
    if encryption != "tls" and not invite.srtp_offered:
        return 488, "SRTP Required"  # tls_srtp (or an unknown value)
    return None


def dialled_number(invite: SipInvite) -> str | None:
    from orbit_voice.kit.phone import normalize_e164

    for user in (invite.request_user, invite.to_user):
        if not user:
            continue
        candidate = user if user.startswith("+") else f"+{user}"
        try:
            return normalize_e164(candidate)
        except ValueError:
            continue
    return None


def caller_id(user: str) -> str:
    from orbit_voice.kit.phone import normalize_e164

    try:
        return normalize_e164(user if user.startswith("+") else f"+{user}")
    except ValueError:
        return (user or "anonymous")[:40]


async def handle_invite(rt: Runtime, invite: SipInvite) -> int:
    """Decide an INVITE; returns the SIP status it was given (180, 403, 404, 487 or 488)."""
    from orbit_voice.media.sip.adapter import SipBackend

    backend = rt.media.backends.get("sip")
    if not isinstance(backend, SipBackend):
        return 503
    async with rt.sessionmaker() as session:
        orgs = await trusted_orgs(session, invite.source_host)
        if not orgs:
            log.info("INVITE from untrusted source %s refused", invite.source_host)
            await backend.refuse(invite.token, 403)
            return 403
        e164 = dialled_number(invite)
        number = None
        if e164 is not None:
            number = (
                await session.execute(
                    select(Number).where(Number.number == e164, Number.org_id.in_(orgs))
                )
            ).scalar_one_or_none()
        if number is None:
            await backend.refuse(invite.token, 404)
            return 404
        refusal = encryption_refusal(orgs[number.org_id], invite)
        if refusal is not None:
            code, reason = refusal
            log.info(
                "INVITE from %s over %s refused %d: the trunk's encryption is %s",
                invite.source_host,
                invite.transport or "an unknown transport",
                code,
                orgs[number.org_id],
            )
            await backend.refuse(invite.token, code, reason)
            return code
        call = await _create_call(session, rt, number, invite)
        await session.commit()
        hooks = pop_after_commit(session)
    leg = InboundLeg(
        leg_id=call.id,
        org_id=call.org_id,
        from_=call.from_,
        to=call.to,
        ring_timeout=rt.settings.sip_ring_timeout_seconds,
    )
    try:
        await backend.claim(invite.token, leg)
    except LegNotFound:  # the caller gave up while the row was being written
        await _caller_gone(rt, call.id)
        return 487
    for hook in hooks:
        await hook()
    return 180


async def _create_call(
    session: AsyncSession, rt: Runtime, number: Number, invite: SipInvite
) -> Call:
    now = rt.clock.now()
    call = Call(
        id=new_id("call"),
        org_id=number.org_id,
        direction="inbound",
        to=number.number,
        from_=caller_id(invite.from_user),
        webhook_url=None,
        record=False,
        max_duration=3600,
        metadata_={},
        status="initiating",
        backend="sip",
        node_id=rt.settings.node_id,
        sip_call_id=invite.sip_call_id[:255],
        muted=False,
        on_hold=False,
        created_at=now,
        updated_at=now,
    )
    session.add(call)
    await session.flush()
    await record_event(session, call, "call.initiated", now, to_status="initiating")
    await transition(session, call, "ringing", now, sip_code=180)
    await bus.publish(session, rt, InboundRinging(call))
    return call


async def _caller_gone(rt: Runtime, call_id: str) -> None:
    from orbit_voice.calls import service as calls

    async with rt.sessionmaker() as session:
        call = await calls_repo.get_call(session, None, call_id, lock=True)
        if call is not None and call.status == "ringing":
            await calls.end(
                session, rt, call, "cancelled", end_reason="caller_hangup", sip_code=487
            )
        await session.commit()


def install(rt: Runtime) -> None:
    """Route the SIP engine's INVITEs (if it is configured) through ``handle_invite``."""
    from orbit_voice.media.sip.adapter import SipBackend

    backend = rt.media.backends.get("sip")
    if isinstance(backend, SipBackend):

        async def on_invite(invite: SipInvite) -> None:
            await handle_invite(rt, invite)

        backend.set_invite_handler(on_invite)
