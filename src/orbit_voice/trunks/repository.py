"""Every query the trunks domain runs (all filtered by org)."""

from __future__ import annotations

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.numbers.models import Number
from orbit_voice.trunks.models import Trunk


async def get_trunk(
    session: AsyncSession, org_id: str, trunk_id: str, *, lock: bool = False
) -> Trunk | None:
    stmt = select(Trunk).where(Trunk.id == trunk_id, Trunk.org_id == org_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def list_trunks(org_id: str) -> Select[Trunk]:
    return select(Trunk).where(Trunk.org_id == org_id)


async def default_trunk(session: AsyncSession, org_id: str) -> Trunk | None:
    return (
        await session.execute(
            select(Trunk)
            .where(Trunk.org_id == org_id, Trunk.is_default.is_(True))
            .order_by(Trunk.created_at, Trunk.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def oldest_other(session: AsyncSession, org_id: str, trunk_id: str) -> Trunk | None:
    return (
        await session.execute(
            select(Trunk)
            .where(Trunk.org_id == org_id, Trunk.id != trunk_id)
            .order_by(Trunk.created_at, Trunk.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def has_trunks(session: AsyncSession, org_id: str) -> bool:
    found = await session.execute(select(Trunk.id).where(Trunk.org_id == org_id).limit(1))
    return found.scalar_one_or_none() is not None


async def clear_default(session: AsyncSession, org_id: str, except_id: str) -> None:
    await session.execute(
        update(Trunk)
        .where(Trunk.org_id == org_id, Trunk.id != except_id, Trunk.is_default.is_(True))
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )


async def numbers_using(session: AsyncSession, org_id: str, trunk_id: str) -> list[str]:
    rows = await session.execute(
        select(Number.id)
        .where(Number.org_id == org_id, Number.trunk_id == trunk_id)
        .order_by(Number.id)
    )
    return list(rows.scalars().all())


async def trunk_of_number(session: AsyncSession, org_id: str, e164: str) -> Trunk | None:
    return (
        await session.execute(
            select(Trunk)
            .join(Number, Number.trunk_id == Trunk.id)
            .where(Number.org_id == org_id, Number.number == e164, Trunk.org_id == org_id)
        )
    ).scalar_one_or_none()
