"""Every query of supervisor monitoring; each is scoped to one org."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call
from orbit_voice.calls.state import TERMINAL
from orbit_voice.monitoring.models import CallMonitor


async def live_monitor(
    session: AsyncSession, org_id: str, call_id: str
) -> tuple[CallMonitor, Call] | None:
    """The call's monitoring session whose supervisor leg has not ended, with that leg."""
    row = (
        await session.execute(
            select(CallMonitor, Call)
            .join(Call, Call.id == CallMonitor.supervisor_call_id)
            .where(
                CallMonitor.org_id == org_id,
                CallMonitor.call_id == call_id,
                Call.org_id == org_id,
                Call.status.not_in(TERMINAL),
            )
            .order_by(CallMonitor.created_at.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def by_supervisor_leg(
    session: AsyncSession, org_id: str, supervisor_call_id: str
) -> CallMonitor | None:
    return (
        await session.execute(
            select(CallMonitor).where(
                CallMonitor.org_id == org_id, CallMonitor.supervisor_call_id == supervisor_call_id
            )
        )
    ).scalar_one_or_none()


async def agent_legs(session: AsyncSession, org_id: str, call_id: str) -> list[Call]:
    """Connected child legs of the call that can be its agent side, newest answer first."""
    rows = await session.execute(
        select(Call)
        .where(
            Call.org_id == org_id,
            Call.parent_call_id == call_id,
            Call.status == "in_progress",
            Call.leg_role.in_(("agent", "transfer", "consult")),
        )
        .order_by(Call.answered_at.desc(), Call.id.desc())
    )
    return list(rows.scalars().all())
