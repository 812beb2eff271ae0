"""Ring groups: configuration, and ringing a call through one."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.calls.models import Call
from orbit_voice.calls.state import record_event
from orbit_voice.errors import Conflict, Invalid, not_found
from orbit_voice.kit.ids import new_id
from orbit_voice.kit.phone import normalize_e164
from orbit_voice.queues import actions
from orbit_voice.queues.refs import users_of
from orbit_voice.ring_groups import repository as repo
from orbit_voice.ring_groups import runner
from orbit_voice.ring_groups.models import RingGroup, RingGroupCall
from orbit_voice.ring_groups.schemas import (
    MemberIn,
    RingGroupCreate,
    RingGroupOut,
    RingGroupUpdate,
)
from orbit_voice.runtime import Runtime

_random = secrets.SystemRandom()


async def _find_extension(session: AsyncSession, org_id: str, extension_id: str) -> bool:
    try:
        from orbit_voice.sip_credentials.service import find_extension
    except ImportError:
        return False  # no extension can exist before SIP credentials are installed
    return await find_extension(session, org_id, extension_id) is not None


async def _check_members(
    session: AsyncSession, org_id: str, members: list[MemberIn]
) -> list[dict[str, Any]]:
    checked: list[dict[str, Any]] = []
    for i, member in enumerate(members):
        param = f"members[{i}]"
        if (member.extension_id is None) == (member.phone_number is None):
            raise Invalid(
                "Give exactly one of extension_id and phone_number.",
                code="invalid_member",
                param=param,
            )
        phone = None
        if member.phone_number is not None:
            try:
                phone = normalize_e164(member.phone_number)
            except ValueError as exc:
                raise Invalid(
                    f"phone_number {exc}.", code="invalid_phone_number", param=param
                ) from exc
        if member.extension_id is not None and not await _find_extension(
            session, org_id, member.extension_id
        ):
            raise Invalid(
                f"No extension with id '{member.extension_id}'.",
                code="extension_not_found",
                param=param,
            )
        checked.append(
            {
                "extension_id": member.extension_id,
                "phone_number": phone,
                "ring_seconds": member.ring_seconds,
            }
        )
    return checked


def to_out(group: RingGroup) -> RingGroupOut:
    return RingGroupOut.model_validate(group)


async def create(
    session: AsyncSession, rt: Runtime, org_id: str, body: RingGroupCreate
) -> RingGroup:
    members = await _check_members(session, org_id, body.members)
    target = await actions.check_target(
        session, org_id, body.fallback_action, body.fallback_target, "fallback_target"
    )
    now = rt.clock.now()
    group = RingGroup(
        id=new_id("rg"),
        org_id=org_id,
        name=body.name,
        strategy=body.strategy,
        members=members,
        timeout_seconds=body.timeout_seconds,
        fallback_action=body.fallback_action,
        fallback_target=target,
        created_at=now,
        updated_at=now,
    )
    session.add(group)
    await session.flush()
    return group


async def get(
    session: AsyncSession, org_id: str, group_id: str, *, lock: bool = False
) -> RingGroup:
    group = await repo.get_group(session, org_id, group_id, lock=lock)
    if group is None:
        raise not_found("ring_group", group_id)
    return group


async def list_(
    session: AsyncSession, org_id: str, params: PageParams
) -> tuple[list[RingGroup], Pagination]:
    return await paginate(
        session, repo.list_groups(org_id), RingGroup.created_at, RingGroup.id, params
    )


async def update(
    session: AsyncSession, rt: Runtime, org_id: str, group_id: str, body: RingGroupUpdate
) -> RingGroup:
    group = await get(session, org_id, group_id, lock=True)
    given = body.model_fields_set
    for field in ("name", "strategy", "members", "timeout_seconds", "fallback_action"):
        if field in given and getattr(body, field) is None:
            raise Invalid(f"{field} cannot be null.", param=field)
    if "members" in given and body.members is not None:
        group.members = await _check_members(session, org_id, body.members)
    if "fallback_action" in given or "fallback_target" in given:
        action = body.fallback_action or group.fallback_action
        target = body.fallback_target if "fallback_target" in given else group.fallback_target
        if "fallback_target" not in given and action == "hangup":
            target = None
        group.fallback_target = await actions.check_target(
            session, org_id, action, target, "fallback_target"
        )
        group.fallback_action = action
    for field in ("name", "strategy", "timeout_seconds"):
        if field in given:
            setattr(group, field, getattr(body, field))
    group.updated_at = rt.clock.now()
    await session.flush()
    return group


async def delete(session: AsyncSession, org_id: str, group_id: str) -> None:
    group = await get(session, org_id, group_id, lock=True)
    users = await users_of(session, org_id, group.id)
    if users:
        raise Conflict(
            "Numbers or IVR menus route to this ring group; point them elsewhere first.",
            code="ring_group_in_use",
            details={"used_by": users},
        )
    await session.delete(group)
    await session.flush()


# -- ringing -------------------------------------------------------------------------------


def dial_order(group: RingGroup) -> list[dict[str, Any]]:
    destinations = [
        {
            "member_index": i,
            "to": m.get("extension_id") or m.get("phone_number"),
            "ring_seconds": m.get("ring_seconds") or group.timeout_seconds,
        }
        for i, m in enumerate(group.members)
    ]
    if group.strategy == "random":
        _random.shuffle(destinations)
    return destinations


async def ring(session: AsyncSession, rt: Runtime, call: Call, ring_group_id: str) -> None:
    """Ring the group's members for ``call``; the first to answer is bridged to it.

    A still-ringing inbound call is answered first (the caller waits on our side while the
    members ring). Nobody answering leads to the group's fallback action.
    """
    from orbit_voice.routing.executor import ensure_answered

    group = await get(session, call.org_id, ring_group_id)
    if not await ensure_answered(session, rt, call):
        raise Conflict(f"The call is {call.status}.", code="call_not_active")
    if await repo.ringing_run(session, call.org_id, call.id) is not None:
        raise Conflict("A ring group is already ringing for this call.", code="already_ringing")
    now = rt.clock.now()
    run = RingGroupCall(
        id=new_id("rgc"),
        org_id=call.org_id,
        ring_group_id=group.id,
        call_id=call.id,
        strategy=group.strategy,
        destinations=dial_order(group),
        position=0,
        status="ringing",
        fallback_action=group.fallback_action,
        fallback_target=group.fallback_target,
        created_at=now,
    )
    session.add(run)
    await session.flush()
    await record_event(
        session,
        call,
        "ring_group.started",
        now,
        data={
            "ring_group_id": group.id,
            "strategy": group.strategy,
            "order": [d["to"] for d in run.destinations],
        },
    )
    if group.strategy == "simultaneous":
        for destination in run.destinations:
            await runner.dial_member(session, rt, call, run, destination)
    else:
        await runner.dial_member(session, rt, call, run, run.destinations[0])
