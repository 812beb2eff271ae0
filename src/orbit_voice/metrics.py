"""Prometheus metrics at ``/metrics``.

Request latency is observed as requests happen; call and webhook counts are read from the
database at scrape time, so every process serving the same database reports the same truth.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from sqlalchemy import case, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orbit_voice.calls.models import Call
from orbit_voice.webhooks.models import WebhookAttempt

API_PREFIX = "/v1/voice"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "orbit_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.calls = Gauge("orbit_calls", "Calls by status", ["status"], registry=self.registry)
        self.active_by_backend = Gauge(
            "orbit_media_active_calls",
            "Connected calls per media backend",
            ["backend"],
            registry=self.registry,
        )
        self.event_lag = Histogram(
            "orbit_media_event_lag_seconds",
            "From a media backend seeing an event (answer, hangup, key...) to its being applied",
            ["kind"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.deliveries = Gauge(
            "orbit_webhook_delivery_attempts",
            "Webhook delivery attempts by outcome",
            ["outcome"],
            registry=self.registry,
        )


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            # Included routers report their path without the /v1/voice prefix.
            if scope["path"].startswith(API_PREFIX) and not route.startswith(API_PREFIX):
                route = API_PREFIX + route if route != "unmatched" else route
            self.metrics.latency.labels(scope["method"], route, str(status)).observe(
                time.perf_counter() - start
            )


router = APIRouter(tags=["operations"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    async with request.app.state.sessionmaker() as session:
        by_status = await session.execute(select(Call.status, func.count()).group_by(Call.status))
        metrics.calls.clear()
        for status, count in by_status.all():
            metrics.calls.labels(status).set(count)
        active = await session.execute(
            select(Call.backend, func.count())
            .where(Call.status == "in_progress")
            .group_by(Call.backend)
        )
        metrics.active_by_backend.clear()
        for backend, count in active.all():
            metrics.active_by_backend.labels(backend).set(count)
        ok = case((WebhookAttempt.status_code.between(200, 299), "delivered"), else_="failed")
        attempts: Any = await session.execute(select(ok, func.count()).group_by(ok))
        metrics.deliveries.clear()
        for outcome, count in attempts.all():
            metrics.deliveries.labels(outcome).set(count)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
