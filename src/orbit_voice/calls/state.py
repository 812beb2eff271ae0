"""The call state machine: legal transitions only, each one a call event and a webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call, CallEvent
from orbit_voice.errors import Conflict
from orbit_voice.kit.ids import new_id
from orbit_voice.kit.timeutil import iso
from orbit_voice.webhooks.outbox import emit

TERMINAL = frozenset({"completed", "failed", "busy", "no_answer", "cancelled"})
ALLOWED: dict[str, frozenset[str]] = {
    "initiating": frozenset({"ringing", "in_progress", "failed", "busy", "no_answer", "cancelled"}),
    "ringing": frozenset({"in_progress", "failed", "busy", "no_answer", "cancelled"}),
    "in_progress": frozenset({"completed", "failed"}),
}
# The webhook each status announces.
STATUS_EVENT = {
    "initiating": "call.initiated",
    "ringing": "call.ringing",
    "in_progress": "call.answered",
    "completed": "call.completed",
    "failed": "call.failed",
    "busy": "call.busy",
    "no_answer": "call.no_answer",
    "cancelled": "call.cancelled",
}


def duration_seconds(call: Call, now: datetime) -> int:
    if call.answered_at is None:
        return 0
    end = call.ended_at or now
    return max(0, int((end - call.answered_at).total_seconds()))


def public_view(call: Call, now: datetime) -> dict[str, Any]:
    """The call as webhooks show it (the same fields as the API's call object)."""
    return {
        "id": call.id,
        "direction": call.direction,
        "to": call.to,
        "from": call.from_,
        "agent_id": call.agent_id,
        "ivr_id": call.ivr_id,
        "status": call.status,
        "record": call.record,
        "metadata": call.metadata_,
        "duration_seconds": duration_seconds(call, now),
        "answered_at": iso(call.answered_at) if call.answered_at else None,
        "ended_at": iso(call.ended_at) if call.ended_at else None,
        "end_reason": call.end_reason,
        "sip_code": call.sip_code,
        "parent_call_id": call.parent_call_id,
        "leg_role": call.leg_role,
        "created_at": iso(call.created_at),
    }


async def record_event(
    session: AsyncSession,
    call: Call,
    type: str,
    now: datetime,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    data: dict[str, Any] | None = None,
    webhook: bool = True,
) -> None:
    """Keep the event in the call's history and queue its webhook in the same transaction."""
    seq = (
        await session.execute(
            select(func.coalesce(func.max(CallEvent.seq), 0)).where(CallEvent.call_id == call.id)
        )
    ).scalar_one()
    extra = data or {}
    session.add(
        CallEvent(
            id=new_id("evt"),
            org_id=call.org_id,
            call_id=call.id,
            seq=int(seq) + 1,
            type=type,
            from_status=from_status,
            to_status=to_status,
            data=extra,
            created_at=now,
        )
    )
    if webhook:
        await emit(
            session,
            org_id=call.org_id,
            url=call.webhook_url,
            type=type,
            data={"call": public_view(call, now), **extra},
            now=now,
            call_id=call.id,
        )
    await session.flush()


def dated(call: Call, now: datetime, at: datetime | None) -> datetime:
    """When a change to ``call`` happened: ``at`` (when a backend saw it: the SIP engine
    stamps its events, which may wait their turn), but never later than ``now`` (clocks
    differ) nor before the call's last change (a CANCEL can be seen before the INVITE's
    call row was written)."""
    if at is None or at >= now:
        return now
    return max(at, call.updated_at)


def can_move(call: Call, to_status: str) -> bool:
    return to_status in ALLOWED.get(call.status, frozenset())


async def transition(
    session: AsyncSession,
    call: Call,
    to_status: str,
    now: datetime,
    *,
    end_reason: str | None = None,
    sip_code: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    if not can_move(call, to_status):
        raise Conflict(
            f"The call is {call.status}; it cannot become {to_status}.",
            code="invalid_call_state",
            details={"status": call.status},
        )
    from_status = call.status
    call.status = to_status
    call.updated_at = now
    if sip_code is not None:
        call.sip_code = sip_code
    if to_status == "ringing":
        call.ringing_at = now
    elif to_status == "in_progress":
        call.answered_at = now
    elif to_status in TERMINAL:
        call.ended_at = now
        call.end_reason = end_reason or to_status
    await record_event(
        session,
        call,
        STATUS_EVENT[to_status],
        now,
        from_status=from_status,
        to_status=to_status,
        data=data,
    )
