"""Every query the calls domain runs."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call, CallEvent, Recording
from orbit_voice.calls.state import TERMINAL


async def get_call(
    session: AsyncSession, org_id: str | None, call_id: str, *, lock: bool = False
) -> Call | None:
    stmt = select(Call).where(Call.id == call_id)
    if org_id is not None:
        stmt = stmt.where(Call.org_id == org_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def list_calls(org_id: str, status: str | None, from_: str | None, to: str | None) -> Select[Call]:
    stmt = select(Call).where(Call.org_id == org_id)
    if status:
        stmt = stmt.where(Call.status == status)
    if from_:
        stmt = stmt.where(Call.from_ == from_)
    if to:
        stmt = stmt.where(Call.to == to)
    return stmt


def list_events(org_id: str, call_id: str) -> Select[CallEvent]:
    return select(CallEvent).where(CallEvent.org_id == org_id, CallEvent.call_id == call_id)


async def active_children(session: AsyncSession, call_id: str) -> list[Call]:
    rows = await session.execute(
        select(Call).where(Call.parent_call_id == call_id, Call.status.not_in(TERMINAL))
    )
    return list(rows.scalars().all())


async def latest_recording(session: AsyncSession, call_id: str) -> Recording | None:
    return (
        await session.execute(
            select(Recording)
            .where(Recording.call_id == call_id)
            .order_by(Recording.created_at.desc(), Recording.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def active_recording(session: AsyncSession, call_id: str) -> Recording | None:
    return (
        await session.execute(
            select(Recording).where(Recording.call_id == call_id, Recording.status == "in_progress")
        )
    ).scalar_one_or_none()
