"""What a previous run of this server left behind when it stopped without ending its calls.

A call's media lives in the process that placed or answered it (the SIP engine's legs, the
simulator's timers). A server that crashed, was killed or lost its host took its calls with
it, but their rows would stay ringing or in progress for ever: agents busy on them, callers
queued behind them, recordings never finished, nobody told. So, before it serves, a server
ends the calls it still owns (``calls.node_id`` is its ``ORBIT_NODE_ID``) as a hangup would:
final status, ``end_reason: server_restart``, the webhooks, the queue and agent bookkeeping,
and a recording keeps the audio its files hold (``media.backend.stop_or_recover``). Timers
that lived only in memory are armed again: agents' wrap-ups, voicemail notifications not yet
sent.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select

from orbit_voice.calls import repository as repo
from orbit_voice.calls import service
from orbit_voice.calls.lifecycle import NodeRestarted, bus
from orbit_voice.calls.models import Call
from orbit_voice.calls.state import TERMINAL
from orbit_voice.db import pop_after_commit
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.calls.recovery")
END_REASON = "server_restart"


async def recover(rt: Runtime) -> int:
    """End the calls this node lost and re-arm lost timers; the number of calls ended."""
    node = rt.settings.node_id
    async with rt.sessionmaker() as session:
        # Rows from before node ids existed belong to whoever starts first: there was one
        # server per database then.
        owned = or_(Call.node_id == node, Call.node_id.is_(None))
        lost = list(
            await session.scalars(
                select(Call.id)
                .where(Call.status.not_in(TERMINAL), owned)
                .order_by(Call.created_at, Call.id)
            )
        )
    # Timers first: ending the calls arms their own (a new wrap-up, a voicemail's email).
    async with rt.sessionmaker() as session:
        await bus.publish(session, rt, NodeRestarted(node))
        await session.commit()
        hooks = pop_after_commit(session)
    for hook in hooks:
        await hook()
    ended = 0
    for call_id in lost:
        try:
            ended += await _end(rt, call_id)
        except Exception:
            log.exception("could not end a call lost in a restart", extra={"call_id": call_id})
    if ended:
        log.warning("ended %d call(s) the last run of node %s left behind", ended, node)
    return ended


async def _end(rt: Runtime, call_id: str) -> int:
    async with rt.sessionmaker() as session:
        call = await repo.get_call(session, None, call_id, lock=True)
        if call is None or call.status in TERMINAL:  # ended with its parent meanwhile
            return 0
        status = "completed" if call.status == "in_progress" else "failed"
        await service.end(session, rt, call, status, end_reason=END_REASON)
        await session.commit()
        hooks = pop_after_commit(session)
    for hook in hooks:
        await hook()
    return 1
