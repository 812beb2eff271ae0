"""Call control: create, read and the control verbs. Media work goes through the backend."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.calls import recordings
from orbit_voice.calls import repository as repo
from orbit_voice.calls.directory import directory
from orbit_voice.calls.lifecycle import InboundRinging, LegEnded, LegEnding, bus
from orbit_voice.calls.models import Call, CallEvent
from orbit_voice.calls.schemas import (
    CallCreate,
    CallDetail,
    CallOut,
    InboundIn,
    TransferIn,
    WarmTransferIn,
    WarmTransferState,
)
from orbit_voice.calls.state import TERMINAL, dated, duration_seconds, record_event, transition
from orbit_voice.db import after_commit, pop_after_commit
from orbit_voice.errors import Conflict, Invalid, not_found
from orbit_voice.kit.ids import new_id
from orbit_voice.media.backend import (
    DirectRoute,
    InboundLeg,
    MediaError,
    MediaEvent,
    MediaEventKind,
    OriginateRequest,
    TrunkRoute,
)
from orbit_voice.orgs.service import AuthContext
from orbit_voice.runtime import Runtime
from orbit_voice.webhooks.ssrf import check_url

log = logging.getLogger("orbit_voice.calls")


def to_out(call: Call, now: datetime) -> CallOut:
    return CallOut(
        id=call.id,
        direction=call.direction,
        to=call.to,
        from_=call.from_,
        agent_id=call.agent_id,
        ivr_id=call.ivr_id,
        status=call.status,
        record=call.record,
        max_duration=call.max_duration,
        webhook_url=call.webhook_url,
        metadata=call.metadata_,
        muted=call.muted,
        on_hold=call.on_hold,
        duration_seconds=duration_seconds(call, now),
        answered_at=call.answered_at,
        ended_at=call.ended_at,
        end_reason=call.end_reason,
        sip_code=call.sip_code,
        sip_call_id=call.sip_call_id,
        parent_call_id=call.parent_call_id,
        leg_role=call.leg_role,
        warm_transfer=WarmTransferState.model_validate(call.warm_transfer)
        if call.warm_transfer
        else None,
        created_at=call.created_at,
        updated_at=call.updated_at,
    )


async def detail(session: AsyncSession, rt: Runtime, call: Call) -> CallDetail:
    out = CallDetail(**to_out(call, rt.clock.now()).model_dump())
    recording = await repo.latest_recording(session, call.id)
    if recording is not None:
        out.recording = recordings.to_summary(rt, recording)
    return out


async def get(session: AsyncSession, org_id: str, call_id: str, *, lock: bool = False) -> Call:
    call = await repo.get_call(session, org_id, call_id, lock=lock)
    if call is None:
        raise not_found("call", call_id)
    return call


async def list_(
    session: AsyncSession,
    org_id: str,
    params: PageParams,
    *,
    status: str | None,
    from_: str | None,
    to: str | None,
) -> tuple[list[Call], Pagination]:
    stmt = repo.list_calls(org_id, status, from_, to)
    return await paginate(session, stmt, Call.created_at, Call.id, params)


async def list_events(
    session: AsyncSession, org_id: str, call_id: str, params: PageParams
) -> tuple[list[CallEvent], Pagination]:
    await get(session, org_id, call_id)
    return await paginate(
        session, repo.list_events(org_id, call_id), CallEvent.created_at, CallEvent.id, params
    )


# -- creating calls -------------------------------------------------------------------


def _dial_after_commit(
    session: AsyncSession,
    rt: Runtime,
    call: Call,
    route: TrunkRoute | DirectRoute | None = None,
    ring_timeout: float | None = None,
) -> None:
    """Dial once the row is saved, so media events always find their call."""
    if ring_timeout is None:
        ring_timeout = (
            rt.settings.sip_ring_timeout_seconds
            if call.backend == "sip"
            else rt.settings.sim_ring_timeout_seconds
        )
    request = OriginateRequest(
        leg_id=call.id,
        org_id=call.org_id,
        to=call.to,
        from_=call.from_,
        ring_timeout=ring_timeout,
        route=route,
    )
    backend = rt.media.get(call.backend)

    async def dial() -> None:
        try:
            await backend.originate(request)
        except MediaError as exc:
            await rt.media.dispatch(
                MediaEvent(call.id, MediaEventKind.FAILED, {"cause": exc.code, "sip_code": None})
            )

    after_commit(session, dial)


async def dial_leg(
    session: AsyncSession,
    rt: Runtime,
    *,
    org_id: str,
    backend: str,
    to: str,
    from_: str,
    leg_role: str,
    webhook_url: str | None,
    max_duration: int,
    parent_call_id: str | None = None,
    agent_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    route: TrunkRoute | DirectRoute | None = None,
    ring_timeout: float | None = None,
    param: str = "to",
) -> Call:
    """A new outbound leg the platform places (transfer, agent, ring group, conference,
    supervisor): a call row shown in the calls list, dialled once the transaction commits.

    A live leg with no ``route`` given finds its own: a phone number leaves through the
    org's trunk (422 ``no_trunk``), an agent is rung at its contact (422
    ``agent_unreachable``); the 422 names ``param``. Nothing is written before that."""
    if route is None and backend == "sip":
        route = await directory().live_route(session, rt.settings, org_id, to, from_, param)
    return await _place_outbound(
        session,
        rt,
        route,
        ring_timeout,
        org_id=org_id,
        to=to,
        from_=from_,
        agent_id=agent_id,
        webhook_url=webhook_url,
        record=False,
        max_duration=max_duration,
        metadata_=metadata or {},
        backend=backend,
        parent_call_id=parent_call_id,
        leg_role=leg_role,
    )


async def _place_outbound(
    session: AsyncSession,
    rt: Runtime,
    route: TrunkRoute | DirectRoute | None,
    ring_timeout: float | None,
    **columns: Any,
) -> Call:
    """Save a new outbound call (``initiating``), record ``call.initiated`` and dial it once
    the transaction commits: API calls and platform-placed legs alike."""
    now = rt.clock.now()
    call = Call(
        id=new_id("call"),
        direction="outbound",
        status="initiating",
        muted=False,
        on_hold=False,
        created_at=now,
        updated_at=now,
        node_id=rt.settings.node_id,
        **columns,
    )
    session.add(call)
    await session.flush()
    await record_event(session, call, "call.initiated", now, to_status="initiating")
    _dial_after_commit(session, rt, call, route, ring_timeout)
    return call


async def create(session: AsyncSession, rt: Runtime, auth: AuthContext, body: CallCreate) -> Call:
    lookup = directory()
    if not await lookup.number_owned(session, auth.org_id, body.from_):
        raise Invalid(
            f"{body.from_} is not a number registered in your account.",
            code="from_not_owned",
            param="from",
        )
    if body.agent_id is not None:
        await lookup.check_target(session, auth.org_id, "agent", body.agent_id, "agent_id")
    if body.ivr_id is not None:
        if body.agent_id is not None:
            raise Invalid(
                "Give agent_id or ivr_id, not both: the call is routed to one of them.",
                code="conflicting_routing",
                param="ivr_id",
            )
        await lookup.check_target(session, auth.org_id, "ivr", body.ivr_id, "ivr_id")
    if body.webhook_url:
        await check_url(body.webhook_url, allow_private=rt.settings.webhooks_allow_private)
    backend_name = rt.media.name_for(test=auth.is_test)
    rt.media.get(backend_name)  # 503 media_unavailable before anything is written
    trunk = None
    if backend_name == "sip":  # a live call leaves through the org's trunk (422 no_trunk)
        trunk = await lookup.trunk_route(session, rt.settings, auth.org_id, body.from_, "from")
    return await _place_outbound(
        session,
        rt,
        trunk,
        None,
        org_id=auth.org_id,
        to=body.to,
        from_=body.from_,
        agent_id=body.agent_id,
        ivr_id=body.ivr_id,
        webhook_url=body.webhook_url,
        record=body.record,
        max_duration=body.max_duration,
        metadata_=body.metadata,
        backend=backend_name,
    )


async def simulate_inbound(
    session: AsyncSession, rt: Runtime, auth: AuthContext, body: InboundIn
) -> Call:
    if not await directory().number_owned(session, auth.org_id, body.to):
        raise Invalid(
            f"{body.to} is not a number registered in your account.",
            code="number_not_found",
            param="to",
        )
    if body.webhook_url:
        await check_url(body.webhook_url, allow_private=rt.settings.webhooks_allow_private)
    now = rt.clock.now()
    call = Call(
        id=new_id("call"),
        org_id=auth.org_id,
        direction="inbound",
        to=body.to,
        from_=body.from_,
        webhook_url=body.webhook_url,
        record=False,
        max_duration=3600,
        metadata_={},
        status="initiating",
        backend="sim",
        node_id=rt.settings.node_id,
        muted=False,
        on_hold=False,
        created_at=now,
        updated_at=now,
    )
    session.add(call)
    await session.flush()
    await record_event(session, call, "call.initiated", now, to_status="initiating")
    await transition(session, call, "ringing", now)
    await rt.media.get("sim").adopt_inbound(
        InboundLeg(
            leg_id=call.id,
            org_id=call.org_id,
            from_=call.from_,
            to=call.to,
            ring_timeout=rt.settings.sim_ring_timeout_seconds,
        )
    )
    await bus.publish(session, rt, InboundRinging(call))
    return call


# -- ending calls ---------------------------------------------------------------------


async def end(
    session: AsyncSession,
    rt: Runtime,
    call: Call,
    status: str,
    *,
    end_reason: str,
    sip_code: int | None = None,
    at: datetime | None = None,
) -> None:
    """Move ``call`` to a final status and tidy up: recording saved, spawned legs hung up.
    ``at`` dates the end when it happened earlier than now (a media event's time)."""
    now = dated(call, rt.clock.now(), at)
    if call.status == "in_progress":
        await bus.publish(session, rt, LegEnding(call))  # e.g. a voicemail keeps what was said
        await recordings.finish_if_recording(session, rt, call)
    await transition(session, call, status, now, end_reason=end_reason, sip_code=sip_code)
    # Whoever holds the leg lets go of it: a conference participant leaves the room, a
    # supervisor's monitoring stops, a queued caller abandons, an agent wraps up; a connected
    # call is scored and transcribed.
    await bus.publish(session, rt, LegEnded(call))
    for child in await repo.active_children(session, call.id):
        await rt.media.get(child.backend).hangup(child.id)
        final = "completed" if child.status == "in_progress" else "cancelled"
        await end(session, rt, child, final, end_reason="parent_ended", at=now)


def _require_active(call: Call) -> None:
    if call.status != "in_progress":
        raise Conflict(
            f"The call is {call.status}; this needs a connected call.",
            code="call_not_active",
            details={"status": call.status},
        )


async def hangup(session: AsyncSession, rt: Runtime, call: Call) -> None:
    if call.status in TERMINAL:
        raise Conflict(
            f"The call has already ended ({call.status}).",
            code="call_not_active",
            details={"status": call.status},
        )
    await rt.media.get(call.backend).hangup(call.id)
    if call.status == "in_progress":
        await end(session, rt, call, "completed", end_reason="hangup")
    else:
        await end(session, rt, call, "cancelled", end_reason="cancelled", sip_code=487)


def _require_inbound_ringing(call: Call, verb: str) -> None:
    if call.direction != "inbound":
        raise Conflict(f"Only inbound calls can be {verb}.", code="invalid_call_state")
    if call.status != "ringing":
        raise Conflict(
            f"The call is {call.status}; only a ringing call can be {verb}.",
            code="invalid_call_state",
            details={"status": call.status},
        )


async def accept(session: AsyncSession, rt: Runtime, call: Call) -> None:
    _require_inbound_ringing(call, "accepted")
    await rt.media.get(call.backend).answer(call.id)
    await transition(session, call, "in_progress", rt.clock.now(), sip_code=200)
    after_answer(session, rt, call)


async def decline(session: AsyncSession, rt: Runtime, call: Call) -> None:
    _require_inbound_ringing(call, "declined")
    await rt.media.get(call.backend).reject(call.id, 486)
    await end(session, rt, call, "busy", end_reason="declined", sip_code=486)


def after_answer(session: AsyncSession, rt: Runtime, call: Call) -> None:
    """Start the max_duration timer (counted from the answer) once the answer is saved."""
    answered_at = call.answered_at
    call_id, limit = call.id, call.max_duration

    async def arm() -> None:
        rt.clock.spawn(max_duration_timer(rt, call_id, answered_at, limit))

    after_commit(session, arm)


async def set_mute(session: AsyncSession, rt: Runtime, call: Call, on: bool) -> None:
    _require_active(call)
    if call.muted == on:
        return
    await rt.media.get(call.backend).mute(call.id, on)
    call.muted = on
    call.updated_at = rt.clock.now()
    await record_event(session, call, "call.muted" if on else "call.unmuted", call.updated_at)


async def set_hold(session: AsyncSession, rt: Runtime, call: Call, on: bool) -> None:
    _require_active(call)
    if call.on_hold == on:
        return
    await rt.media.get(call.backend).hold(call.id, on)
    call.on_hold = on
    call.updated_at = rt.clock.now()
    await record_event(session, call, "call.held" if on else "call.unheld", call.updated_at)


async def send_dtmf(session: AsyncSession, rt: Runtime, call: Call, digits: str) -> None:
    _require_active(call)
    await rt.media.get(call.backend).send_dtmf(call.id, digits)
    await record_event(session, call, "call.dtmf.sent", rt.clock.now(), data={"digits": digits})


async def max_duration_timer(
    rt: Runtime, call_id: str, answered_at: datetime | None, limit: int
) -> None:
    await rt.clock.sleep(limit)
    async with rt.sessionmaker() as session:
        call = await repo.get_call(session, None, call_id, lock=True)
        if call is None or call.status != "in_progress" or call.answered_at != answered_at:
            return
        try:
            await rt.media.get(call.backend).hangup(call.id)
        except MediaError:
            log.warning("hangup at max_duration failed", extra={"call_id": call_id})
        await end(session, rt, call, "completed", end_reason="max_duration")
        await session.commit()
        hooks = pop_after_commit(session)
    for hook in hooks:  # e.g. an agent freed by this call is offered the next one
        await hook()


# -- transfers ------------------------------------------------------------------------

# Child legs that can be the caller's other side (its agent): a human agent's phone, a
# ring-group member, an earlier transferee or consult party.
AGENT_SIDE_ROLES = frozenset({"agent", "ring_group", "transfer", "consult"})
TRANSFERRED = "transferred"  # end_reason of an agent leg a transfer replaced


async def agent_side_legs(session: AsyncSession, call: Call, *, exclude: str) -> list[Call]:
    """The connected legs that are the caller's other side (its agent), but ``exclude``."""
    return [
        child
        for child in await repo.active_children(session, call.id)
        if child.id != exclude
        and child.leg_role in AGENT_SIDE_ROLES
        and child.status == "in_progress"
    ]


async def drop_agent_legs(
    session: AsyncSession, rt: Runtime, call: Call, *, keep: str
) -> list[str]:
    """A transfer gave the caller a new other side (``keep``): hang up the legs that were it
    until now, so the old agent is disconnected rather than left in a three-way call."""
    dropped: list[str] = []
    for child in await agent_side_legs(session, call, exclude=keep):
        try:
            await rt.media.get(child.backend).hangup(child.id)
        except MediaError:
            log.warning("could not hang up the old agent leg", extra={"call_id": child.id})
        await end(session, rt, child, "completed", end_reason=TRANSFERRED)
        dropped.append(child.id)
    return dropped


async def _spawn_leg(
    session: AsyncSession, rt: Runtime, call: Call, to: str, from_: str, role: str
) -> Call:
    if to.startswith("ext_"):
        await directory().check_target(session, call.org_id, "extension", to, "to")
    if to.startswith("agt_"):
        await directory().check_target(session, call.org_id, "agent", to, "to")
    return await dial_leg(
        session,
        rt,
        org_id=call.org_id,
        backend=call.backend,
        to=to,
        from_=from_,
        leg_role=role,
        webhook_url=call.webhook_url,
        max_duration=call.max_duration,
        parent_call_id=call.id,
        agent_id=to if to.startswith("agt_") else None,
    )


async def _no_transfer_in_flight(session: AsyncSession, call: Call) -> None:
    for child in await repo.active_children(session, call.id):
        if child.leg_role in {"transfer", "consult"} and child.answered_at is None:
            raise Conflict(
                "A transfer of this call is already in progress.", code="transfer_in_progress"
            )
    if call.warm_transfer and call.warm_transfer.get("state") in {"dialing", "consulting"}:
        raise Conflict(
            "A warm transfer of this call is in progress.", code="warm_transfer_in_progress"
        )


async def transfer(session: AsyncSession, rt: Runtime, call: Call, body: TransferIn) -> Call:
    _require_active(call)
    await _no_transfer_in_flight(session, call)
    leg = await _spawn_leg(session, rt, call, body.to, body.caller_id or call.from_, "transfer")
    await record_event(
        session,
        call,
        "call.transfer.started",
        rt.clock.now(),
        data={"to": body.to, "transfer_call_id": leg.id},
    )
    return leg


async def warm_transfer(
    session: AsyncSession, rt: Runtime, call: Call, body: WarmTransferIn
) -> Call:
    _require_active(call)
    await _no_transfer_in_flight(session, call)
    leg = await _spawn_leg(
        session,
        rt,
        call,
        body.to,
        call.to if call.direction == "inbound" else call.from_,
        "consult",
    )
    if not call.on_hold:
        await rt.media.get(call.backend).hold(call.id, True)
        call.on_hold = True
    call.warm_transfer = {
        "consult_call_id": leg.id,
        "to": body.to,
        "state": "dialing",
        "whisper_message": body.whisper_message,
    }
    await record_event(
        session,
        call,
        "call.warm_transfer.started",
        rt.clock.now(),
        data={"to": body.to, "consult_call_id": leg.id},
    )
    return leg


def _warm_state(call: Call, *expected: str) -> dict[str, Any]:
    state = dict(call.warm_transfer or {})
    if state.get("state") not in expected:
        raise Conflict(
            "There is no warm transfer in a state that allows this."
            if state
            else "This call has no warm transfer in progress.",
            code="no_warm_transfer" if not state else "invalid_warm_transfer_state",
            details={"warm_transfer_state": state.get("state")},
        )
    return state


async def complete_warm_transfer(session: AsyncSession, rt: Runtime, call: Call) -> None:
    _require_active(call)
    state = _warm_state(call, "consulting")
    consult = await get(session, call.org_id, state["consult_call_id"], lock=True)
    backend = rt.media.get(call.backend)
    await backend.bridge(call.id, consult.id)
    await backend.hold(call.id, False)
    call.on_hold = False
    dropped = await drop_agent_legs(session, rt, call, keep=consult.id)
    previous_agent = call.agent_id
    call.agent_id = consult.agent_id
    call.warm_transfer = {**state, "state": "completed"}
    call.updated_at = rt.clock.now()
    await record_event(
        session,
        call,
        "call.warm_transfer.completed",
        call.updated_at,
        data={
            "consult_call_id": consult.id,
            "dropped_agent_id": previous_agent,
            "dropped_call_ids": dropped,
        },
    )


async def cancel_warm_transfer(session: AsyncSession, rt: Runtime, call: Call) -> None:
    _require_active(call)
    state = _warm_state(call, "dialing", "consulting")
    consult = await get(session, call.org_id, state["consult_call_id"], lock=True)
    if consult.status not in TERMINAL:
        await rt.media.get(consult.backend).hangup(consult.id)
        final = "completed" if consult.status == "in_progress" else "cancelled"
        await end(session, rt, consult, final, end_reason="warm_transfer_cancelled")
    await rt.media.get(call.backend).hold(call.id, False)
    call.on_hold = False
    call.warm_transfer = {**state, "state": "cancelled"}
    call.updated_at = rt.clock.now()
    await record_event(
        session,
        call,
        "call.warm_transfer.cancelled",
        call.updated_at,
        data={"consult_call_id": consult.id},
    )
