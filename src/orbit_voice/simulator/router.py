"""Simulator controls for test keys: play the far end of a call without a carrier."""

from __future__ import annotations

from fastapi import APIRouter, Request

from orbit_voice.api.deps import RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ok
from orbit_voice.calls import service as calls
from orbit_voice.calls.schemas import CallDetail, InboundIn, SimDtmfIn
from orbit_voice.errors import Conflict, Forbidden
from orbit_voice.media.sim import SimBackend
from orbit_voice.orgs.service import AuthContext
from orbit_voice.runtime import Runtime

router = APIRouter(prefix="/simulator", tags=["simulator"])


def _sim(rt: Runtime, auth: AuthContext) -> SimBackend:
    if not auth.is_test:
        raise Forbidden(
            "The simulator is only available to test keys (dv_test_sk_...).",
            code="test_key_required",
        )
    backend = rt.media.get("sim")
    assert isinstance(backend, SimBackend)
    return backend


@router.post("/inbound", status_code=201, summary="Simulate an inbound call to one of your numbers")
async def inbound(
    request: Request, body: InboundIn, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[CallDetail]:
    _sim(rt, auth)
    call = await calls.simulate_inbound(session, rt, auth, body)
    return ok(request, await calls.detail(session, rt, call))


@router.post("/calls/{call_id}/dtmf", summary="The far end presses keys")
async def far_end_dtmf(
    request: Request,
    call_id: str,
    body: SimDtmfIn,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[CallDetail]:
    sim = _sim(rt, auth)
    call = await calls.get(session, auth.org_id, call_id)
    if call.status != "in_progress":
        raise Conflict("Keys can only be pressed on a connected call.", code="call_not_active")
    await sim.inject_dtmf(call.id, body.digits)
    await session.refresh(call)
    return ok(request, await calls.detail(session, rt, call))


@router.post("/calls/{call_id}/hangup", summary="The far end hangs up")
async def far_end_hangup(
    request: Request, call_id: str, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[CallDetail]:
    sim = _sim(rt, auth)
    call = await calls.get(session, auth.org_id, call_id)
    if call.status not in {"ringing", "in_progress"}:
        raise Conflict(f"The call is {call.status}.", code="call_not_active")
    await sim.far_end_hangup(call.id)
    await session.refresh(call)
    return ok(request, await calls.detail(session, rt, call))
