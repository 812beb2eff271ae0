"""Who points at a routing target (numbers' handlers, IVR menus), so deleting it can be refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


def _targets(handler: Any) -> list[str]:
    if isinstance(handler, dict) and handler.get("target"):
        return [str(handler["target"])]
    return []


async def users_of(session: AsyncSession, org_id: str, target_id: str) -> list[str]:
    """Ids of the numbers and IVR flows of ``org_id`` that route to ``target_id``."""
    from orbit_voice.numbers.models import Number

    users: list[str] = []
    if hasattr(Number, "handler"):
        rows = await session.execute(select(Number).where(Number.org_id == org_id))
        for number in rows.scalars().all():
            handlers = [
                getattr(number, "handler", None),
                getattr(number, "off_hours_handler", None),
            ]
            if any(target_id in _targets(h) for h in handlers):
                users.append(number.id)
    try:
        from orbit_voice.ivr.models import IvrFlow
    except ImportError:  # pragma: no cover - the IVR domain ships with routing
        return users
    rows_ivr = await session.execute(select(IvrFlow).where(IvrFlow.org_id == org_id))
    for flow in rows_ivr.scalars().all():
        options = (flow.menu or {}).get("options", [])
        targets = {str(o.get("target")) for o in options if isinstance(o, dict)}
        if target_id in targets or flow.fallback_target == target_id:
            users.append(flow.id)
    return users
