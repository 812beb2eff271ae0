"""Who is listening to a call's keypad right now: an IVR menu, a voicemail, a PIN prompt.

The state lives in the ``call_gathers`` row of the call (at most one per call), so a digit,
a timer and an API request handled in different sessions see the same thing. Each kind of
gatherer is a ``Gatherer`` registered under its kind at start-up (``orbit_voice.wiring``):
what a key does, what is kept when the call ends, and whether a key cuts the prompt short.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls import repository as calls_repo
from orbit_voice.calls.lifecycle import DigitReceived, LegEnding
from orbit_voice.calls.models import Call
from orbit_voice.db import after_commit
from orbit_voice.media.backend import MediaError
from orbit_voice.routing.jobs import run_job
from orbit_voice.routing.models import CallGather
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.routing.gather")

TimeoutFn = Callable[[AsyncSession, Runtime, Call, CallGather], Awaitable[None]]
DigitFn = Callable[[AsyncSession, Runtime, Call, CallGather, str], Awaitable[None]]


@dataclass(frozen=True)
class Gatherer:
    on_digit: DigitFn
    # The call is ending while this gatherer listens (a voicemail keeps what was said).
    on_call_end: TimeoutFn | None = None
    # A key cuts the prompt being played short (a menu, a PIN prompt).
    barge_in: bool = False


_GATHERERS: dict[str, Gatherer] = {}


def register(kind: str, gatherer: Gatherer) -> None:
    _GATHERERS[kind] = gatherer


async def current(session: AsyncSession, call_id: str) -> CallGather | None:
    return (
        await session.execute(select(CallGather).where(CallGather.call_id == call_id))
    ).scalar_one_or_none()


async def begin(
    session: AsyncSession,
    call: Call,
    kind: str,
    now: datetime,
    *,
    ref_id: str | None = None,
    state: dict[str, Any] | None = None,
) -> CallGather:
    """Make ``kind`` the call's gatherer, replacing any other (whose timers then lapse)."""
    gather = await current(session, call.id)
    if gather is None:
        gather = CallGather(
            call_id=call.id,
            org_id=call.org_id,
            kind=kind,
            ref_id=ref_id,
            epoch=1,
            state=dict(state or {}),
            started_at=now,
            updated_at=now,
        )
        session.add(gather)
    else:
        gather.kind = kind
        gather.ref_id = ref_id
        gather.epoch += 1
        gather.state = dict(state or {})
        gather.started_at = now
        gather.updated_at = now
    await session.flush()
    return gather


async def rearm(
    session: AsyncSession, gather: CallGather, now: datetime, **changes: Any
) -> CallGather:
    """Start a new epoch (older timers lapse), updating ``state`` with ``changes``."""
    gather.epoch += 1
    gather.state = {**gather.state, **changes}
    gather.updated_at = now
    await session.flush()
    return gather


async def clear(session: AsyncSession, call_id: str) -> None:
    gather = await current(session, call_id)
    if gather is not None:
        await session.delete(gather)
        await session.flush()


def arm_timer(
    session: AsyncSession,
    rt: Runtime,
    gather: CallGather,
    seconds: float,
    fire: TimeoutFn,
) -> None:
    """Call ``fire`` after ``seconds`` (on ``rt.clock``) if the gatherer has not moved on.

    Armed once the current transaction commits; ``fire`` runs in its own transaction with the
    call row locked, only while the call is connected and its gatherer is the same kind and
    epoch as now.
    """
    call_id, kind, epoch = gather.call_id, gather.kind, gather.epoch

    async def wait_and_fire() -> None:
        await rt.clock.sleep(seconds)

        async def job(session: AsyncSession) -> None:
            call = await calls_repo.get_call(session, None, call_id, lock=True)
            if call is None or call.status != "in_progress":
                return
            now_gather = await current(session, call_id)
            if now_gather is None or now_gather.kind != kind or now_gather.epoch != epoch:
                return
            await fire(session, rt, call, now_gather)

        await run_job(rt, job, what=f"{kind} timer", call_id=call_id)

    async def spawn() -> None:
        _spawn(rt, wait_and_fire())

    after_commit(session, spawn)


async def arm_input_timer(
    session: AsyncSession,
    rt: Runtime,
    call: Call,
    gather: CallGather,
    seconds: float,
    fire: TimeoutFn,
) -> None:
    """``arm_timer`` for waiting on the caller: ``seconds`` count from when what is being
    said to the caller (a menu, a PIN prompt) has been said."""
    try:
        spoken = await rt.media.get(call.backend).queued_audio_seconds(call.id)
    except MediaError:
        spoken = 0.0
    arm_timer(session, rt, gather, seconds + spoken, fire)


def _spawn(rt: Runtime, coro: Coroutine[Any, Any, None]) -> None:
    rt.clock.spawn(coro)


async def on_digit(session: AsyncSession, rt: Runtime, event: DigitReceived) -> None:
    """Hand the key to the call's current gatherer, if something is gathering."""
    call, digit = event.call, event.digit
    gather = await current(session, call.id)
    gatherer = _GATHERERS.get(gather.kind) if gather is not None else None
    if gather is None or gatherer is None:
        return
    if gatherer.barge_in:  # a key cuts the menu's prompt short
        try:
            await rt.media.get(call.backend).stop_prompts(call.id)
        except MediaError:
            log.warning("could not stop the prompt", extra={"call_id": call.id})
    await gatherer.on_digit(session, rt, call, gather, digit)


async def on_call_end(session: AsyncSession, rt: Runtime, event: LegEnding) -> None:
    """The call is ending: let its gatherer finish (a voicemail keeps what was said)."""
    call = event.call
    gather = await current(session, call.id)
    if gather is None:
        return
    gatherer = _GATHERERS.get(gather.kind)
    if gatherer is not None and gatherer.on_call_end is not None:
        await gatherer.on_call_end(session, rt, call, gather)
    await clear(session, call.id)
