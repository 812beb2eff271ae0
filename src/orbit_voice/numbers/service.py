"""Phone numbers an org owns: caller ids for outbound calls, entry points for inbound ones."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.errors import Conflict, not_found
from orbit_voice.kit.clock import Clock
from orbit_voice.kit.ids import new_id
from orbit_voice.numbers import routing
from orbit_voice.numbers.models import Number
from orbit_voice.numbers.schemas import NumberCreate, NumberUpdate


async def create(session: AsyncSession, org_id: str, body: NumberCreate, clock: Clock) -> Number:
    taken = (
        await session.execute(select(Number.id).where(Number.number == body.number))
    ).scalar_one_or_none()
    if taken is not None:
        raise Conflict(
            f"{body.number} is already registered on this server.",
            code="number_taken",
            param="number",
        )
    if body.trunk_id is not None:
        from orbit_voice.trunks.service import check_in_org

        await check_in_org(session, org_id, body.trunk_id, "trunk_id")
    route = await routing.check(
        session, org_id, body.model_fields_set, body, routing.Routing(None, None, None)
    )
    now = clock.now()
    number = Number(
        id=new_id("num"),
        org_id=org_id,
        number=body.number,
        label=body.label,
        trunk_id=body.trunk_id,
        handler=route.handler,
        calendar_id=route.calendar_id,
        off_hours_handler=route.off_hours_handler,
        created_at=now,
        updated_at=now,
    )
    session.add(number)
    await session.flush()
    return number


async def get(session: AsyncSession, org_id: str, number_id: str) -> Number:
    number = (
        await session.execute(select(Number).where(Number.id == number_id, Number.org_id == org_id))
    ).scalar_one_or_none()
    if number is None:
        raise not_found("number", number_id)
    return number


async def find_owned(session: AsyncSession, org_id: str, e164: str) -> Number | None:
    return (
        await session.execute(select(Number).where(Number.org_id == org_id, Number.number == e164))
    ).scalar_one_or_none()


async def list_(
    session: AsyncSession, org_id: str, params: PageParams
) -> tuple[list[Number], Pagination]:
    stmt = select(Number).where(Number.org_id == org_id)
    return await paginate(session, stmt, Number.created_at, Number.id, params)


async def update(
    session: AsyncSession, org_id: str, number_id: str, body: NumberUpdate, clock: Clock
) -> Number:
    number = await get(session, org_id, number_id)
    if "label" in body.model_fields_set:
        number.label = body.label
    if "trunk_id" in body.model_fields_set:
        if body.trunk_id is not None:
            from orbit_voice.trunks.service import check_in_org

            await check_in_org(session, org_id, body.trunk_id, "trunk_id")
        number.trunk_id = body.trunk_id
    route = await routing.check(
        session,
        org_id,
        body.model_fields_set,
        body,
        routing.Routing(number.handler, number.calendar_id, number.off_hours_handler),
    )
    number.handler = route.handler
    number.calendar_id = route.calendar_id
    number.off_hours_handler = route.off_hours_handler
    number.updated_at = clock.now()
    await session.flush()
    return number


async def delete(session: AsyncSession, org_id: str, number_id: str) -> None:
    number = await get(session, org_id, number_id)
    await session.delete(number)
    await session.flush()
