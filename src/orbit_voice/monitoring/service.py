"""Supervisor monitoring: a supervisor leg dialled as a child of the call, then listen,
whisper or barge applied by the media backend once it answers.

One supervisor at a time per call; the same supervisor may switch modes without being
dialled again. ``supervisor_answered`` and ``supervisor_ended`` are the hooks the calls
domain calls for ``supervisor`` legs.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls import repository as calls_repo
from orbit_voice.calls import service as calls_service
from orbit_voice.calls.lifecycle import LegAnswered, LegEnded
from orbit_voice.calls.models import Call
from orbit_voice.calls.state import TERMINAL, record_event
from orbit_voice.errors import Conflict, Invalid
from orbit_voice.media.backend import MediaError, MonitorMode
from orbit_voice.monitoring import repository as repo
from orbit_voice.monitoring.models import CallMonitor
from orbit_voice.monitoring.schemas import MonitorOut, MonitorStatus
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.monitoring")


def to_out(monitor: CallMonitor, leg: Call) -> MonitorOut:
    status: MonitorStatus
    if leg.status in TERMINAL:
        status = "ended"
    elif leg.status == "in_progress":
        status = "active"
    else:
        status = "dialing"
    return MonitorOut(
        call_id=monitor.call_id,
        supervisor=monitor.supervisor,
        supervisor_call_id=monitor.supervisor_call_id,
        mode=monitor.mode,
        status=status,
        created_at=monitor.created_at,
        updated_at=monitor.updated_at,
    )


def _require_monitorable(call: Call) -> None:
    if call.leg_role == "supervisor":
        raise Conflict("A supervisor leg cannot itself be monitored.", code="invalid_call_state")
    if call.status != "in_progress":
        raise Conflict(
            f"The call is {call.status}; only a connected call can be monitored.",
            code="call_not_active",
            details={"status": call.status},
        )


async def _check_extension(session: AsyncSession, org_id: str, supervisor: str) -> None:
    if not supervisor.startswith("ext_"):
        return
    from orbit_voice.sip_credentials.service import find_extension

    if await find_extension(session, org_id, supervisor) is None:
        raise Invalid(
            f"No extension with id '{supervisor}'.",
            code="extension_not_found",
            param="supervisor",
        )


async def _agent_leg(session: AsyncSession, call: Call) -> str | None:
    """The leg the agent speaks on: a bridged agent, transfer or completed consult leg."""
    for leg in await repo.agent_legs(session, call.org_id, call.id):
        if leg.leg_role != "consult":
            return leg.id
        state = call.warm_transfer or {}
        if state.get("consult_call_id") == leg.id and state.get("state") == "completed":
            return leg.id
    return None


async def _apply(
    session: AsyncSession, rt: Runtime, call: Call, monitor: CallMonitor, leg: Call
) -> None:
    mode: MonitorMode = monitor.mode  # type: ignore[assignment]
    await rt.media.get(call.backend).monitor(call.id, await _agent_leg(session, call), leg.id, mode)


async def start(
    session: AsyncSession, rt: Runtime, call: Call, supervisor: str, mode: str
) -> tuple[CallMonitor, Call]:
    _require_monitorable(call)
    now = rt.clock.now()
    live = await repo.live_monitor(session, call.org_id, call.id)
    if live is not None:
        monitor, leg = live
        if monitor.supervisor != supervisor:
            raise Conflict(
                f"{monitor.supervisor} is already monitoring this call ({monitor.mode}).",
                code="monitor_in_progress",
                details={
                    "supervisor": monitor.supervisor,
                    "mode": monitor.mode,
                    "supervisor_call_id": monitor.supervisor_call_id,
                },
            )
        if monitor.mode != mode:
            previous, monitor.mode, monitor.updated_at = monitor.mode, mode, now
            if leg.status == "in_progress":
                await _apply(session, rt, call, monitor, leg)
            await record_event(
                session,
                call,
                "call.monitor.mode_changed",
                now,
                data={"supervisor": supervisor, "from_mode": previous, "mode": mode},
                webhook=False,
            )
        return monitor, leg
    await _check_extension(session, call.org_id, supervisor)
    from_ = call.to if call.direction == "inbound" else call.from_
    leg = await calls_service.dial_leg(
        session,
        rt,
        org_id=call.org_id,
        backend=call.backend,
        to=supervisor,
        from_=from_,
        leg_role="supervisor",
        webhook_url=call.webhook_url,
        max_duration=call.max_duration,
        parent_call_id=call.id,
        param="supervisor",
    )
    monitor = CallMonitor(
        supervisor_call_id=leg.id,
        org_id=call.org_id,
        call_id=call.id,
        supervisor=supervisor,
        mode=mode,
        created_at=now,
        updated_at=now,
    )
    session.add(monitor)
    await session.flush()
    await record_event(
        session,
        call,
        "call.monitor.started",
        now,
        data={"supervisor": supervisor, "mode": mode, "supervisor_call_id": leg.id},
        webhook=False,
    )
    return monitor, leg


async def stop(session: AsyncSession, rt: Runtime, call: Call) -> tuple[CallMonitor, Call]:
    """Hang the supervisor leg up (any mode)."""
    live = await repo.live_monitor(session, call.org_id, call.id)
    if live is None:
        raise Conflict("Nobody is monitoring this call.", code="not_monitoring")
    monitor, leg = live
    from orbit_voice.conferences.legs import hang_up

    await hang_up(session, rt, leg, "unlisten")
    monitor.updated_at = rt.clock.now()
    return monitor, leg


async def supervisor_answered(session: AsyncSession, rt: Runtime, event: LegAnswered) -> None:
    """The supervisor picked up: route the audio, unless the call is already over."""
    leg = event.call
    if leg.leg_role != "supervisor":
        return
    monitor = await repo.by_supervisor_leg(session, leg.org_id, leg.id)
    if monitor is None:
        return
    call = await calls_repo.get_call(session, leg.org_id, monitor.call_id, lock=True)
    if call is None or call.status != "in_progress":
        from orbit_voice.conferences.legs import hang_up

        await hang_up(session, rt, leg, "parent_ended")
        return
    await _apply(session, rt, call, monitor, leg)
    await record_event(
        session,
        call,
        "call.monitor.connected",
        rt.clock.now(),
        data={"supervisor": monitor.supervisor, "mode": monitor.mode, "supervisor_call_id": leg.id},
        webhook=False,
    )


async def supervisor_ended(session: AsyncSession, rt: Runtime, event: LegEnded) -> None:
    leg = event.call
    if leg.leg_role != "supervisor":
        return
    monitor = await repo.by_supervisor_leg(session, leg.org_id, leg.id)
    if monitor is None:
        return
    try:
        await rt.media.get(leg.backend).unmonitor(leg.id)
    except MediaError:
        log.warning("unmonitor failed", extra={"call_id": leg.id})
    call = await calls_repo.get_call(session, leg.org_id, monitor.call_id)
    if call is not None:
        await record_event(
            session,
            call,
            "call.monitor.ended",
            rt.clock.now(),
            data={
                "supervisor": monitor.supervisor,
                "mode": monitor.mode,
                "supervisor_call_id": leg.id,
                "reason": leg.end_reason,
            },
            webhook=False,
        )
