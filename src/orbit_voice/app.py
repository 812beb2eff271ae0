"""The FastAPI application: wiring only; behaviour lives in the domain packages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text

from orbit_voice import __version__, wiring
from orbit_voice.api import handlers
from orbit_voice.api.middleware import RequestIdMiddleware
from orbit_voice.api.retry import RetryOnConcurrentUpdate
from orbit_voice.calls.events import CallEventHandler
from orbit_voice.config import Settings, get_settings
from orbit_voice.db import make_engine, make_sessionmaker
from orbit_voice.idempotency.middleware import IdempotencyMiddleware
from orbit_voice.kit.clock import Clock, SystemClock
from orbit_voice.media.registry import MediaRegistry
from orbit_voice.metrics import Metrics, MetricsMiddleware
from orbit_voice.metrics import router as metrics_router
from orbit_voice.routes import api_router
from orbit_voice.runtime import Runtime
from orbit_voice.webhooks.deliverer import Deliverer

DESCRIPTION = (
    "Self-hosted Orbit Voice API. Authenticate with the `X-API-Key` header: "
    "`dv_test_sk_...` keys drive the simulator, `dv_live_sk_...` keys real SIP."
)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    media: MediaRegistry | None = None,
    run_workers: bool = True,
) -> FastAPI:
    settings = settings or get_settings()
    clock = clock or SystemClock()
    wiring.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        registry = media or MediaRegistry.from_settings(settings, clock)
        from orbit_voice.speech.runtime import SpeechRuntime

        speech = SpeechRuntime(settings, clock, app.state.sessionmaker)
        app.state.speech = speech
        for backend in registry.backends.values():
            set_audio_sink = getattr(backend, "set_audio_sink", None)
            # Backends that can tap live audio; without a sink the SIP engine taps nothing.
            if set_audio_sink is not None and settings.live_transcription:
                set_audio_sink(speech.hub.feed)
        runtime = Runtime(
            clock=clock,
            media=registry,
            settings=settings,
            sessionmaker=app.state.sessionmaker,
            speech=speech,
        )
        app.state.runtime = runtime
        lag = app.state.metrics.event_lag
        handler = CallEventHandler(runtime, lambda kind, s: lag.labels(kind.value).observe(s))
        registry.set_sink(handler.handle)
        from orbit_voice.media.sip.inbound import install as install_sip_inbound

        install_sip_inbound(runtime)  # the SIP engine's INVITEs become inbound calls
        await registry.start()
        from orbit_voice.calls.recovery import recover

        await recover(runtime)  # the calls this node's last run took down with it
        deliverer = Deliverer(app.state.sessionmaker, clock, settings)
        app.state.deliverer = deliverer
        if run_workers and settings.webhooks_enabled:
            deliverer.start()
        speech.start(run_worker=run_workers)
        try:
            yield
        finally:
            await speech.stop()
            await deliverer.stop()
            await registry.stop()
            await clock.shutdown()
            await engine.dispose()

    app = FastAPI(
        title="Orbit Voice API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    handlers.install(app)
    app.include_router(api_router)
    app.include_router(metrics_router)
    app.state.metrics = Metrics()

    @app.get("/healthz", tags=["operations"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Readiness: the database answers")
    async def readyz() -> Any:
        from fastapi.responses import JSONResponse

        try:
            async with app.state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return {"status": "ready", "database": "ok"}

    app.add_middleware(RetryOnConcurrentUpdate)
    app.add_middleware(IdempotencyMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestIdMiddleware)
    return app
