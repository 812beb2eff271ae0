"""Where an answered outbound call created with ``ivr_id`` or ``agent_id`` enters routing
(inbound calls enter through their number: ``numbers.inbound``)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.lifecycle import LegAnswered
from orbit_voice.calls.state import record_event
from orbit_voice.routing.executor import run_action
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.routing.entry")


async def route_answered_outbound(session: AsyncSession, rt: Runtime, event: LegAnswered) -> None:
    """An outbound call created with ``ivr_id`` runs that IVR once the far end answers; one
    created with ``agent_id`` is connected to that agent (as a number's agent handler would)."""
    call = event.call
    if not (call.ivr_id or call.agent_id):
        return
    if call.direction != "outbound" or call.parent_call_id is not None or call.leg_role:
        return
    if call.agent_id and not call.ivr_id:
        await run_action(session, rt, call, "agent", call.agent_id)
    elif call.ivr_id:
        await record_event(
            session,
            call,
            "call.routed",
            rt.clock.now(),
            data={"handler": {"type": "ivr", "target": call.ivr_id}},
        )
        await run_action(session, rt, call, "ivr", call.ivr_id)
