"""A call ringing through a ring group: legs answered, lost, and the fallback."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call
from orbit_voice.calls.state import record_event
from orbit_voice.errors import Invalid
from orbit_voice.queues import actions
from orbit_voice.queues.legs import RING_GROUP_ROLE, drop_leg, spawn_leg
from orbit_voice.ring_groups import repository as repo
from orbit_voice.ring_groups.models import RingGroupCall
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.ring_groups.runner")


async def dial_member(
    session: AsyncSession,
    rt: Runtime,
    call: Call,
    run: RingGroupCall,
    destination: dict[str, Any],
) -> Call:
    leg = await spawn_leg(
        session,
        rt,
        call,
        to=str(destination["to"]),
        role=RING_GROUP_ROLE,
        ring_timeout=float(destination["ring_seconds"]),
    )
    await record_event(
        session,
        call,
        "ring_group.dialing",
        rt.clock.now(),
        data={
            "ring_group_id": run.ring_group_id,
            "to": destination["to"],
            "member_index": destination["member_index"],
            "ring_seconds": destination["ring_seconds"],
            "leg_call_id": leg.id,
        },
    )
    return leg


async def member_answered(session: AsyncSession, rt: Runtime, parent: Call, leg: Call) -> None:
    """First answer wins: bridge it to the caller and cancel every other ringing member."""
    run = await repo.ringing_run(session, parent.org_id, parent.id)
    if run is None:  # another member answered first, or the caller left
        await drop_leg(session, rt, leg, end_reason="answered_elsewhere")
        return
    now = rt.clock.now()
    run.status = "answered"
    run.answered_leg_id = leg.id
    run.ended_at = now
    await session.flush()
    await rt.media.get(parent.backend).bridge(parent.id, leg.id)
    for other in await repo.live_member_legs(session, parent.org_id, parent.id, lock=True):
        if other.id != leg.id:
            await drop_leg(session, rt, other, end_reason="answered_elsewhere")
    await record_event(
        session,
        parent,
        "ring_group.answered",
        now,
        data={"ring_group_id": run.ring_group_id, "to": leg.to, "leg_call_id": leg.id},
    )


async def member_ended(session: AsyncSession, rt: Runtime, parent: Call, leg: Call) -> None:
    """A member's leg ended while the caller is still on the line."""
    from orbit_voice.routing.executor import hangup

    run = await repo.latest_run(session, parent.org_id, parent.id)
    if run is None:
        return
    if run.status == "answered":
        if run.answered_leg_id == leg.id:
            # The member who took the call hung up: the caller is alone, so the call ends.
            await hangup(session, rt, parent, end_reason="ring_group_member_hangup")
        return
    if run.status != "ringing" or leg.answered_at is not None:
        return
    await record_event(
        session,
        parent,
        "ring_group.member_missed",
        rt.clock.now(),
        data={
            "ring_group_id": run.ring_group_id,
            "to": leg.to,
            "leg_call_id": leg.id,
            "reason": leg.status,
        },
    )
    if run.strategy == "simultaneous":
        if await repo.live_member_legs(session, parent.org_id, parent.id):
            return  # others are still ringing
    else:
        run.position += 1
        if run.position < len(run.destinations):
            await session.flush()
            try:
                await dial_member(session, rt, parent, run, run.destinations[run.position])
                return
            except Invalid as exc:
                # A live call whose trunk went away meanwhile (no_trunk): the other members
                # cannot be reached either, so the fallback runs now. Nothing was written.
                log.warning("ring group cannot dial on: %s", exc.message)
    await _fall_back(session, rt, parent, run)


async def _fall_back(session: AsyncSession, rt: Runtime, call: Call, run: RingGroupCall) -> None:
    now = rt.clock.now()
    run.status = "no_answer"
    run.ended_at = now
    await session.flush()
    await record_event(
        session,
        call,
        "ring_group.no_answer",
        now,
        data={
            "ring_group_id": run.ring_group_id,
            "fallback_action": run.fallback_action,
            "fallback_target": run.fallback_target,
        },
    )
    await actions.run(session, rt, call, run.fallback_action, run.fallback_target)


async def call_ended(session: AsyncSession, rt: Runtime, call: Call) -> None:
    """The caller left while members were ringing (their legs are hung up with the call)."""
    run = await repo.ringing_run(session, call.org_id, call.id)
    if run is None:
        return
    run.status = "ended"
    run.ended_at = rt.clock.now()
    await session.flush()
