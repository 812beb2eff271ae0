"""Every query the conferences domain runs; each is scoped to one org."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.conferences.models import (
    ACTIVE_STATUSES,
    Conference,
    ConferenceParticipant,
    ConferenceRecording,
)
from orbit_voice.numbers.models import Number

# Participants holding a seat: being dialled or in the room.
SEATED = ("dialing", "joined")


async def get_conference(
    session: AsyncSession, org_id: str, conference_id: str, *, lock: bool = False
) -> Conference | None:
    stmt = select(Conference).where(Conference.id == conference_id, Conference.org_id == org_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def list_conferences(org_id: str, status: str | None) -> Select[Conference]:
    stmt = select(Conference).where(Conference.org_id == org_id)
    if status:
        stmt = stmt.where(Conference.status == status)
    return stmt


async def active_pins(session: AsyncSession, org_id: str) -> set[str]:
    rows = await session.execute(
        select(Conference.pin).where(
            Conference.org_id == org_id, Conference.status.in_(ACTIVE_STATUSES)
        )
    )
    return set(rows.scalars().all())


async def by_pin(session: AsyncSession, org_id: str, pin: str, backend: str) -> Conference | None:
    return (
        await session.execute(
            select(Conference)
            .where(
                Conference.org_id == org_id,
                Conference.pin == pin,
                Conference.backend == backend,
                Conference.status.in_(ACTIVE_STATUSES),
            )
            .with_for_update()
        )
    ).scalar_one_or_none()


async def conference_numbers(session: AsyncSession, org_id: str) -> list[Number]:
    """The org's numbers, oldest first (the caller filters those routed to conferences)."""
    rows = await session.execute(
        select(Number).where(Number.org_id == org_id).order_by(Number.created_at, Number.id)
    )
    return list(rows.scalars().all())


async def get_participant(
    session: AsyncSession, org_id: str, conference_id: str, participant_id: str
) -> ConferenceParticipant | None:
    return (
        await session.execute(
            select(ConferenceParticipant).where(
                ConferenceParticipant.id == participant_id,
                ConferenceParticipant.conference_id == conference_id,
                ConferenceParticipant.org_id == org_id,
            )
        )
    ).scalar_one_or_none()


def list_participants(
    org_id: str, conference_id: str, status: str | None
) -> Select[ConferenceParticipant]:
    stmt = select(ConferenceParticipant).where(
        ConferenceParticipant.org_id == org_id,
        ConferenceParticipant.conference_id == conference_id,
    )
    if status:
        stmt = stmt.where(ConferenceParticipant.status == status)
    return stmt


async def participants(
    session: AsyncSession, org_id: str, conference_id: str, statuses: tuple[str, ...]
) -> list[ConferenceParticipant]:
    rows = await session.execute(
        select(ConferenceParticipant)
        .where(
            ConferenceParticipant.org_id == org_id,
            ConferenceParticipant.conference_id == conference_id,
            ConferenceParticipant.status.in_(statuses),
        )
        .order_by(ConferenceParticipant.created_at, ConferenceParticipant.id)
    )
    return list(rows.scalars().all())


async def count_participants(
    session: AsyncSession, org_id: str, conference_id: str, statuses: tuple[str, ...]
) -> int:
    return int(
        (
            await session.execute(
                select(func.count()).where(
                    ConferenceParticipant.org_id == org_id,
                    ConferenceParticipant.conference_id == conference_id,
                    ConferenceParticipant.status.in_(statuses),
                )
            )
        ).scalar_one()
    )


async def joined_counts(
    session: AsyncSession, org_id: str, conference_ids: list[str]
) -> dict[str, int]:
    if not conference_ids:
        return {}
    rows = await session.execute(
        select(ConferenceParticipant.conference_id, func.count())
        .where(
            ConferenceParticipant.org_id == org_id,
            ConferenceParticipant.conference_id.in_(conference_ids),
            ConferenceParticipant.status == "joined",
        )
        .group_by(ConferenceParticipant.conference_id)
    )
    return {conference_id: int(n) for conference_id, n in rows.all()}


async def participant_for_call(
    session: AsyncSession, org_id: str, call_id: str
) -> ConferenceParticipant | None:
    """The seated participant whose leg is ``call_id``, if any."""
    return (
        await session.execute(
            select(ConferenceParticipant).where(
                ConferenceParticipant.org_id == org_id,
                ConferenceParticipant.call_id == call_id,
                ConferenceParticipant.status.in_(SEATED),
            )
        )
    ).scalar_one_or_none()


async def active_recording(
    session: AsyncSession, org_id: str, conference_id: str
) -> ConferenceRecording | None:
    return (
        await session.execute(
            select(ConferenceRecording).where(
                ConferenceRecording.org_id == org_id,
                ConferenceRecording.conference_id == conference_id,
                ConferenceRecording.status == "in_progress",
            )
        )
    ).scalar_one_or_none()


async def latest_recording(
    session: AsyncSession, org_id: str, conference_id: str
) -> ConferenceRecording | None:
    return (
        await session.execute(
            select(ConferenceRecording)
            .where(
                ConferenceRecording.org_id == org_id,
                ConferenceRecording.conference_id == conference_id,
            )
            .order_by(ConferenceRecording.created_at.desc(), ConferenceRecording.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def recordings_of(
    session: AsyncSession, org_id: str, conference_id: str
) -> list[ConferenceRecording]:
    rows = await session.execute(
        select(ConferenceRecording).where(
            ConferenceRecording.org_id == org_id,
            ConferenceRecording.conference_id == conference_id,
        )
    )
    return list(rows.scalars().all())
