"""Typed events from one package to the packages above it, without importing them.

The emitter declares its events (frozen dataclasses) and one ``Bus`` to publish them on; the
packages that react subscribe handlers at start-up, all in one place (``orbit_voice.wiring``),
so that place shows who reacts to what, and the emitter imports none of them.

A handler runs either inside the emitter's transaction (``subscribe``: it gets the session,
and what it writes commits or rolls back with the emitter's change) or once that transaction
has committed (``subscribe_after_commit``: for work that must only start on saved rows, such
as timers). Handlers of an event run in the order they were subscribed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.db import after_commit

E = TypeVar("E")
C = TypeVar("C")  # what every handler is given besides the event: the running server


@dataclass(frozen=True)
class Subscription:
    event: type[Any]
    handler: Callable[..., Awaitable[None]]
    after_commit: bool

    @property
    def name(self) -> str:
        return f"{self.handler.__module__}.{self.handler.__qualname__}"


class Bus(Generic[C]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._subscriptions: list[Subscription] = []

    def subscribe(
        self, event: type[E], handler: Callable[[AsyncSession, C, E], Awaitable[None]]
    ) -> None:
        """Run ``handler(session, context, event)`` in the emitter's transaction."""
        self._add(Subscription(event, handler, after_commit=False))

    def subscribe_after_commit(
        self, event: type[E], handler: Callable[[C, E], Awaitable[None]]
    ) -> None:
        """Run ``handler(context, event)`` once the emitter's transaction has committed."""
        self._add(Subscription(event, handler, after_commit=True))

    def _add(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            raise ValueError(f"{subscription.name} already subscribes to {subscription.event}")
        self._subscriptions.append(subscription)

    def subscriptions(self, event: type[Any] | None = None) -> list[Subscription]:
        return [s for s in self._subscriptions if event is None or s.event is event]

    def clear(self) -> None:
        self._subscriptions.clear()

    async def publish(self, session: AsyncSession, context: C, event: object) -> None:
        for subscription in self._subscriptions:
            if subscription.event is not type(event):
                continue
            if subscription.after_commit:
                after_commit(session, _deferred(subscription.handler, context, event))
            else:
                await subscription.handler(session, context, event)


def _deferred(
    handler: Callable[..., Awaitable[None]], context: object, event: object
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await handler(context, event)

    return run
