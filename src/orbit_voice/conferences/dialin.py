"""Dial-in: an inbound caller is asked for a conference PIN and joins on the right one.

Keypresses reach ``on_digit`` through the routing gatherer (``routing/gather.py``, kind
``conference_pin``). A PIN is six digits; ``#`` ends it early and ``*`` starts it over.
A wrong PIN, or silence for ``INPUT_TIMEOUT`` seconds, costs one of ``MAX_ATTEMPTS``
tries; after the last the caller hears goodbye and the call ends (``invalid_pin``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls import service as calls_service
from orbit_voice.calls.models import Call
from orbit_voice.conferences import legs
from orbit_voice.conferences import repository as repo
from orbit_voice.conferences import service as conferences
from orbit_voice.errors import Conflict
from orbit_voice.routing import gather
from orbit_voice.routing.models import CallGather
from orbit_voice.runtime import Runtime

KIND = "conference_pin"
BARGE_IN = True  # keying the PIN in cuts the prompt short
PIN_LENGTH = 6
MAX_ATTEMPTS = 3
INPUT_TIMEOUT = 10.0
LANGUAGE = "en-US"

PROMPT = "Welcome. Please enter your conference PIN, followed by the pound key."
RETRY = "That PIN is not valid. Please enter your conference PIN again."
GOODBYE = "Sorry, that PIN is not valid. Goodbye."
REFUSALS = {
    "conference_locked": "This conference is locked. Goodbye.",
    "conference_full": "This conference is full. Goodbye.",
    "conference_ended": "This conference has ended. Goodbye.",
}


async def start_pin_prompt(session: AsyncSession, rt: Runtime, call: Call) -> None:
    """Answer the caller if still ringing, ask for the PIN and wait for keypresses."""
    if call.direction == "inbound" and call.status == "ringing":
        await calls_service.accept(session, rt, call)
    if call.status != "in_progress":
        raise Conflict(
            f"The call is {call.status}; only a connected call can enter a PIN.",
            code="call_not_active",
        )
    row = await gather.begin(
        session, call, KIND, rt.clock.now(), state={"digits": "", "attempt": 1}
    )
    await rt.media.get(call.backend).play(call.id, PROMPT, LANGUAGE)
    await gather.arm_input_timer(session, rt, call, row, INPUT_TIMEOUT, _input_timeout)


async def on_digit(
    session: AsyncSession, rt: Runtime, call: Call, row: CallGather, digit: str
) -> None:
    digits = str(row.state.get("digits", ""))
    if digit == "#":
        await _check(session, rt, call, row, digits)
    elif digit == "*":
        await _wait(session, rt, row, digits="")
    elif digit.isdigit():
        digits += digit
        if len(digits) >= PIN_LENGTH:
            await _check(session, rt, call, row, digits)
        else:
            await _wait(session, rt, row, digits=digits)


async def on_call_end(session: AsyncSession, rt: Runtime, call: Call, row: CallGather) -> None:
    """The caller hung up at the prompt: nothing to keep."""


async def _wait(session: AsyncSession, rt: Runtime, row: CallGather, *, digits: str) -> None:
    """Keep collecting; the silence timer starts over."""
    row = await gather.rearm(session, row, rt.clock.now(), digits=digits)
    gather.arm_timer(session, rt, row, INPUT_TIMEOUT, _input_timeout)


async def _input_timeout(session: AsyncSession, rt: Runtime, call: Call, row: CallGather) -> None:
    digits = str(row.state.get("digits", ""))
    if digits:
        await _check(session, rt, call, row, digits)
    else:
        await _wrong(session, rt, call, row)


async def _check(session: AsyncSession, rt: Runtime, call: Call, row: CallGather, pin: str) -> None:
    conference = None
    if len(pin) == PIN_LENGTH:
        conference = await repo.by_pin(session, call.org_id, pin, call.backend)
    if conference is None:
        await _wrong(session, rt, call, row)
        return
    await gather.clear(session, call.id)
    try:
        await conferences.ensure_seat(session, conference)
    except Conflict as exc:
        await rt.media.get(call.backend).play(call.id, REFUSALS.get(exc.code, GOODBYE), LANGUAGE)
        await legs.hang_up(session, rt, call, exc.code, after_prompts=True)
        return
    participant = conferences.new_participant(
        conference, call.id, call.from_, "dial_in", muted=False, now=rt.clock.now()
    )
    session.add(participant)
    await session.flush()
    await legs.admit(session, rt, conference, participant, call)


async def _wrong(session: AsyncSession, rt: Runtime, call: Call, row: CallGather) -> None:
    attempt = int(row.state.get("attempt", 1))
    backend = rt.media.get(call.backend)
    if attempt >= MAX_ATTEMPTS:
        await gather.clear(session, call.id)
        await backend.play(call.id, GOODBYE, LANGUAGE)
        await legs.hang_up(session, rt, call, "invalid_pin", after_prompts=True)
        return
    await backend.play(call.id, RETRY, LANGUAGE)
    row = await gather.rearm(session, row, rt.clock.now(), digits="", attempt=attempt + 1)
    await gather.arm_input_timer(session, rt, call, row, INPUT_TIMEOUT, _input_timeout)
