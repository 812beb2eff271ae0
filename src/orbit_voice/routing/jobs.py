"""Work outside a request (timers, routing): one transaction, then its after-commit hooks."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.db import pop_after_commit
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.routing.jobs")


async def run_job(
    rt: Runtime,
    fn: Callable[[AsyncSession], Awaitable[None]],
    *,
    what: str,
    call_id: str | None = None,
) -> None:
    """Run ``fn`` in its own committed transaction; a failure is logged, never raised."""
    try:
        async with rt.sessionmaker() as session:
            try:
                await fn(session)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            hooks = pop_after_commit(session)
        for hook in hooks:
            await hook()
    except Exception:
        log.exception("%s failed", what, extra={"call_id": call_id})
