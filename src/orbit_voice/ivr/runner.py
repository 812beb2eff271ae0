"""Running an IVR flow on a connected call.

The greeting plays and the menu waits for a key. No key within ``timeout_seconds``, or a key
the menu does not map, replays the greeting, up to ``max_retries`` times; then the fallback
action runs. A mapped key runs its action (``repeat`` replays without using up a retry,
``submenu`` starts another flow). Each step is a call event and a webhook: ``ivr.prompt``,
``ivr.digit``, ``ivr.timeout``, ``ivr.action``.

The flow is copied into the call's gather state when it starts, so editing (or deleting) it
does not change a menu a caller is already listening to.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call
from orbit_voice.calls.state import record_event
from orbit_voice.clones.service import tts_voice
from orbit_voice.errors import Invalid
from orbit_voice.ivr.models import IvrFlow
from orbit_voice.ivr.service import find
from orbit_voice.media.backend import TtsVoice
from orbit_voice.routing import gather
from orbit_voice.routing.models import CallGather
from orbit_voice.runtime import Runtime

KIND = "ivr"
BARGE_IN = True  # a key cuts the menu short


def _snapshot(flow: IvrFlow, voice: TtsVoice | None) -> dict[str, Any]:
    return {
        "id": flow.id,
        "greeting": flow.greeting,
        "language": flow.language,
        "voice": None if voice is None else asdict(voice),
        "options": list(flow.menu.get("options", [])),
        "timeout_seconds": flow.timeout_seconds,
        "max_retries": flow.max_retries,
        "fallback_action": flow.fallback_action,
        "fallback_target": flow.fallback_target,
    }


async def start(session: AsyncSession, rt: Runtime, call: Call, ivr_id: str) -> None:
    flow = await find(session, call.org_id, ivr_id)
    if flow is None:
        raise Invalid(f"No IVR flow with id '{ivr_id}'.", code="ivr_not_found")
    if call.ivr_id is None:
        call.ivr_id = flow.id
    voice = await tts_voice(session, call.org_id, flow.tts_voice_id)
    g = await gather.begin(
        session,
        call,
        KIND,
        rt.clock.now(),
        ref_id=flow.id,
        state={"flow": _snapshot(flow, voice), "retries": 0},
    )
    await _prompt(session, rt, call, g)


async def _prompt(session: AsyncSession, rt: Runtime, call: Call, g: CallGather) -> None:
    flow = g.state["flow"]
    voice = TtsVoice(**flow["voice"]) if flow.get("voice") else None
    await rt.media.get(call.backend).play(call.id, flow["greeting"], flow["language"], voice)
    await record_event(
        session,
        call,
        "ivr.prompt",
        rt.clock.now(),
        data={
            "ivr_id": flow["id"],
            "attempt": int(g.state.get("retries", 0)) + 1,
            "greeting": flow["greeting"],
            "language": flow["language"],
        },
    )
    await gather.arm_input_timer(session, rt, call, g, float(flow["timeout_seconds"]), _on_timeout)


async def on_digit(
    session: AsyncSession, rt: Runtime, call: Call, g: CallGather, digit: str
) -> None:
    flow = g.state["flow"]
    option = next((o for o in flow["options"] if o["key"] == digit), None)
    await record_event(
        session,
        call,
        "ivr.digit",
        rt.clock.now(),
        data={"ivr_id": flow["id"], "digit": digit, "matched": option is not None},
    )
    if option is None:
        await _retry(session, rt, call, g)
    elif option["action"] == "repeat":
        g = await gather.rearm(session, g, rt.clock.now())
        await _prompt(session, rt, call, g)
    else:
        await _act(session, rt, call, flow, option["action"], option.get("target"), key=digit)


async def _on_timeout(session: AsyncSession, rt: Runtime, call: Call, g: CallGather) -> None:
    flow = g.state["flow"]
    await record_event(
        session,
        call,
        "ivr.timeout",
        rt.clock.now(),
        data={
            "ivr_id": flow["id"],
            "attempt": int(g.state.get("retries", 0)) + 1,
            "timeout_seconds": flow["timeout_seconds"],
        },
    )
    await _retry(session, rt, call, g)


async def _retry(session: AsyncSession, rt: Runtime, call: Call, g: CallGather) -> None:
    flow = g.state["flow"]
    retries = int(g.state.get("retries", 0))
    if retries < int(flow["max_retries"]):
        g = await gather.rearm(session, g, rt.clock.now(), retries=retries + 1)
        await _prompt(session, rt, call, g)
        return
    await _act(
        session,
        rt,
        call,
        flow,
        flow["fallback_action"],
        flow.get("fallback_target"),
        reason="max_retries",
    )


async def _act(
    session: AsyncSession,
    rt: Runtime,
    call: Call,
    flow: dict[str, Any],
    action: str,
    target: str | None,
    *,
    key: str | None = None,
    reason: str = "digit",
) -> None:
    from orbit_voice.routing.executor import run_action

    data: dict[str, Any] = {"ivr_id": flow["id"], "action": action, "target": target}
    data["reason"] = reason
    if key is not None:
        data["key"] = key
    await record_event(session, call, "ivr.action", rt.clock.now(), data=data)
    await gather.clear(session, call.id)
    await run_action(session, rt, call, action, target)
