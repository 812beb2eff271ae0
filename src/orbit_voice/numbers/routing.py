"""Inbound routing settings of a number: handler, calendar and off-hours handler, checked
together so a number never points at something that is not there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.errors import Invalid
from orbit_voice.routing import targets
from orbit_voice.routing.schemas import HandlerIn


@dataclass(frozen=True)
class Routing:
    handler: dict[str, Any] | None
    calendar_id: str | None
    off_hours_handler: dict[str, Any] | None


async def _handler(
    session: AsyncSession, org_id: str, handler: HandlerIn | None, param: str
) -> dict[str, Any] | None:
    if handler is None:
        return None
    target = await targets.check(session, org_id, handler.type, handler.target, f"{param}.target")
    return {"type": handler.type, "target": target}


async def check(
    session: AsyncSession,
    org_id: str,
    sent: set[str],
    body: Any,
    current: Routing,
) -> Routing:
    """The number's routing once the fields in ``sent`` (of ``body``) replace ``current``."""
    handler = current.handler
    calendar_id = current.calendar_id
    off_hours = current.off_hours_handler
    if "handler" in sent:
        handler = await _handler(session, org_id, body.handler, "handler")
    if "off_hours_handler" in sent:
        off_hours = await _handler(session, org_id, body.off_hours_handler, "off_hours_handler")
    if "calendar_id" in sent:
        calendar_id = body.calendar_id
        if calendar_id is not None:
            from orbit_voice.calendars.service import find

            if await find(session, org_id, calendar_id) is None:
                raise Invalid(
                    f"No calendar with id '{calendar_id}'.",
                    code="calendar_not_found",
                    param="calendar_id",
                )
    if calendar_id is not None and off_hours is None:
        raise Invalid(
            "A number with a calendar_id needs an off_hours_handler for when it is closed.",
            code="off_hours_handler_required",
            param="off_hours_handler",
        )
    if off_hours is not None and calendar_id is None:
        raise Invalid(
            "An off_hours_handler needs a calendar_id saying when the number is closed.",
            code="calendar_required",
            param="calendar_id",
        )
    return Routing(handler=handler, calendar_id=calendar_id, off_hours_handler=off_hours)
