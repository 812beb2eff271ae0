"""The one clock every timer reads.

Timers (ring timeouts, max_duration, retry backoff, URL expiry) run as tasks started with
``clock.spawn`` that wait with ``clock.sleep``. ``SystemClock`` is wall time; ``FakeClock``
lets tests move time forward and wait until every spawned task has caught up, so no test
sleeps for real.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...

    async def shutdown(self) -> None: ...


class _TaskSet:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def shutdown(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class SystemClock(_TaskSet):
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0))


class FakeClock(_TaskSet):
    """A clock that only moves when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__()
        self._now = start or datetime(2026, 3, 8, 12, 0, 0, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(
            self._sleepers, (self._now + timedelta(seconds=seconds), next(self._seq), future)
        )
        await future

    def _parked(self) -> int:
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def settle(self, real_timeout: float = 10.0) -> None:
        """Wait (in real time) until every spawned task is finished or parked in ``sleep``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + real_timeout
        while True:
            await asyncio.sleep(0)
            running = sum(1 for t in self.tasks if not t.done())
            if running <= self._parked():
                # Give threads (aiosqlite) one more chance to hand results back.
                await asyncio.sleep(0.002)
                running = sum(1 for t in self.tasks if not t.done())
                if running <= self._parked():
                    return
            if loop.time() > deadline:
                raise TimeoutError("FakeClock.settle: spawned tasks did not go idle")
            await asyncio.sleep(0.001)

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking each sleeper at its own moment, in order."""
        target = self._now + timedelta(seconds=seconds)
        await self.settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            wake, _, future = heapq.heappop(self._sleepers)
            if future.done():
                continue
            self._now = max(self._now, wake)
            future.set_result(None)
            await self.settle()
        self._now = target
        await self.settle()
