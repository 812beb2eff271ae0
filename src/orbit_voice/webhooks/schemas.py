from __future__ import annotations

from typing import Any

from orbit_voice.api.schemas import Output, Timestamp


class WebhookSecretOut(Output):
    secret: str


class AttemptOut(Output):
    id: str
    attempted_at: Timestamp
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(Output):
    id: str
    type: str
    call_id: str | None
    url: str
    status: str
    attempts: int
    next_attempt_at: Timestamp | None
    delivered_at: Timestamp | None
    created_at: Timestamp
    payload: dict[str, Any]
    attempt_log: list[AttemptOut]
