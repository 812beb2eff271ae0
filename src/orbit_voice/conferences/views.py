"""How conferences and participants look in responses and webhooks."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.conferences import repository as repo
from orbit_voice.conferences.models import Conference, ConferenceParticipant
from orbit_voice.conferences.schemas import ConferenceOut, ConferenceStatus, ParticipantOut
from orbit_voice.numbers.models import Number


def routes_to_conferences(number: Number) -> bool:
    """Whether inbound calls to ``number`` are asked for a conference PIN."""
    return number.handler is not None and number.handler.get("type") == "conference"


async def dial_in_number(session: AsyncSession, org_id: str) -> str | None:
    """The org's oldest number whose handler is ``conference``: it serves every conference."""
    for number in await repo.conference_numbers(session, org_id):
        if routes_to_conferences(number):
            return number.number
    return None


def _out(conference: Conference, dial_in: str | None, joined: int) -> ConferenceOut:
    return ConferenceOut(
        id=conference.id,
        name=conference.name,
        status=cast(ConferenceStatus, conference.status),
        pin=conference.pin,
        dial_in_number=dial_in,
        max_participants=conference.max_participants,
        record=conference.record,
        mute_on_join=conference.mute_on_join,
        locked=conference.locked,
        all_muted=conference.all_muted,
        webhook_url=conference.webhook_url,
        participants_count=joined,
        started_at=conference.started_at,
        ended_at=conference.ended_at,
        created_at=conference.created_at,
        updated_at=conference.updated_at,
    )


async def conference_out(session: AsyncSession, conference: Conference) -> ConferenceOut:
    dial_in = await dial_in_number(session, conference.org_id)
    joined = await repo.count_participants(session, conference.org_id, conference.id, ("joined",))
    return _out(conference, dial_in, joined)


async def conference_outs(
    session: AsyncSession, org_id: str, conferences: list[Conference]
) -> list[ConferenceOut]:
    dial_in = await dial_in_number(session, org_id)
    counts = await repo.joined_counts(session, org_id, [c.id for c in conferences])
    return [_out(c, dial_in, counts.get(c.id, 0)) for c in conferences]


def participant_out(participant: ConferenceParticipant) -> ParticipantOut:
    return ParticipantOut.model_validate(participant)


async def webhook_data(
    session: AsyncSession,
    conference: Conference,
    participant: ConferenceParticipant | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "conference": (await conference_out(session, conference)).model_dump(mode="json")
    }
    if participant is not None:
        data["participant"] = participant_out(participant).model_dump(mode="json")
    return {**data, **extra}
