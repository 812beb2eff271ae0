"""Every table, imported in one place for Alembic and the tests."""

from orbit_voice.agents.models import Agent
from orbit_voice.calls.models import Call, CallEvent, Recording
from orbit_voice.db import Base
from orbit_voice.idempotency.models import IdempotencyRecord
from orbit_voice.numbers.models import Number
from orbit_voice.orgs.models import ApiKey, Org
from orbit_voice.webhooks.models import WebhookAttempt, WebhookEvent

__all__ = [
    "Agent",
    "ApiKey",
    "Base",
    "Call",
    "CallEvent",
    "IdempotencyRecord",
    "Number",
    "Org",
    "Recording",
    "WebhookAttempt",
    "WebhookEvent",
]
