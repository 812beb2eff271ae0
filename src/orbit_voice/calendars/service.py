"""Business-hours calendars: CRUD, and whether one is open at an instant."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.calendars import hours
from orbit_voice.calendars.models import Calendar
from orbit_voice.calendars.schemas import (
    CalendarCreate,
    CalendarOut,
    CalendarStatus,
    CalendarUpdate,
    WindowIn,
    WindowOut,
)
from orbit_voice.errors import Conflict, not_found
from orbit_voice.kit.clock import Clock
from orbit_voice.kit.ids import new_id


def normalize_windows(windows: list[WindowIn]) -> list[dict[str, Any]]:
    """Weekday 0 becomes 7 (Sunday); overlapping or touching windows of a day merge."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for window in windows:
        weekday = 7 if window.weekday == 0 else window.weekday
        by_day.setdefault(weekday, []).append(
            (hours.minutes(window.start), hours.minutes(window.end))
        )
    return [
        {"weekday": weekday, "start": hours.hhmm(start), "end": hours.hhmm(end)}
        for weekday in sorted(by_day)
        for start, end in hours.merge(by_day[weekday])
    ]


def _holidays(days: list[date]) -> list[str]:
    return sorted({d.isoformat() for d in days})


def to_hours(calendar: Calendar) -> hours.Hours:
    windows: dict[int, list[tuple[int, int]]] = {}
    for w in calendar.weekday_windows:
        windows.setdefault(int(w["weekday"]), []).append(
            (hours.minutes(str(w["start"])), hours.minutes(str(w["end"])))
        )
    return hours.Hours(
        tz=ZoneInfo(calendar.timezone),
        windows={day: tuple(hours.merge(spans)) for day, spans in windows.items()},
        holidays=frozenset(date.fromisoformat(d) for d in calendar.holidays),
    )


def is_open(calendar: Calendar, at: datetime) -> bool:
    return hours.is_open(to_hours(calendar), at)


def status(calendar: Calendar, at: datetime) -> CalendarStatus:
    h = to_hours(calendar)
    return CalendarStatus(
        calendar_id=calendar.id,
        timezone=calendar.timezone,
        at=at,
        open=hours.is_open(h, at),
        next_change_at=hours.next_change(h, at),
    )


def to_out(calendar: Calendar) -> CalendarOut:
    return CalendarOut(
        id=calendar.id,
        name=calendar.name,
        timezone=calendar.timezone,
        weekday_windows=[WindowOut.model_validate(w) for w in calendar.weekday_windows],
        holidays=list(calendar.holidays),
        created_at=calendar.created_at,
        updated_at=calendar.updated_at,
    )


async def create(
    session: AsyncSession, org_id: str, body: CalendarCreate, clock: Clock
) -> Calendar:
    now = clock.now()
    calendar = Calendar(
        id=new_id("cal"),
        org_id=org_id,
        name=body.name,
        timezone=body.timezone,
        weekday_windows=normalize_windows(body.weekday_windows),
        holidays=_holidays(body.holidays),
        created_at=now,
        updated_at=now,
    )
    session.add(calendar)
    await session.flush()
    return calendar


async def find(session: AsyncSession, org_id: str, calendar_id: str) -> Calendar | None:
    return (
        await session.execute(
            select(Calendar).where(Calendar.id == calendar_id, Calendar.org_id == org_id)
        )
    ).scalar_one_or_none()


async def get(session: AsyncSession, org_id: str, calendar_id: str) -> Calendar:
    calendar = await find(session, org_id, calendar_id)
    if calendar is None:
        raise not_found("calendar", calendar_id)
    return calendar


async def list_(
    session: AsyncSession, org_id: str, params: PageParams
) -> tuple[list[Calendar], Pagination]:
    stmt = select(Calendar).where(Calendar.org_id == org_id)
    return await paginate(session, stmt, Calendar.created_at, Calendar.id, params)


async def update(
    session: AsyncSession, org_id: str, calendar_id: str, body: CalendarUpdate, clock: Clock
) -> Calendar:
    calendar = await get(session, org_id, calendar_id)
    sent = body.model_fields_set
    if "name" in sent and body.name is not None:
        calendar.name = body.name
    if "timezone" in sent and body.timezone is not None:
        calendar.timezone = body.timezone
    if "weekday_windows" in sent and body.weekday_windows is not None:
        calendar.weekday_windows = normalize_windows(body.weekday_windows)
    if "holidays" in sent:
        calendar.holidays = _holidays(body.holidays or [])
    calendar.updated_at = clock.now()
    await session.flush()
    return calendar


async def delete(session: AsyncSession, org_id: str, calendar_id: str) -> None:
    from orbit_voice.numbers.models import Number

    calendar = await get(session, org_id, calendar_id)
    users = (
        await session.execute(
            select(Number.number).where(Number.org_id == org_id, Number.calendar_id == calendar.id)
        )
    ).scalars()
    numbers = sorted(users)
    if numbers:
        raise Conflict(
            "This calendar routes numbers; remove it from them first.",
            code="calendar_in_use",
            details={"numbers": numbers},
        )
    await session.delete(calendar)
    await session.flush()
