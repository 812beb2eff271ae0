"""Checking a routing action's target when it is configured (numbers, IVR menus): it must
exist in the caller's org, so a call never meets a dangling id by surprise."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.errors import Invalid

# Actions with no target.
NO_TARGET = frozenset({"hangup", "repeat", "conference"})
# Where each kind of target lives: (module, model class, error code, noun).
_MODELS: dict[str, tuple[str, str, str, str]] = {
    "agent": ("orbit_voice.agents.models", "Agent", "agent_not_found", "agent"),
    "ivr": ("orbit_voice.ivr.models", "IvrFlow", "ivr_not_found", "IVR flow"),
    "queue": ("orbit_voice.queues.models", "Queue", "queue_not_found", "queue"),
    "ring_group": (
        "orbit_voice.ring_groups.models",
        "RingGroup",
        "ring_group_not_found",
        "ring group",
    ),
    "voicemail": (
        "orbit_voice.voicemail.models",
        "VoicemailBox",
        "voicemail_not_found",
        "voicemail box",
    ),
}
_KIND = {
    "agent": "agent",
    "transfer_agent": "agent",
    "ivr": "ivr",
    "submenu": "ivr",
    "queue": "queue",
    "ring_group": "ring_group",
    "voicemail": "voicemail",
}


async def exists(session: AsyncSession, kind: str, org_id: str, target_id: str) -> bool:
    module, name, _, _ = _MODELS[kind]
    try:
        model: Any = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    row = (
        await session.execute(select(model.id).where(model.id == target_id, model.org_id == org_id))
    ).scalar_one_or_none()
    return row is not None


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
        from orbit_voice.kit.phone import normalize_e164

        try:
            return normalize_e164(target)
        except ValueError as exc:
            raise Invalid(
                f"The {action} target {exc}.", code="invalid_phone_number", param=param
            ) from exc
    if action == "extension":
        found = None
        try:
            from orbit_voice.sip_credentials.service import find_extension

            found = await find_extension(session, org_id, target)
        except ImportError:
            found = None
        if found is None:
            raise Invalid(
                f"No extension with id '{target}'.", code="extension_not_found", param=param
            )
        return target
    kind = _KIND.get(action)
    if kind is None:
        raise Invalid(f"Unknown action '{action}'.", code="invalid_action", param=param)
    if not await exists(session, kind, org_id, target):
        _, _, code, noun = _MODELS[kind]
        raise Invalid(f"No {noun} with id '{target}'.", code=code, param=param)
    return target
