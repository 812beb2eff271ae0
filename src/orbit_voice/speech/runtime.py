"""The speech side of a running server: thread pools, the live transcriber and the job worker."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orbit_voice.config import Settings
from orbit_voice.kit.clock import Clock
from orbit_voice.speech.engine import SttEngine, engine_from_settings

T = TypeVar("T")

DEFAULT_LANGUAGE = "en-US"


class SpeechRuntime:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        engine: SttEngine | None = None,
    ) -> None:
        from orbit_voice.speech.jobs import SpeechWorker
        from orbit_voice.speech.live import LiveHub

        self.settings = settings
        self.clock = clock
        self.sessionmaker = sessionmaker
        self._engine = engine
        # Recognition is CPU-bound and long; voice activity detection is short and must not
        # queue behind it, so each has its own pool. Neither ever runs on the event loop.
        self._stt_pool = ThreadPoolExecutor(
            max_workers=settings.stt_threads, thread_name_prefix="orbit-stt"
        )
        self._vad_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orbit-vad")
        self.hub = LiveHub(self)
        self.worker = SpeechWorker(self)

    @property
    def engine(self) -> SttEngine:
        if self._engine is None:
            self._engine = engine_from_settings(self.settings)
        return self._engine

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run CPU-heavy speech work (recognition, decoding) on the STT pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._stt_pool, functools.partial(fn, *args, **kwargs))

    async def run_light(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._vad_pool, functools.partial(fn, *args))

    def start(self, *, run_worker: bool) -> None:
        if run_worker and self.settings.speech_jobs_enabled:
            self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()
        await self.hub.stop()
        # A recognition still running finishes in its thread; nothing waits for it.
        self._stt_pool.shutdown(wait=False, cancel_futures=True)
        self._vad_pool.shutdown(wait=False, cancel_futures=True)
