"""Which backend a call uses: test keys the simulator, live keys the configured engine."""

from __future__ import annotations

import logging

from orbit_voice.config import Settings
from orbit_voice.kit.clock import Clock
from orbit_voice.media.backend import EventSink, MediaBackend, MediaEvent, MediaUnavailable
from orbit_voice.media.sim import SimBackend

log = logging.getLogger("orbit_voice.media")


class MediaRegistry:
    def __init__(self, backends: dict[str, MediaBackend], live: str) -> None:
        self.backends = backends
        self.live = live
        self._sink: EventSink | None = None

    async def dispatch(self, event: MediaEvent) -> None:
        """Feed an event to the sink as if a backend had emitted it."""
        if self._sink is not None:
            await self._sink(event)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> MediaRegistry:
        sim = SimBackend(
            clock,
            data_dir=settings.data_dir,
            ring_seconds=settings.sim_ring_seconds,
        )
        backends: dict[str, MediaBackend] = {"sim": sim}
        if settings.live_media_backend == "sip":
            from orbit_voice.media.sip.adapter import SipBackend

            backends["sip"] = SipBackend(settings)
        return cls(backends, settings.live_media_backend)

    def name_for(self, *, test: bool) -> str:
        return "sim" if test else self.live

    def get(self, name: str) -> MediaBackend:
        backend = self.backends.get(name)
        if backend is None:
            raise MediaUnavailable(
                f"The '{name}' media backend is not running on this server.",
                details={"backend": name},
            )
        return backend

    def set_sink(self, sink: EventSink) -> None:
        self._sink = sink
        for backend in self.backends.values():
            backend.set_sink(sink)

    async def start(self) -> None:
        """Start every backend; one that cannot start (the SIP engine without pjsua2, or its
        port taken) is dropped, so the server still serves and its calls answer 503."""
        for name, backend in list(self.backends.items()):
            try:
                await backend.start()
            except Exception as exc:
                if name == "sim":
                    raise
                log.error("media backend %r did not start: %s", name, exc)
                del self.backends[name]

    async def stop(self) -> None:
        for backend in self.backends.values():
            await backend.stop()
