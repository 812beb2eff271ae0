"""Media events (answered, busy, hangup, dtmf...) applied to calls, each in its own transaction.

This is the listener side of call control: the backend reports what happened on the wire,
and this module moves the call's state, records events and queues webhooks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from orbit_voice.calls import recordings, service
from orbit_voice.calls import repository as repo
from orbit_voice.calls.lifecycle import DigitReceived, LegAnswered, QualitySampled, bus
from orbit_voice.calls.models import Call
from orbit_voice.calls.state import TERMINAL, can_move, dated, record_event, transition
from orbit_voice.db import pop_after_commit
from orbit_voice.media.backend import MediaError, MediaEvent, MediaEventKind, when_played
from orbit_voice.runtime import Runtime

log = logging.getLogger("orbit_voice.calls.events")
STALE_RETRIES = 5

_FINAL = {
    MediaEventKind.BUSY: ("busy", "busy"),
    MediaEventKind.NO_ANSWER: ("no_answer", "no_answer"),
    MediaEventKind.FAILED: ("failed", "failed"),
    MediaEventKind.CANCELLED: ("cancelled", "caller_hangup"),
}


# An event applied this long after its backend saw it is logged: calls' times stay right
# (they are the backend's), but a caller's key or hangup was that late taking effect.
LAG_WARNING_SECONDS = 1.0


class CallEventHandler:
    def __init__(
        self, rt: Runtime, on_lag: Callable[[MediaEventKind, float], None] | None = None
    ) -> None:
        self.rt = rt
        self.on_lag = on_lag

    async def handle(self, event: MediaEvent) -> None:
        try:
            await self._handle(event)
        finally:
            if event.at is not None:
                self._observe_lag(event, event.at)

    async def _handle(self, event: MediaEvent) -> None:
        # A concurrent change to the same call (StaleDataError from the version check) means
        # our read was stale: apply the event again to the fresh row.
        for attempt in range(1, STALE_RETRIES + 1):
            try:
                await self._handle_once(event)
                return
            except StaleDataError:
                if attempt == STALE_RETRIES:
                    log.error(
                        "gave up on media event %s after concurrent updates",
                        event.kind,
                        extra={"call_id": event.leg_id},
                    )
            except Exception:
                log.exception(
                    "failed to apply media event %s", event.kind, extra={"call_id": event.leg_id}
                )
                return

    def _observe_lag(self, event: MediaEvent, at: datetime) -> None:
        lag = max(0.0, (self.rt.clock.now() - at).total_seconds())
        if self.on_lag is not None:
            self.on_lag(event.kind, lag)
        if lag > LAG_WARNING_SECONDS:
            log.warning(
                "media event %s applied %.1f s after the backend saw it",
                event.kind,
                lag,
                extra={"call_id": event.leg_id},
            )

    async def _handle_once(self, event: MediaEvent) -> None:
        async with self.rt.sessionmaker() as session:
            call = await repo.get_call(session, None, event.leg_id, lock=True)
            if call is None:
                log.warning("media event for unknown leg", extra={"call_id": event.leg_id})
                return
            await self._apply(session, call, event)
            await session.commit()
            hooks = pop_after_commit(session)
        for hook in hooks:
            await hook()

    async def _apply(self, session: AsyncSession, call: Call, event: MediaEvent) -> None:
        rt, now = self.rt, dated(call, self.rt.clock.now(), event.at)
        sip_code = event.data.get("sip_code")
        if event.data.get("sip_call_id") and not call.sip_call_id:
            call.sip_call_id = str(event.data["sip_call_id"])
        if event.kind is MediaEventKind.RINGING:
            if can_move(call, "ringing"):
                await transition(session, call, "ringing", now, sip_code=sip_code)
        elif event.kind is MediaEventKind.ANSWERED:
            if not can_move(call, "in_progress"):
                return
            await transition(session, call, "in_progress", now, sip_code=sip_code)
            service.after_answer(session, rt, call)
            if call.record:
                await recordings.start(session, rt, call, dual_channel=True, trim=False)
            if call.parent_call_id:
                await self._child_answered(session, call)
            # A conference participant joins its room, a supervisor starts monitoring, an
            # agent's leg meets its caller, a call placed with ivr_id/agent_id is routed.
            await bus.publish(session, rt, LegAnswered(call))
        elif event.kind in _FINAL:
            if call.status in TERMINAL:
                return
            status, reason = _FINAL[event.kind]
            await service.end(
                session,
                rt,
                call,
                status,
                end_reason=str(event.data.get("cause") or reason),
                sip_code=sip_code,
                at=now,
            )
            if call.parent_call_id:
                await self._child_lost(session, call, reason=status)
        elif event.kind is MediaEventKind.HANGUP:
            if call.status != "in_progress":
                return
            await service.end(
                session,
                rt,
                call,
                "completed",
                end_reason=str(event.data.get("cause") or "far_end_hangup"),
                at=now,
            )
            if call.parent_call_id:
                await self._child_lost(session, call, reason="hangup")
        elif event.kind is MediaEventKind.DTMF:
            await record_event(
                session, call, "call.dtmf.received", now, data={"digit": event.data.get("digit")}
            )
            if call.status == "ringing":
                # Keys can only come once the call is answered: the answer is being committed
                # by another transaction (SQLite has no row lock to wait for). Touching the row
                # makes the version check fail, and the event runs again on the answered call.
                flag_modified(call, "updated_at")
            if call.status == "in_progress" and event.data.get("digit"):
                # An IVR menu, a voicemail or a PIN prompt may be waiting for this key.
                await bus.publish(session, rt, DigitReceived(call, str(event.data["digit"])))
        elif event.kind is MediaEventKind.STATS:
            await bus.publish(session, rt, QualitySampled(call, dict(event.data), now))

    async def _parent(self, session: AsyncSession, child: Call) -> Call | None:
        assert child.parent_call_id is not None
        parent = await repo.get_call(session, child.org_id, child.parent_call_id, lock=True)
        if parent is None or parent.status != "in_progress":
            return None
        return parent

    async def _child_answered(self, session: AsyncSession, child: Call) -> None:
        parent = await self._parent(session, child)
        if parent is None:
            return
        rt, now = self.rt, self.rt.clock.now()
        backend = rt.media.get(parent.backend)
        if child.leg_role == "transfer":
            await backend.bridge(parent.id, child.id)
            dropped_legs = await service.drop_agent_legs(session, rt, parent, keep=child.id)
            dropped = parent.agent_id
            parent.agent_id = child.agent_id
            parent.updated_at = now
            await record_event(
                session,
                parent,
                "call.transferred",
                now,
                data={
                    "to": child.to,
                    "transfer_call_id": child.id,
                    "dropped_agent_id": dropped,
                    "dropped_call_ids": dropped_legs,
                },
            )
        elif child.leg_role == "consult" and parent.warm_transfer:
            state = dict(parent.warm_transfer)
            if state.get("consult_call_id") != child.id or state.get("state") != "dialing":
                return
            if state.get("whisper_message"):
                await backend.play(child.id, str(state["whisper_message"]), "en-US")
            # The consult window: an agent who is a leg of its own (a phone) talks with the
            # consult party privately once the whisper has been heard; the caller is on hold.
            others = await service.agent_side_legs(session, parent, exclude=child.id)
            agents = [leg.id for leg in others]
            if agents:
                consult_id = child.id

                async def join() -> None:
                    for agent_leg in agents:
                        await backend.bridge(agent_leg, consult_id)

                await when_played(rt.clock, backend, consult_id, join, "consult bridge")
            parent.warm_transfer = {**state, "state": "consulting"}
            parent.updated_at = now
            await record_event(
                session,
                parent,
                "call.warm_transfer.answered",
                now,
                data={"consult_call_id": child.id},
            )

    async def _child_lost(self, session: AsyncSession, child: Call, *, reason: str) -> None:
        parent = await self._parent(session, child)
        if parent is None:
            return
        rt, now = self.rt, self.rt.clock.now()
        if child.leg_role == "transfer":
            if child.answered_at is None:
                await record_event(
                    session,
                    parent,
                    "call.transfer.failed",
                    now,
                    data={"to": child.to, "transfer_call_id": child.id, "reason": reason},
                )
            else:  # the transferee hung up: the caller is alone, so the call ends
                await rt.media.get(parent.backend).hangup(parent.id)
                await service.end(
                    session, rt, parent, "completed", end_reason="transfer_target_hangup"
                )
        elif child.leg_role == "consult" and parent.warm_transfer:
            state = dict(parent.warm_transfer)
            if state.get("consult_call_id") != child.id:
                return
            if state.get("state") == "completed":
                await rt.media.get(parent.backend).hangup(parent.id)
                await service.end(
                    session, rt, parent, "completed", end_reason="transfer_target_hangup"
                )
                return
            if state.get("state") not in {"dialing", "consulting"}:
                return
            try:
                await rt.media.get(parent.backend).hold(parent.id, False)
            except MediaError:
                log.warning("could not take the caller off hold", extra={"call_id": parent.id})
            parent.on_hold = False
            parent.warm_transfer = {**state, "state": "failed"}
            parent.updated_at = now
            await record_event(
                session,
                parent,
                "call.warm_transfer.failed",
                now,
                data={"consult_call_id": child.id, "reason": reason},
            )
