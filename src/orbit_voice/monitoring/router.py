"""Supervisor verbs on calls and the wallboard snapshot; every route needs voice:monitor."""

from __future__ import annotations

from fastapi import APIRouter, Request

from orbit_voice.api.deps import MonitorAuth, RuntimeDep, SessionDep
from orbit_voice.api.envelope import Envelope, ok
from orbit_voice.calls import service as calls
from orbit_voice.monitoring import service
from orbit_voice.monitoring.schemas import MonitorIn, MonitoringSnapshot, MonitorOut
from orbit_voice.monitoring.snapshot import snapshot

router = APIRouter(tags=["monitoring"])


def _mode_verb(mode: str, summary: str) -> None:
    async def endpoint(
        request: Request,
        call_id: str,
        body: MonitorIn,
        auth: MonitorAuth,
        session: SessionDep,
        rt: RuntimeDep,
    ) -> Envelope[MonitorOut]:
        call = await calls.get(session, auth.org_id, call_id, lock=True)
        monitor, leg = await service.start(session, rt, call, body.supervisor, mode)
        return ok(request, service.to_out(monitor, leg))

    endpoint.__name__ = f"call_{mode}"
    router.add_api_route(f"/calls/{{call_id}}/{mode}", endpoint, methods=["POST"], summary=summary)


for _mode, _summary in [
    ("listen", "Listen in silently: the supervisor hears both sides, nobody hears them"),
    ("whisper", "Whisper: only the agent leg hears the supervisor"),
    ("barge", "Barge in: the supervisor is heard by both sides"),
]:
    _mode_verb(_mode, _summary)


@router.post("/calls/{call_id}/unlisten", summary="Disconnect the supervisor leg")
async def call_unlisten(
    request: Request, call_id: str, auth: MonitorAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[MonitorOut]:
    call = await calls.get(session, auth.org_id, call_id, lock=True)
    monitor, leg = await service.stop(session, rt, call)
    return ok(request, service.to_out(monitor, leg))


@router.get("/monitoring", summary="Live snapshot of active calls, queues and agent presence")
async def monitoring_snapshot(
    request: Request, auth: MonitorAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[MonitoringSnapshot]:
    return ok(request, await snapshot(session, auth.org_id, rt.clock.now()))
