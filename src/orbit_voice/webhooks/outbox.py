"""Writing events to the outbox. Call ``emit`` inside the transaction of the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.kit.ids import new_id
from orbit_voice.kit.timeutil import iso
from orbit_voice.webhooks.models import WebhookEvent


async def emit(
    session: AsyncSession,
    *,
    org_id: str,
    url: str | None,
    type: str,
    data: dict[str, Any],
    now: datetime,
    call_id: str | None = None,
) -> WebhookEvent | None:
    """Queue ``type`` for delivery to ``url``; nothing is queued when there is no URL."""
    if not url:
        return None
    last = (
        await session.execute(
            select(func.max(WebhookEvent.seq)).where(
                WebhookEvent.org_id == org_id,
                WebhookEvent.call_id == call_id
                if call_id is not None
                else WebhookEvent.call_id.is_(None),
            )
        )
    ).scalar_one_or_none()
    event_id = new_id("evt")
    event = WebhookEvent(
        id=event_id,
        org_id=org_id,
        call_id=call_id,
        type=type,
        url=url,
        payload={"id": event_id, "type": type, "created_at": iso(now), "data": data},
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        seq=(last or 0) + 1,
    )
    session.add(event)
    await session.flush()
    return event
