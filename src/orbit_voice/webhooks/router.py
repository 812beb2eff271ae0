from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from orbit_voice.api.deps import ReadAuth, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params, paginate
from orbit_voice.orgs.service import get_org, new_webhook_secret
from orbit_voice.webhooks.models import WebhookAttempt, WebhookEvent
from orbit_voice.webhooks.schemas import AttemptOut, DeliveryOut, WebhookSecretOut

router = APIRouter(tags=["webhooks"])


@router.get("/webhook-secret", summary="The secret your webhooks are signed with")
async def get_secret(
    request: Request, auth: ReadAuth, session: SessionDep
) -> Envelope[WebhookSecretOut]:
    org = await get_org(session, auth.org_id)
    return ok(request, WebhookSecretOut(secret=org.webhook_secret))


@router.post("/webhook-secret", summary="Rotate the webhook signing secret")
async def rotate_secret(
    request: Request, auth: WriteAuth, session: SessionDep
) -> Envelope[WebhookSecretOut]:
    org = await get_org(session, auth.org_id)
    org.webhook_secret = new_webhook_secret()
    return ok(request, WebhookSecretOut(secret=org.webhook_secret))


@router.get("/webhook-deliveries", summary="Webhook events and every delivery attempt")
async def list_deliveries(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    call_id: Annotated[str | None, Query()] = None,
    status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
) -> ListEnvelope[DeliveryOut]:
    stmt = select(WebhookEvent).where(WebhookEvent.org_id == auth.org_id)
    if call_id:
        stmt = stmt.where(WebhookEvent.call_id == call_id)
    if status:
        stmt = stmt.where(WebhookEvent.status == status)
    rows, pagination = await paginate(
        session, stmt, WebhookEvent.created_at, WebhookEvent.id, params
    )
    attempts: dict[str, list[AttemptOut]] = {r.id: [] for r in rows}
    if rows:
        found = await session.execute(
            select(WebhookAttempt)
            .where(WebhookAttempt.event_id.in_(list(attempts)))
            .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
        )
        for attempt in found.scalars():
            attempts[attempt.event_id].append(AttemptOut.model_validate(attempt))
    items = [
        DeliveryOut(
            id=r.id,
            type=r.type,
            call_id=r.call_id,
            url=r.url,
            status=r.status,
            attempts=r.attempts,
            next_attempt_at=r.next_attempt_at,
            delivered_at=r.delivered_at,
            created_at=r.created_at,
            payload=r.payload,
            attempt_log=attempts[r.id],
        )
        for r in rows
    ]
    return page(request, items, pagination)
