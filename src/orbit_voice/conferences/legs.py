"""Participants' call legs: dialling them, admitting them to the room when they connect,
and letting them go when their leg ends (however it ends).

``leg_answered`` and ``leg_ended`` are the hooks the calls domain calls: the first from the
media event handler when a ``conference`` leg answers, the second from ``calls.service.end``
for every call that ends, so a participant never outlives its leg.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls import repository as calls_repo
from orbit_voice.calls import service as calls_service
from orbit_voice.calls.lifecycle import LegAnswered, LegEnded
from orbit_voice.calls.models import Call
from orbit_voice.conferences import repository as repo
from orbit_voice.conferences.models import Conference, ConferenceParticipant
from orbit_voice.conferences.views import webhook_data
from orbit_voice.media.backend import MediaError
from orbit_voice.runtime import Runtime
from orbit_voice.webhooks.outbox import emit

log = logging.getLogger("orbit_voice.conferences")

# Conference legs can run as long as the API allows any call to.
LEG_MAX_DURATION = 14400


async def emit_event(
    session: AsyncSession,
    rt: Runtime,
    conference: Conference,
    type: str,
    participant: ConferenceParticipant | None = None,
    **extra: object,
) -> None:
    """Queue a conference webhook; one conference's events are delivered in order."""
    if not conference.webhook_url:
        return
    await emit(
        session,
        org_id=conference.org_id,
        url=conference.webhook_url,
        type=type,
        data=await webhook_data(session, conference, participant, **extra),
        now=rt.clock.now(),
        call_id=conference.id,
    )


async def dial(
    session: AsyncSession, rt: Runtime, conference: Conference, to: str, from_: str
) -> Call:
    """A new outbound leg (``leg_role: conference``), dialled once the transaction commits."""
    return await calls_service.dial_leg(
        session,
        rt,
        org_id=conference.org_id,
        backend=conference.backend,
        to=to,
        from_=from_,
        leg_role="conference",
        webhook_url=conference.webhook_url,
        max_duration=LEG_MAX_DURATION,
        metadata={"conference_id": conference.id},
        param="from",  # a live leg leaves through the trunk of its from number (no_trunk)
    )


async def hang_up(
    session: AsyncSession, rt: Runtime, call: Call, reason: str, *, after_prompts: bool = False
) -> None:
    """End a leg from our side: connected legs complete, ringing ones are cancelled."""
    from orbit_voice.routing.executor import hangup

    await hangup(session, rt, call, end_reason=reason, after_prompts=after_prompts)


async def admit(
    session: AsyncSession,
    rt: Runtime,
    conference: Conference,
    participant: ConferenceParticipant,
    call: Call,
) -> bool:
    """Put a connected leg in the room, or hang it up when the room is ended or locked."""
    refusal = None
    if conference.status == "ended":
        refusal = "conference_ended"
    elif conference.locked:
        refusal = "conference_locked"
    if refusal is not None:
        await hang_up(session, rt, call, refusal)
        return False
    now = rt.clock.now()
    await rt.media.get(conference.backend).conference_join(
        conference.id, call.id, muted=participant.muted
    )
    participant.status = "joined"
    participant.joined_at = now
    participant.updated_at = now
    if conference.status == "waiting":
        conference.status = "active"
        conference.started_at = now
        conference.updated_at = now
        await session.flush()
        await emit_event(session, rt, conference, "conference.started")
        if conference.record:
            from orbit_voice.conferences import recordings

            try:
                await recordings.start(session, rt, conference)
            except MediaError:  # the room goes on unrecorded rather than not at all
                log.warning("could not start recording", extra={"conference_id": conference.id})
    await session.flush()
    await emit_event(session, rt, conference, "participant.joined", participant)
    return True


async def leg_answered(session: AsyncSession, rt: Runtime, event: LegAnswered) -> None:
    """A dialled participant picked up: admit them (idempotent on repeated events)."""
    call = event.call
    if call.leg_role != "conference":
        return
    participant = await repo.participant_for_call(session, call.org_id, call.id)
    if participant is None or participant.status != "dialing":
        return
    conference = await repo.get_conference(
        session, call.org_id, participant.conference_id, lock=True
    )
    if conference is None:
        return
    await admit(session, rt, conference, participant, call)


async def leg_ended(session: AsyncSession, rt: Runtime, event: LegEnded) -> None:
    """A participant's leg ended: they leave the room (or never made it in)."""
    call = event.call
    participant = await repo.participant_for_call(session, call.org_id, call.id)
    if participant is None:
        return
    conference = await repo.get_conference(
        session, call.org_id, participant.conference_id, lock=True
    )
    now = rt.clock.now()
    was_joined = participant.status == "joined"
    participant.status = "left" if was_joined else "failed"
    participant.end_reason = call.end_reason
    participant.left_at = now if was_joined else None
    participant.updated_at = now
    await session.flush()
    if conference is None or not was_joined:
        return
    try:
        await rt.media.get(conference.backend).conference_leave(conference.id, call.id)
    except MediaError:
        log.warning("conference_leave failed", extra={"call_id": call.id})
    await emit_event(
        session, rt, conference, "participant.left", participant, reason=call.end_reason
    )


async def leg_of(session: AsyncSession, participant: ConferenceParticipant) -> Call:
    call = await calls_repo.get_call(session, participant.org_id, participant.call_id, lock=True)
    if call is None:  # the FK cascades, so only a concurrent org deletion gets here
        raise LookupError(participant.call_id)
    return call
