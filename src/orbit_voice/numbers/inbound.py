"""Inbound calls to a number: after a short ring that lets the API accept or decline the call
first, the number's handler (or its off-hours handler, when its calendar says closed) runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calendars import service as calendars
from orbit_voice.calls import repository as calls_repo
from orbit_voice.calls.lifecycle import InboundRinging
from orbit_voice.calls.models import Call
from orbit_voice.calls.state import record_event
from orbit_voice.db import after_commit
from orbit_voice.numbers import service as numbers
from orbit_voice.routing.executor import ensure_answered, run_action
from orbit_voice.routing.jobs import run_job
from orbit_voice.runtime import Runtime


async def schedule_inbound(session: AsyncSession, rt: Runtime, event: InboundRinging) -> None:
    """Once the ringing call is saved, give the API ``routing_ring_seconds`` to take it."""
    call_id = event.call.id

    async def ring_then_route() -> None:
        await rt.clock.sleep(rt.settings.routing_ring_seconds)

        async def job(session: AsyncSession) -> None:
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
