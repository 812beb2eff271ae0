"""Speech services the API uses: the runtime lookup and the simulator's speech and network."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.models import Call
from orbit_voice.errors import Conflict, Forbidden, ServiceUnavailable
from orbit_voice.media.backend import TtsVoice
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


async def say(
    session: AsyncSession, rt: Runtime, auth: AuthContext, call: Call, speaker: str, text: str
) -> SpeechSegment:
    """``text`` spoken into the call as ``speaker``. The agent's side of a call with an AI
    agent that has a voice clone speaks in that voice."""
    sim = simulator(rt, auth)
    _require_connected(call)
    voice = await _agent_voice(session, call) if speaker == "agent" else None
    if voice is None:
        pcm = await speak_pcm(text, voice=rt.settings.tts_voice)
    else:
        pcm = await speak_pcm(
            text, voice=voice.name, words_per_minute=voice.speed, pitch=voice.pitch
        )
    return await sim.speak(call.id, speaker, pcm)


async def _agent_voice(session: AsyncSession, call: Call) -> TtsVoice | None:
    from orbit_voice.agents.models import Agent
    from orbit_voice.clones.service import tts_voice

    agent = await session.get(Agent, call.agent_id) if call.agent_id else None
    if agent is None or agent.kind != "ai":
        return None
    return await tts_voice(session, call.org_id, agent.tts_voice_id)


async def set_network(
    session: AsyncSession, rt: Runtime, auth: AuthContext, call: Call, profile: dict[str, Any]
) -> None:
    sim = simulator(rt, auth)
    _require_connected(call)
    sim.set_network(call.id, profile)
