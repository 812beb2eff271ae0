"""Checking a routing action's target when it is configured (numbers, IVR menus): it must
exist in the caller's org, so a call never meets a dangling id by surprise.

The packages that own a kind of target (agents, IVRs, queues, ring groups, voicemail boxes,
extensions) register how to find one at start-up (``orbit_voice.wiring``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.errors import Invalid
from orbit_voice.kit.phone import normalize_e164

# Actions with no target.
NO_TARGET = frozenset({"hangup", "repeat", "conference"})
# The kind of target each action takes.
_KIND = {
    "agent": "agent",
    "transfer_agent": "agent",
    "ivr": "ivr",
    "submenu": "ivr",
    "queue": "queue",
    "ring_group": "ring_group",
    "voicemail": "voicemail",
    "extension": "extension",
}
# (session, org_id, target_id) -> whether the org has it
Finder = Callable[[AsyncSession, str, str], Awaitable[bool]]


@dataclass(frozen=True)
class TargetKind:
    exists: Finder
    code: str  # the 422's code when it does not
    noun: str


_KINDS: dict[str, TargetKind] = {}


def register(kind: str, exists: Finder, *, code: str, noun: str) -> None:
    _KINDS[kind] = TargetKind(exists, code, noun)


def model_finder(model: Any) -> Finder:
    """A ``Finder`` for an ORM model with ``id`` and ``org_id`` columns."""

    async def exists(session: AsyncSession, org_id: str, target_id: str) -> bool:
        stmt = select(model.id).where(model.id == target_id, model.org_id == org_id)
        return (await session.execute(stmt)).scalar_one_or_none() is not None

    return exists


async def exists(session: AsyncSession, kind: str, org_id: str, target_id: str) -> bool:
    found = _KINDS.get(kind)
    return found is not None and await found.exists(session, org_id, target_id)


async def check(
    session: AsyncSession,
    org_id: str,
    action: str,
    target: str | None,
    param: str,
    *,
    target_optional: bool = False,
) -> str | None:
    """The target to store for ``action`` (normalized), or ``Invalid`` naming ``param``."""
    if action in NO_TARGET:
        if target is not None:
            raise Invalid(
                f"The {action} action takes no target.", code="target_not_allowed", param=param
            )
        return None
    if target is None or target == "":
        if target_optional:
            return None
        raise Invalid(f"The {action} action needs a target.", code="target_required", param=param)
    if action in {"forward", "transfer_number"}:
        try:
            return normalize_e164(target)
        except ValueError as exc:
            raise Invalid(
                f"The {action} target {exc}.", code="invalid_phone_number", param=param
            ) from exc
    kind = _KIND.get(action)
    if kind is None:
        raise Invalid(f"Unknown action '{action}'.", code="invalid_action", param=param)
    if not await exists(session, kind, org_id, target):
        found = _KINDS.get(kind)
        code, noun = (found.code, found.noun) if found else (f"{kind}_not_found", kind)
        raise Invalid(f"No {noun} with id '{target}'.", code=code, param=param)
    return target
