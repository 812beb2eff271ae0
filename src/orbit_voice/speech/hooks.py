"""What speech and quality do when a call ends (called from ``calls.service.end``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.calls.lifecycle import LegEnded
from orbit_voice.calls.repository import latest_recording
from orbit_voice.db import after_commit
from orbit_voice.runtime import Runtime


async def call_ended(session: AsyncSession, rt: Runtime, event: LegEnded) -> None:
    """In the transaction that ends ``call``: score a simulated call's quality, queue its
    post-call transcript, and (after commit) close its live transcript."""
    from orbit_voice.quality.service import record_sim_profile
    from orbit_voice.speech.runtime import DEFAULT_LANGUAGE
    from orbit_voice.transcripts.service import create_for_call

    call = event.call
    if call.answered_at is None:
        return
    now = rt.clock.now()
    if call.backend == "sim":
        from orbit_voice.media.sim import SimBackend

        sim = rt.media.backends.get("sim")
        profile = sim.network(call.id) if isinstance(sim, SimBackend) else None
        await record_sim_profile(session, call, profile, now)
    recording = await latest_recording(session, call.id)
    # Legs spawned for a transfer or a consultation carry no transcript of their own unless
    # they were recorded: their audio is on the call they serve.
    if call.parent_call_id is None or recording is not None:
        await create_for_call(session, call, DEFAULT_LANGUAGE, now)
    speech = rt.speech
    if speech is not None:
        call_id = call.id

        async def close_live() -> None:
            await speech.hub.call_ended(call_id)
            speech.worker.wake()

        after_commit(session, close_live)
