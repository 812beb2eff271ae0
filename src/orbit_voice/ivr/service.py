"""IVR flows: configuration (CRUD with every target checked in the org)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.clones.service import require_voice
from orbit_voice.errors import Conflict, Invalid, not_found
from orbit_voice.ivr.models import IvrFlow
from orbit_voice.ivr.schemas import IvrCreate, IvrOut, IvrUpdate, MenuOption, MenuOut
from orbit_voice.kit.clock import Clock
from orbit_voice.kit.ids import new_id
from orbit_voice.routing import targets


def to_out(flow: IvrFlow) -> IvrOut:
    options = list(flow.menu.get("options", []))
    return IvrOut(
        id=flow.id,
        name=flow.name,
        status=flow.status,
        greeting=flow.greeting,
        language=flow.language,
        tts_voice_id=flow.tts_voice_id,
        menu=MenuOut.model_validate({"options": options}),
        options_count=len(options),
        timeout_seconds=flow.timeout_seconds,
        max_retries=flow.max_retries,
        fallback_action=flow.fallback_action,
        fallback_target=flow.fallback_target,
        created_at=flow.created_at,
        updated_at=flow.updated_at,
    )


async def _menu(session: AsyncSession, org_id: str, options: list[MenuOption]) -> dict[str, Any]:
    seen: dict[str, int] = {}
    checked: list[dict[str, Any]] = []
    for i, option in enumerate(options):
        param = f"menu.options.{i}"
        if option.key in seen:
            raise Invalid(
                f"Key '{option.key}' is used by option {seen[option.key]} already.",
                code="duplicate_key",
                param=f"{param}.key",
            )
        seen[option.key] = i
        target = await targets.check(
            session, org_id, option.action, option.target, f"{param}.target"
        )
        checked.append({"key": option.key, "action": option.action, "target": target})
    return {"options": checked}


async def _fallback(
    session: AsyncSession, org_id: str, action: str, target: str | None
) -> str | None:
    # Voicemail without a box means the org's first box, chosen when the fallback happens.
    return await targets.check(
        session,
        org_id,
        action,
        target,
        "fallback_target",
        target_optional=action == "voicemail",
    )


async def _voice(session: AsyncSession, org_id: str, voice_id: str | None) -> str | None:
    return None if voice_id is None else await require_voice(session, org_id, voice_id)


async def create(session: AsyncSession, org_id: str, body: IvrCreate, clock: Clock) -> IvrFlow:
    menu = await _menu(session, org_id, body.menu.options)
    fallback_target = await _fallback(session, org_id, body.fallback_action, body.fallback_target)
    now = clock.now()
    flow = IvrFlow(
        id=new_id("ivr"),
        org_id=org_id,
        name=body.name,
        status="active",
        greeting=body.greeting,
        language=body.language,
        tts_voice_id=await _voice(session, org_id, body.tts_voice_id),
        menu=menu,
        timeout_seconds=body.timeout_seconds,
        max_retries=body.max_retries,
        fallback_action=body.fallback_action,
        fallback_target=fallback_target,
        created_at=now,
        updated_at=now,
    )
    session.add(flow)
    await session.flush()
    return flow


async def find(session: AsyncSession, org_id: str, ivr_id: str) -> IvrFlow | None:
    return (
        await session.execute(select(IvrFlow).where(IvrFlow.id == ivr_id, IvrFlow.org_id == org_id))
    ).scalar_one_or_none()


async def get(session: AsyncSession, org_id: str, ivr_id: str) -> IvrFlow:
    flow = await find(session, org_id, ivr_id)
    if flow is None:
        raise not_found("ivr", ivr_id)
    return flow


async def list_(
    session: AsyncSession, org_id: str, params: PageParams
) -> tuple[list[IvrFlow], Pagination]:
    stmt = select(IvrFlow).where(IvrFlow.org_id == org_id)
    return await paginate(session, stmt, IvrFlow.created_at, IvrFlow.id, params)


async def update(
    session: AsyncSession, org_id: str, ivr_id: str, body: IvrUpdate, clock: Clock
) -> IvrFlow:
    flow = await get(session, org_id, ivr_id)
    sent = body.model_fields_set
    for field in ("name", "greeting", "language", "timeout_seconds", "max_retries"):
        if field in sent:
            value = getattr(body, field)
            if value is None:
                raise Invalid(f"{field} cannot be null.", param=field)
            setattr(flow, field, value)
    if "tts_voice_id" in sent:
        flow.tts_voice_id = await _voice(session, org_id, body.tts_voice_id)
    if "menu" in sent:
        if body.menu is None:
            raise Invalid("menu cannot be null.", param="menu")
        flow.menu = await _menu(session, org_id, body.menu.options)
    if "fallback_action" in sent or "fallback_target" in sent:
        action = body.fallback_action if "fallback_action" in sent else flow.fallback_action
        if action is None:
            raise Invalid("fallback_action cannot be null.", param="fallback_action")
        if "fallback_target" in sent:
            target = body.fallback_target
        elif action == flow.fallback_action:
            target = flow.fallback_target
        else:  # a new action does not inherit the old action's target
            target = None
        flow.fallback_action = action
        flow.fallback_target = await _fallback(session, org_id, action, target)
    flow.updated_at = clock.now()
    await session.flush()
    return flow


async def users(session: AsyncSession, org_id: str, ivr_id: str) -> dict[str, list[str]]:
    """Numbers and other IVR flows that send calls to ``ivr_id``."""
    from orbit_voice.numbers.models import Number

    numbers = (await session.execute(select(Number).where(Number.org_id == org_id))).scalars()
    using_numbers = sorted(
        n.number
        for n in numbers
        if any(
            h and h.get("type") == "ivr" and h.get("target") == ivr_id
            for h in (n.handler, n.off_hours_handler)
        )
    )
    flows = (
        await session.execute(select(IvrFlow).where(IvrFlow.org_id == org_id, IvrFlow.id != ivr_id))
    ).scalars()
    using_flows = sorted(
        f.id
        for f in flows
        if any(
            o.get("action") == "submenu" and o.get("target") == ivr_id
            for o in f.menu.get("options", [])
        )
    )
    return {"numbers": using_numbers, "ivr_flows": using_flows}


async def delete(session: AsyncSession, org_id: str, ivr_id: str) -> None:
    flow = await get(session, org_id, ivr_id)
    used_by = await users(session, org_id, flow.id)
    if used_by["numbers"] or used_by["ivr_flows"]:
        raise Conflict(
            "This IVR flow is in use; point its numbers and menus elsewhere first.",
            code="ivr_in_use",
            details=used_by,
        )
    await session.delete(flow)
    await session.flush()
