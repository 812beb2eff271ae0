"""Running a routing action on a call: the one place number handlers, IVR options, queue
overflows and ring-group fallbacks turn into call control.

Actions: agent, ivr, queue, ring_group, extension, voicemail, forward, hangup, conference
(number handlers) and transfer_agent, transfer_number, submenu (IVR options; ``repeat`` is
handled by the IVR runner itself). The packages that own a target (agents, IVRs, queues,
ring groups, conferences, voicemail) register its action at start-up (``orbit_voice.wiring``);
transfers to numbers and extensions, and hangups, are the call core's own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls import service as calls
from orbit_voice.calls.models import Call
from orbit_voice.calls.schemas import TransferIn
from orbit_voice.calls.state import TERMINAL, record_event, transition
from orbit_voice.errors import Invalid, OrbitError
from orbit_voice.media.backend import MediaError, when_played
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.routing.executor")

ACTIONS = frozenset(
    {
        "agent",
        "ivr",
        "queue",
        "ring_group",
        "extension",
        "voicemail",
        "forward",
        "hangup",
        "conference",
        "transfer_agent",
        "transfer_number",
        "submenu",
        "repeat",
    }
)


class RoutingUnavailable(OrbitError):
    status_code = 503
    code = "routing_unavailable"


# (session, rt, call, target): do the action to the call.
ActionFn = Callable[[AsyncSession, Runtime, Call, str | None], Awaitable[object]]
TargetActionFn = Callable[[AsyncSession, Runtime, Call, str], Awaitable[object]]

_ACTIONS: dict[str, ActionFn] = {}


def register(name: str, run: TargetActionFn) -> None:
    """``name`` is done by ``run``, given the action's target (required)."""

    async def with_target(
        session: AsyncSession, rt: Runtime, call: Call, target: str | None
    ) -> object:
        return await run(session, rt, call, _require(target, name))

    register_optional(name, with_target)


def register_optional(name: str, run: ActionFn) -> None:
    """``name`` is done by ``run``, whose target may be None (the org's first voicemail box,
    a conference's PIN prompt)."""
    if name not in ACTIONS:
        raise ValueError(f"unknown routing action {name!r}")
    _ACTIONS[name] = run


async def ensure_answered(session: AsyncSession, rt: Runtime, call: Call) -> bool:
    """Answer a still-ringing inbound call on the platform's side; False if the call is over."""
    if call.status in TERMINAL:
        return False
    if call.status == "ringing" and call.direction == "inbound":
        await rt.media.get(call.backend).answer(call.id)
        await transition(
            session,
            call,
            "in_progress",
            rt.clock.now(),
            sip_code=200,
            data={"answered_by": "routing"},
        )
        calls.after_answer(session, rt, call)
    return call.status == "in_progress"


async def run_action(
    session: AsyncSession, rt: Runtime, call: Call, action: str, target: str | None
) -> None:
    """Do ``action`` to ``call``. A target that no longer exists, a missing domain or a media
    failure ends the call (event ``routing.failed``) rather than leaving the caller in silence.
    """
    if not await ensure_answered(session, rt, call):
        return
    try:
        await _dispatch(session, rt, call, action, target)
    except (OrbitError, ValidationError) as exc:
        code = exc.code if isinstance(exc, OrbitError) else "validation_error"
        message = exc.message if isinstance(exc, OrbitError) else str(exc)
        log.warning(
            "routing %s -> %s failed: %s", action, target, message, extra={"call_id": call.id}
        )
        await fail(session, rt, call, action, target, code=code, message=message)


async def fail(
    session: AsyncSession,
    rt: Runtime,
    call: Call,
    action: str,
    target: str | None,
    *,
    code: str,
    message: str,
) -> None:
    """Record why routing could not go on, and end the call."""
    if call.status in TERMINAL:
        return
    await record_event(
        session,
        call,
        "routing.failed",
        rt.clock.now(),
        data={"action": action, "target": target, "code": code, "message": message},
    )
    await hangup(session, rt, call, end_reason="routing_failed")


async def hangup(
    session: AsyncSession, rt: Runtime, call: Call, *, end_reason: str, after_prompts: bool = False
) -> None:
    """End a call from our side: connected calls complete, ringing ones are cancelled. With
    ``after_prompts`` the BYE waits until what was just queued to play (a goodbye) has played."""
    if call.status in TERMINAL:
        return
    backend = rt.media.get(call.backend)

    async def bye() -> None:
        await backend.hangup(call.id)

    if after_prompts:  # a goodbye still playing is heard to its end before the BYE goes out
        await when_played(rt.clock, backend, call.id, bye, "hangup")
    else:
        try:
            await bye()
        except MediaError:
            log.warning("hangup failed", extra={"call_id": call.id})
    if call.status == "in_progress":
        await calls.end(session, rt, call, "completed", end_reason=end_reason)
    else:
        await calls.end(session, rt, call, "cancelled", end_reason=end_reason, sip_code=487)


def _require(target: str | None, action: str) -> str:
    if not target:
        raise Invalid(f"The {action} action needs a target.", code="target_required")
    return target


async def _dispatch(
    session: AsyncSession, rt: Runtime, call: Call, action: str, target: str | None
) -> None:
    match action:
        case "forward" | "transfer_number" | "extension":
            body = TransferIn.model_validate({"to": _require(target, action)})
            await calls.transfer(session, rt, call, body)
        case "hangup":
            await hangup(session, rt, call, end_reason="routing_hangup")
        case "repeat":
            raise Invalid("repeat only has a meaning inside an IVR menu.", code="invalid_action")
        case _ if action in _ACTIONS:
            await _ACTIONS[action](session, rt, call, target)
        case _ if action in ACTIONS:
            raise RoutingUnavailable(f"The {action} action is not available on this server.")
        case _:
            raise Invalid(f"Unknown routing action '{action}'.", code="invalid_action")
