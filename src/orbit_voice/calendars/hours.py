"""Business hours as wall-clock windows in an IANA timezone: open/closed at an instant, and
when that next changes. Pure functions, correct across DST changes and holidays.

Windows are wall-clock times: on a spring-forward day the skipped hour does not exist (a
01:00-04:00 window is open two real hours), on a fall-back day the repeated hour counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_MINUTES = 24 * 60
# How far ahead next_change looks (a year of holidays plus a week).
HORIZON_DAYS = 373


@dataclass(frozen=True)
class Hours:
    tz: ZoneInfo
    # ISO weekday (1=Mon..7=Sun) -> sorted, non-overlapping [start, end) in minutes of the day.
    windows: dict[int, tuple[tuple[int, int], ...]]
    holidays: frozenset[date]


def minutes(hhmm: str) -> int:
    hh, mm = hhmm.split(":")
    return int(hh) * 60 + int(mm)


def hhmm(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans become one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def is_open(hours: Hours, at: datetime) -> bool:
    local = at.astimezone(hours.tz)
    if local.date() in hours.holidays:
        return False
    second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return any(
        start * 60 <= second < end * 60 for start, end in hours.windows.get(local.isoweekday(), ())
    )


def _instants(day: date, minute: int, tz: ZoneInfo) -> set[datetime]:
    """Every instant the wall clock of ``day`` shows ``minute`` (two in a fall-back fold)."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    return {naive.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)}


def _offset_change(day: date, tz: ZoneInfo) -> datetime | None:
    """The instant the zone's UTC offset changes during ``day``, if it does."""
    lo = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    if lo.astimezone(tz).utcoffset() == hi.astimezone(tz).utcoffset():
        return None
    before = lo.astimezone(tz).utcoffset()
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(tz).utcoffset() == before:
            lo_s = mid
        else:
            hi_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


def _candidates(hours: Hours, day: date) -> set[datetime]:
    """Instants during ``day`` where the open state may flip: window edges, midnight, DST."""
    walls = {0, DAY_MINUTES}
    for start, end in hours.windows.get(day.isoweekday(), ()):
        walls |= {start, end}
    found: set[datetime] = set()
    for wall in walls:
        found |= _instants(day, wall, hours.tz)
    change = _offset_change(day, hours.tz)
    if change is not None:
        found.add(change)
    return found


def next_change(hours: Hours, at: datetime) -> datetime | None:
    """The first instant after ``at`` where ``is_open`` differs from now; None within a year."""
    now_open = is_open(hours, at)
    first_day = at.astimezone(hours.tz).date() - timedelta(days=1)
    for offset in range(HORIZON_DAYS + 1):
        for candidate in sorted(_candidates(hours, first_day + timedelta(days=offset))):
            if candidate > at and is_open(hours, candidate) != now_open:
                return candidate
    return None
