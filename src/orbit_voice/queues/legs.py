"""Dialling the legs routing adds to a call (an agent's phone, a ring-group member).

Like the transfer legs of ``calls.service``: a child call of the customer's call, shown in
the calls list with ``parent_call_id`` and ``leg_role``, dialled once its row is committed.
"""

from __future__ import annotations

import contextlib

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call
from orbit_voice.calls.state import record_event
from orbit_voice.db import after_commit
from orbit_voice.kit.ids import new_id
from orbit_voice.media.backend import MediaError, MediaEvent, MediaEventKind, OriginateRequest
from orbit_voice.runtime import Runtime

AGENT_ROLE = "agent"
RING_GROUP_ROLE = "ring_group"
ROLES = frozenset({AGENT_ROLE, RING_GROUP_ROLE})


async def spawn_leg(
    session: AsyncSession,
    rt: Runtime,
    parent: Call,
    *,
    to: str,
    role: str,
    ring_timeout: float,
    agent_id: str | None = None,
) -> Call:
    now = rt.clock.now()
    leg = Call(
        id=new_id("call"),
        org_id=parent.org_id,
        direction="outbound",
        to=to,
        # The member's phone shows who is calling, as a forwarded call would.
        from_=parent.from_,
        agent_id=agent_id,
        webhook_url=parent.webhook_url,
        record=False,
        max_duration=parent.max_duration,
        metadata_={},
        status="initiating",
        backend=parent.backend,
        muted=False,
        on_hold=False,
        parent_call_id=parent.id,
        leg_role=role,
        created_at=now,
        updated_at=now,
    )
    session.add(leg)
    await session.flush()
    await record_event(session, leg, "call.initiated", now, to_status="initiating")
    request = OriginateRequest(
        leg_id=leg.id, org_id=leg.org_id, to=to, from_=leg.from_, ring_timeout=ring_timeout
    )
    backend = rt.media.get(leg.backend)

    async def dial() -> None:
        try:
            await backend.originate(request)
        except MediaError as exc:
            await rt.media.dispatch(
                MediaEvent(leg.id, MediaEventKind.FAILED, {"cause": exc.code, "sip_code": None})
            )

    after_commit(session, dial)
    return leg


async def drop_leg(session: AsyncSession, rt: Runtime, leg: Call, *, end_reason: str) -> None:
    """Hang up a leg we no longer need (a ring-group loser, an agent leg of an ended call)."""
    from orbit_voice.calls import service as calls
    from orbit_voice.calls.state import TERMINAL

    if leg.status in TERMINAL:
        return
    with contextlib.suppress(MediaError):
        await rt.media.get(leg.backend).hangup(leg.id)
    final = "completed" if leg.status == "in_progress" else "cancelled"
    await calls.end(session, rt, leg, final, end_reason=end_reason)
