from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from orbit_voice.api.deps import ReadAuth, RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.calls import service as calls
from orbit_voice.intelligence import service
from orbit_voice.intelligence.schemas import (
    IntelligenceOut,
    IntelligenceSettingsIn,
    IntelligenceSettingsOut,
    TrendPoint,
)
from orbit_voice.kit.buckets import Bucket
from orbit_voice.quality.router import From, To
from orbit_voice.speech.service import speech_of

router = APIRouter(tags=["intelligence"])
Page = Annotated[PageParams, Depends(page_params)]


@router.get("/calls/{call_id}/intelligence", summary="Post-call analysis of a call")
async def call_intelligence(
    request: Request, call_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[IntelligenceOut]:
    call = await calls.get(session, auth.org_id, call_id)
    return ok(request, service.to_out(await service.get_for_call(session, call)))


@router.post("/calls/{call_id}/sentiment", summary="Re-run the analysis on the call's transcript")
async def rerun_sentiment(
    request: Request, call_id: str, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[IntelligenceOut]:
    call = await calls.get(session, auth.org_id, call_id)
    row = await service.rerun(session, speech_of(rt), call)
    return ok(request, service.to_out(row))


@router.get("/intelligence/calls", summary="Intelligence records, newest call first")
async def list_intelligence(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    params: Page,
    sentiment: Annotated[
        str | None,
        Query(
            max_length=40,
            description="positive | neutral | negative (also matches calls that end so), "
            "or an exact `overall` such as negative_to_positive",
        ),
    ] = None,
    agent_id: Annotated[str | None, Query(max_length=40)] = None,
    from_: From = None,
    to: To = None,
    min_effort: Annotated[float | None, Query(ge=1, le=5)] = None,
    max_effort: Annotated[float | None, Query(ge=1, le=5)] = None,
) -> ListEnvelope[IntelligenceOut]:
    rows, pagination = await service.list_(
        session,
        auth.org_id,
        params,
        sentiment=sentiment,
        agent_id=agent_id,
        start=from_,
        end=to,
        min_effort=min_effort,
        max_effort=max_effort,
    )
    return page(request, [service.to_out(r) for r in rows], pagination)


@router.get("/intelligence/trends", summary="Sentiment and effort over time, by bucket")
async def trends(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    rt: RuntimeDep,
    from_: From = None,
    to: To = None,
    bucket: Annotated[Bucket, Query(description="hour, day or week")] = "day",
) -> Envelope[list[TrendPoint]]:
    points = await service.trends(
        session, auth.org_id, now=rt.clock.now(), start=from_, end=to, bucket=bucket
    )
    return ok(request, points)


@router.get("/intelligence/settings", summary="Intent keywords and compliance phrases")
async def get_settings(
    request: Request, auth: ReadAuth, session: SessionDep
) -> Envelope[IntelligenceSettingsOut]:
    return ok(request, await service.get_settings(session, auth.org_id))


@router.put("/intelligence/settings", summary="Set intent keywords and compliance phrases")
async def put_settings(
    request: Request,
    body: IntelligenceSettingsIn,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[IntelligenceSettingsOut]:
    return ok(request, await service.put_settings(session, auth.org_id, body, rt.clock.now()))
