"""Where calls enter routing: an inbound call to a number with a handler (after a short ring
that lets the API accept or decline it first), and an answered outbound call created with
``ivr_id`` or ``agent_id``."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call
from orbit_voice.calls.state import record_event
from orbit_voice.db import after_commit
from orbit_voice.routing.executor import ensure_answered, run_action
from orbit_voice.routing.jobs import run_job
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.routing.entry")


def schedule_inbound(session: AsyncSession, rt: Runtime, call: Call) -> None:
    """Once the ringing call is saved, give the API ``routing_ring_seconds`` to take it."""
    call_id = call.id

    async def ring_then_route() -> None:
        await rt.clock.sleep(rt.settings.routing_ring_seconds)

        async def job(session: AsyncSession) -> None:
            from orbit_voice.calls import repository as calls_repo

            current = await calls_repo.get_call(session, None, call_id, lock=True)
            if current is None or current.status != "ringing" or current.direction != "inbound":
                return  # accepted, declined or abandoned meanwhile
            await route_inbound(session, rt, current)

        await run_job(rt, job, what="inbound routing", call_id=call_id)

    async def spawn() -> None:
        rt.clock.spawn(ring_then_route())

    after_commit(session, spawn)


async def choose_handler(
    session: AsyncSession, rt: Runtime, org_id: str, to: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The handler for a call to ``to`` right now, and why; None when the number has none."""
    from orbit_voice.calendars import service as calendars
    from orbit_voice.numbers import service as numbers

    number = await numbers.find_owned(session, org_id, to)
    if number is None:
        return None
    handler = number.handler
    why: dict[str, Any] = {"number_id": number.id}
    if number.calendar_id:
        calendar = await calendars.find(session, org_id, number.calendar_id)
        is_open = calendar is None or calendars.is_open(calendar, rt.clock.now())
        why.update(calendar_id=number.calendar_id, calendar_open=is_open)
        if not is_open and number.off_hours_handler:
            handler = number.off_hours_handler
    return (dict(handler), why) if handler else None


async def route_inbound(session: AsyncSession, rt: Runtime, call: Call) -> None:
    chosen = await choose_handler(session, rt, call.org_id, call.to)
    if chosen is None:
        return  # no handler: the call keeps ringing for the API, as before routing existed
    handler, why = chosen
    if not await ensure_answered(session, rt, call):
        return
    await record_event(
        session,
        call,
        "call.routed",
        rt.clock.now(),
        data={"handler": handler, **why},
    )
    await run_action(session, rt, call, str(handler["type"]), handler.get("target"))


async def route_answered_outbound(session: AsyncSession, rt: Runtime, call: Call) -> None:
    """An outbound call created with ``ivr_id`` runs that IVR once the far end answers; one
    created with ``agent_id`` is connected to that agent (as a number's agent handler would)."""
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
