"""Keyset pagination, newest first, over ``(created_at, id)``; the cursor is opaque."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from orbit_voice.api.envelope import Pagination
from orbit_voice.errors import Invalid
from orbit_voice.kit.timeutil import parse_iso

M = TypeVar("M")


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Results per page (max 100)")] = 20,
    cursor: Annotated[str | None, Query(description="Cursor from the previous page")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return parse_iso(str(created)), str(row_id)
    except (ValueError, TypeError) as exc:
        raise Invalid("The cursor is not one this API issued.", param="cursor") from exc


async def paginate(
    session: AsyncSession,
    stmt: Select[M],
    created_col: InstrumentedAttribute[datetime],
    id_col: InstrumentedAttribute[str],
    params: PageParams,
) -> tuple[list[M], Pagination]:
    """Run ``stmt`` (already filtered by org and query) one page at a time."""
    total = (
        await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    ).scalar_one()
    paged: Select[Any] = stmt
    if params.cursor:
        at, row_id = decode_cursor(params.cursor)
        paged = paged.where(or_(created_col < at, and_(created_col == at, id_col < row_id)))
    paged = paged.order_by(created_col.desc(), id_col.desc()).limit(params.limit + 1)
    rows = list((await session.execute(paged)).scalars().all())
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    cursor = None
    if has_more and rows:
        last = rows[-1]
        cursor = encode_cursor(getattr(last, created_col.key), getattr(last, id_col.key))
    return rows, Pagination(cursor=cursor, has_more=has_more, total=int(total))
