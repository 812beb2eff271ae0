from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from orbit_voice.api.deps import ReadAuth, RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.queues import service
from orbit_voice.queues.schemas import (
    EnqueueIn,
    QueueCreate,
    QueueEntryOut,
    QueueOut,
    QueueStats,
    QueueUpdate,
)

router = APIRouter(prefix="/queues", tags=["queues"])


@router.post("", status_code=201, summary="Create a queue")
async def create_queue(
    request: Request, body: QueueCreate, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[QueueOut]:
    queue = await service.create(session, rt, auth.org_id, body)
    return ok(request, QueueOut.model_validate(queue))


@router.get("", summary="List queues, newest first")
async def list_queues(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> ListEnvelope[QueueOut]:
    rows, pagination = await service.list_(session, auth.org_id, params)
    return page(request, [QueueOut.model_validate(r) for r in rows], pagination)


@router.get("/{queue_id}", summary="Get a queue")
async def get_queue(
    request: Request, queue_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[QueueOut]:
    return ok(request, QueueOut.model_validate(await service.get(session, auth.org_id, queue_id)))


@router.put("/{queue_id}", summary="Update a queue (fields left out keep their value)")
async def update_queue(
    request: Request,
    queue_id: str,
    body: QueueUpdate,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[QueueOut]:
    queue = await service.update(session, rt, auth.org_id, queue_id, body)
    return ok(request, QueueOut.model_validate(queue))


@router.delete("/{queue_id}", status_code=204, summary="Delete an empty queue")
async def delete_queue(queue_id: str, auth: WriteAuth, session: SessionDep) -> Response:
    await service.delete(session, auth.org_id, queue_id)
    return Response(status_code=204)


@router.post("/{queue_id}/enqueue", status_code=201, summary="Put an in-progress call in the queue")
async def enqueue(
    request: Request,
    queue_id: str,
    body: EnqueueIn,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[QueueEntryOut]:
    entry = await service.enqueue_by_id(session, rt, auth.org_id, queue_id, body)
    return ok(request, await service.entry_out(session, entry))


@router.get("/{queue_id}/stats", summary="Live counts and per-agent presence")
async def queue_stats(
    request: Request, queue_id: str, auth: ReadAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[QueueStats]:
    return ok(request, await service.stats(session, rt, auth.org_id, queue_id))
