"""Overflow and fallback actions (voicemail | transfer_number | hangup), shared by queues and
ring groups: validated when configured, run on the call through the routing executor."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call
from orbit_voice.runtime import Runtime


async def check_target(
    session: AsyncSession, org_id: str, action: str, target: str | None, param: str
) -> str | None:
    """The target to store (normalized); voicemail's is optional (the org's first box)."""
    from orbit_voice.routing.targets import check

    return await check(
        session, org_id, action, target, param, target_optional=action == "voicemail"
    )


async def run(
    session: AsyncSession, rt: Runtime, call: Call, action: str, target: str | None
) -> None:
    from orbit_voice.routing.executor import run_action

    await run_action(session, rt, call, action, target)
