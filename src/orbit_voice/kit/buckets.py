"""Time buckets for dashboards: hour, day and ISO week (Monday 00:00 UTC), all in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

Bucket = Literal["hour", "day", "week"]
STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
MAX_BUCKETS = 2000


def bucket_start(at: datetime, bucket: Bucket) -> datetime:
    at = at.astimezone(UTC)
    if bucket == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if bucket == "day":
        return day
    return day - timedelta(days=day.weekday())


def bucket_range(start: datetime, end: datetime, bucket: Bucket) -> list[datetime]:
    """Every bucket start from the one holding ``start`` to the one holding ``end``."""
    out: list[datetime] = []
    at = bucket_start(start, bucket)
    while at <= end and len(out) <= MAX_BUCKETS:
        out.append(at)
        at += STEP[bucket]
    return out
