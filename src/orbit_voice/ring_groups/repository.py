"""Every query the ring-groups domain runs (all filtered by org)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call
from orbit_voice.calls.state import TERMINAL
from orbit_voice.queues.legs import RING_GROUP_ROLE
from orbit_voice.ring_groups.models import RingGroup, RingGroupCall


async def get_group(
    session: AsyncSession, org_id: str, group_id: str, *, lock: bool = False
) -> RingGroup | None:
    stmt = select(RingGroup).where(RingGroup.id == group_id, RingGroup.org_id == org_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def list_groups(org_id: str) -> Select[Any]:
    return select(RingGroup).where(RingGroup.org_id == org_id)


async def ringing_run(session: AsyncSession, org_id: str, call_id: str) -> RingGroupCall | None:
    """The ring group currently ringing for ``call_id`` (at most one)."""
    return (
        await session.execute(
            select(RingGroupCall)
            .where(
                RingGroupCall.org_id == org_id,
                RingGroupCall.call_id == call_id,
                RingGroupCall.status == "ringing",
            )
            .order_by(RingGroupCall.created_at.desc(), RingGroupCall.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def latest_run(session: AsyncSession, org_id: str, call_id: str) -> RingGroupCall | None:
    return (
        await session.execute(
            select(RingGroupCall)
            .where(RingGroupCall.org_id == org_id, RingGroupCall.call_id == call_id)
            .order_by(RingGroupCall.created_at.desc(), RingGroupCall.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def live_member_legs(
    session: AsyncSession, org_id: str, call_id: str, *, lock: bool = False
) -> list[Call]:
    stmt = select(Call).where(
        Call.org_id == org_id,
        Call.parent_call_id == call_id,
        Call.leg_role == RING_GROUP_ROLE,
        Call.status.not_in(TERMINAL),
    )
    if lock:
        stmt = stmt.with_for_update()
    return list((await session.execute(stmt)).scalars().all())
