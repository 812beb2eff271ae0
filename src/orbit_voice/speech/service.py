"""Speech services the API uses: the runtime lookup and the simulator's speech and network."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call
from orbit_voice.errors import Conflict, Forbidden, ServiceUnavailable
from orbit_voice.media.sim import SimBackend, SpeechSegment
from orbit_voice.orgs.service import AuthContext
from orbit_voice.runtime import Runtime
from orbit_voice.speech.runtime import SpeechRuntime
from orbit_voice.speech.tts import speak_pcm


def speech_of(rt: Runtime) -> SpeechRuntime:
    speech = rt.speech
    if speech is None:
        raise ServiceUnavailable("Speech is not running on this server.", code="speech_unavailable")
    return speech


def simulator(rt: Runtime, auth: AuthContext) -> SimBackend:
    if not auth.is_test:
        raise Forbidden(
            "The simulator is only available to test keys (dv_test_sk_...).",
            code="test_key_required",
        )
    backend = rt.media.get("sim")
    assert isinstance(backend, SimBackend)
    return backend


def _require_connected(call: Call) -> None:
    if call.status != "in_progress" or call.backend != "sim":
        raise Conflict(
            f"The call is {call.status}; speech needs a connected simulated call.",
            code="call_not_active",
            details={"status": call.status},
        )


async def say(rt: Runtime, auth: AuthContext, call: Call, speaker: str, text: str) -> SpeechSegment:
    sim = simulator(rt, auth)
    _require_connected(call)
    pcm = await speak_pcm(text, voice=rt.settings.tts_voice)
    return await sim.speak(call.id, speaker, pcm)


async def set_network(
    session: AsyncSession, rt: Runtime, auth: AuthContext, call: Call, profile: dict[str, Any]
) -> None:
    sim = simulator(rt, auth)
    _require_connected(call)
    sim.set_network(call.id, profile)
