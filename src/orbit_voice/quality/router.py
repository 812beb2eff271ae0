from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator

from orbit_voice.api.deps import ReadAuth, RuntimeDep, SessionDep
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.kit.buckets import Bucket
from orbit_voice.quality import service
from orbit_voice.quality.schemas import CallQualityOut, QualityRollupOut

router = APIRouter(tags=["quality"])
Page = Annotated[PageParams, Depends(page_params)]


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


When = Annotated[datetime | None, AfterValidator(_utc)]
From = Annotated[When, Query(alias="from", description="ISO-8601; default 30 days before `to`")]
To = Annotated[When, Query(description="ISO-8601; default now")]
Period = Annotated[Bucket, Query(description="Rollup period: hour, day or week")]


def _rollups(items: list[dict[str, Any]]) -> list[QualityRollupOut]:
    return [QualityRollupOut.model_validate(i) for i in items]


@router.get("/quality/aggregates", summary="Per trunk and period: MOS, p95 jitter, loss, VAQI")
async def aggregates(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    rt: RuntimeDep,
    from_: From = None,
    to: To = None,
    period: Period = "day",
) -> Envelope[list[QualityRollupOut]]:
    start, end = service.window(rt.clock.now(), from_, to)
    items = await service.aggregates(
        session, auth.org_id, start=start, end=end, period=period, by="trunk"
    )
    return ok(request, _rollups(items))


@router.get("/quality/carriers", summary="As /quality/aggregates, by upstream carrier")
async def carriers(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    rt: RuntimeDep,
    from_: From = None,
    to: To = None,
    period: Period = "day",
) -> Envelope[list[QualityRollupOut]]:
    start, end = service.window(rt.clock.now(), from_, to)
    items = await service.aggregates(
        session, auth.org_id, start=start, end=end, period=period, by="carrier"
    )
    return ok(request, _rollups(items))


@router.get("/quality/worst-calls", summary="Top N calls by lowest VAQI, highest loss or jitter")
async def worst_calls(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    rt: RuntimeDep,
    from_: From = None,
    to: To = None,
    by: Annotated[Literal["vaqi", "packet_loss", "jitter"], Query()] = "vaqi",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Envelope[list[CallQualityOut]]:
    start, end = service.window(rt.clock.now(), from_, to)
    items = await service.worst_calls(
        session, auth.org_id, start=start, end=end, by=by, limit=limit
    )
    return ok(request, [CallQualityOut.model_validate(i) for i in items])


@router.get("/vaqi", summary="Per-call quality matrix, newest call first")
async def vaqi(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    params: Page,
    call_id: Annotated[str | None, Query(max_length=40)] = None,
    from_: From = None,
    to: To = None,
) -> ListEnvelope[CallQualityOut]:
    items, pagination = await service.call_matrix(
        session, auth.org_id, params, call_id=call_id, start=from_, end=to
    )
    return page(request, [CallQualityOut.model_validate(i) for i in items], pagination)
