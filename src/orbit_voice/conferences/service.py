"""Conference rooms: create, read, moderate, end. Audio goes through the media backend."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.api.envelope import Pagination
from orbit_voice.api.pagination import PageParams, paginate
from orbit_voice.calls import service as calls_service
from orbit_voice.conferences import legs, recordings
from orbit_voice.conferences import repository as repo
from orbit_voice.conferences.models import Conference, ConferenceParticipant
from orbit_voice.conferences.schemas import ConferenceCreate, ParticipantCreate
from orbit_voice.conferences.views import dial_in_number
from orbit_voice.db import after_commit
from orbit_voice.errors import Conflict, Invalid, NotFound
from orbit_voice.kit.ids import new_id
from orbit_voice.media.backend import MediaError
from orbit_voice.numbers import service as numbers
from orbit_voice.orgs.service import AuthContext
from orbit_voice.runtime import Runtime
from orbit_voice.webhooks.ssrf import check_url

log = logging.getLogger("orbit_voice.conferences")

PIN_SPACE = 1_000_000


def _random_pin() -> str:
    return f"{secrets.randbelow(PIN_SPACE):06d}"


async def _free_pin(session: AsyncSession, org_id: str) -> str:
    taken = await repo.active_pins(session, org_id)
    if len(taken) >= PIN_SPACE // 2:
        # Guessing a PIN would become too easy long before the space runs out.
        raise Conflict(
            "Too many conferences are open; end some before creating more.",
            code="too_many_conferences",
        )
    while True:
        pin = _random_pin()
        if pin not in taken:
            return pin


async def create(
    session: AsyncSession, rt: Runtime, auth: AuthContext, body: ConferenceCreate
) -> Conference:
    if body.webhook_url:
        await check_url(body.webhook_url, allow_private=rt.settings.webhooks_allow_private)
    now = rt.clock.now()
    conference = Conference(
        id=new_id("conf"),
        org_id=auth.org_id,
        name=body.name,
        status="waiting",
        pin=await _free_pin(session, auth.org_id),
        max_participants=body.max_participants,
        record=body.record,
        mute_on_join=body.mute_on_join,
        webhook_url=body.webhook_url,
        locked=False,
        all_muted=False,
        backend=rt.media.name_for(test=auth.is_test),
        created_at=now,
        updated_at=now,
    )
    session.add(conference)
    try:
        await session.flush()
    except IntegrityError as exc:
        # A concurrent create drew the same PIN (about one in a million): the unique index
        # refused this one, and the request's transaction is rolled back.
        raise Conflict(
            "Another conference took this PIN at the same moment; try again.",
            code="pin_conflict",
        ) from exc
    return conference


async def get(
    session: AsyncSession, org_id: str, conference_id: str, *, lock: bool = False
) -> Conference:
    conference = await repo.get_conference(session, org_id, conference_id, lock=lock)
    if conference is None:
        raise NotFound(f"No conference with id '{conference_id}'.", code="conference_not_found")
    return conference


async def list_(
    session: AsyncSession, org_id: str, params: PageParams, *, status: str | None
) -> tuple[list[Conference], Pagination]:
    stmt = repo.list_conferences(org_id, status)
    return await paginate(session, stmt, Conference.created_at, Conference.id, params)


def _require_open(conference: Conference) -> None:
    if conference.status == "ended":
        raise Conflict("The conference has ended.", code="conference_ended")


# -- participants ---------------------------------------------------------------------


async def get_participant(
    session: AsyncSession, conference: Conference, participant_id: str
) -> ConferenceParticipant:
    participant = await repo.get_participant(
        session, conference.org_id, conference.id, participant_id
    )
    if participant is None:
        raise NotFound(
            f"No participant with id '{participant_id}' in this conference.",
            code="participant_not_found",
        )
    return participant


async def list_participants(
    session: AsyncSession,
    conference: Conference,
    params: PageParams,
    *,
    status: str | None,
) -> tuple[list[ConferenceParticipant], Pagination]:
    stmt = repo.list_participants(conference.org_id, conference.id, status)
    return await paginate(
        session, stmt, ConferenceParticipant.created_at, ConferenceParticipant.id, params
    )


async def _caller_id(session: AsyncSession, org_id: str, given: str | None) -> str:
    if given is not None:
        if await numbers.find_owned(session, org_id, given) is None:
            raise Invalid(
                f"{given} is not a number registered in your account.",
                code="from_not_owned",
                param="from",
            )
        return given
    dial_in = await dial_in_number(session, org_id)
    if dial_in is not None:
        return dial_in
    owned = await repo.conference_numbers(session, org_id)
    if not owned:
        raise Invalid(
            "Register a phone number first: participants are called from one of your numbers.",
            code="no_caller_id",
            param="from",
        )
    return owned[0].number


async def ensure_seat(session: AsyncSession, conference: Conference) -> None:
    """409 unless a new participant may join now (open, unlocked, not full)."""
    _require_open(conference)
    if conference.locked:
        raise Conflict(
            "The conference is locked; no new participants can join.", code="conference_locked"
        )
    seated = await repo.count_participants(session, conference.org_id, conference.id, repo.SEATED)
    if seated >= conference.max_participants:
        raise Conflict(
            f"The conference is full ({conference.max_participants} participants).",
            code="conference_full",
            details={"max_participants": conference.max_participants},
        )


def new_participant(
    conference: Conference, call_id: str, number: str, source: str, *, muted: bool, now: datetime
) -> ConferenceParticipant:
    # Joiners are muted by their own choice or the room's setting; while mute-all is in
    # force the rest arrive muted by it, so unmute-all frees them.
    own = muted or conference.mute_on_join
    return ConferenceParticipant(
        id=new_id("part"),
        org_id=conference.org_id,
        conference_id=conference.id,
        call_id=call_id,
        number=number,
        source=source,
        status="dialing",
        muted=own or conference.all_muted,
        muted_by_all=conference.all_muted and not own,
        on_hold=False,
        created_at=now,
        updated_at=now,
    )


async def add_participant(
    session: AsyncSession, rt: Runtime, conference: Conference, body: ParticipantCreate
) -> ConferenceParticipant:
    await ensure_seat(session, conference)
    from_ = await _caller_id(session, conference.org_id, body.from_)
    rt.media.get(conference.backend)  # 503 media_unavailable before anything is written
    leg = await legs.dial(session, rt, conference, body.number, from_)
    participant = new_participant(
        conference, leg.id, body.number, "dial_out", muted=body.muted, now=rt.clock.now()
    )
    session.add(participant)
    await session.flush()
    return participant


def _require_seated(participant: ConferenceParticipant) -> None:
    if participant.status not in repo.SEATED:
        raise Conflict(
            f"The participant has {participant.status}.",
            code="participant_not_active",
            details={"status": participant.status},
        )


def _require_joined(participant: ConferenceParticipant) -> None:
    if participant.status != "joined":
        raise Conflict(
            f"The participant is {participant.status}; this needs a participant in the room.",
            code="participant_not_active",
            details={"status": participant.status},
        )


async def remove_participant(
    session: AsyncSession, rt: Runtime, participant: ConferenceParticipant
) -> None:
    _require_seated(participant)
    await legs.hang_up(session, rt, await legs.leg_of(session, participant), "removed")


async def _apply_mute(
    rt: Runtime, conference: Conference, participant: ConferenceParticipant, on: bool
) -> None:
    if participant.status == "joined":
        await rt.media.get(conference.backend).conference_mute(
            conference.id, participant.call_id, on
        )
    participant.muted = on
    participant.updated_at = rt.clock.now()


async def set_participant_mute(
    session: AsyncSession,
    rt: Runtime,
    conference: Conference,
    participant: ConferenceParticipant,
    on: bool,
) -> None:
    _require_seated(participant)
    # Muting or unmuting someone by hand takes them out of mute-all's hands.
    participant.muted_by_all = False
    if participant.muted != on:
        await _apply_mute(rt, conference, participant, on)
    await session.flush()


async def set_participant_hold(
    session: AsyncSession,
    rt: Runtime,
    conference: Conference,
    participant: ConferenceParticipant,
    on: bool,
) -> None:
    _require_open(conference)
    _require_joined(participant)
    call = await legs.leg_of(session, participant)
    await calls_service.set_hold(session, rt, call, on)
    participant.on_hold = on
    participant.updated_at = rt.clock.now()
    await session.flush()


async def mute_all(session: AsyncSession, rt: Runtime, conference: Conference, on: bool) -> None:
    """mute-all mutes everyone not yet muted; unmute-all unmutes only those it muted."""
    _require_open(conference)
    seated = await repo.participants(session, conference.org_id, conference.id, repo.SEATED)
    for participant in seated:
        if on and not participant.muted:
            await _apply_mute(rt, conference, participant, True)
            participant.muted_by_all = True
        elif not on and participant.muted_by_all:
            await _apply_mute(rt, conference, participant, False)
            participant.muted_by_all = False
    conference.all_muted = on
    conference.updated_at = rt.clock.now()
    await session.flush()


async def set_lock(session: AsyncSession, rt: Runtime, conference: Conference, on: bool) -> None:
    _require_open(conference)
    if conference.locked != on:
        conference.locked = on
        conference.updated_at = rt.clock.now()
        await session.flush()


# -- ending ---------------------------------------------------------------------------


async def end(session: AsyncSession, rt: Runtime, conference: Conference) -> None:
    """Disconnect everyone (each gets participant.left), save the recording, keep the row."""
    _require_open(conference)
    now = rt.clock.now()
    conference.status = "ended"
    conference.ended_at = now
    conference.updated_at = now
    await session.flush()
    for participant in await repo.participants(
        session, conference.org_id, conference.id, repo.SEATED
    ):
        await legs.hang_up(session, rt, await legs.leg_of(session, participant), "conference_ended")
    try:
        await recordings.finish_if_recording(session, rt, conference)
        await rt.media.get(conference.backend).conference_end(conference.id)
    except MediaError:
        log.warning("could not close the room", extra={"conference_id": conference.id})
    await legs.emit_event(session, rt, conference, "conference.ended")


async def delete(session: AsyncSession, rt: Runtime, conference: Conference) -> None:
    if conference.status != "ended":
        raise Conflict(
            "Only an ended conference can be deleted; end it first.",
            code="conference_not_ended",
            details={"status": conference.status},
        )
    paths = [r.path for r in await repo.recordings_of(session, conference.org_id, conference.id)]
    await session.delete(conference)
    await session.flush()

    async def remove_files() -> None:
        for path in paths:
            if path:
                Path(path).unlink(missing_ok=True)

    after_commit(session, remove_files)
