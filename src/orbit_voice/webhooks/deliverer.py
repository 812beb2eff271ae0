"""Delivers the webhook outbox: signed POSTs, retries on a fixed schedule, in order per call.

All state lives in the ``webhook_events`` rows, so a restarted process simply carries on.
One attempt is three short steps, none of which holds a transaction across the network:

1. claim: read the event (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and push its
   ``next_attempt_at`` forward by a lease with a compare-and-set, so no other deliverer picks
   it up while the request is in flight (if this process dies, the lease simply runs out);
2. send the request (no transaction open);
3. record: insert the ``WebhookAttempt`` and move the event on, again with a compare-and-set
   on ``status = 'pending'`` and the ``attempts`` count read in step 1.

Events of one ``(org_id, call_id)`` group (``call_id`` NULL is the org-level group) go out
strictly in ``seq`` order: only the lowest pending ``seq`` of a group is ever attempted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, cast

import httpx
from sqlalchemy import CursorResult, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from orbit_voice.config import Settings
from orbit_voice.errors import Invalid
from orbit_voice.kit.clock import Clock
from orbit_voice.kit.ids import new_id
from orbit_voice.kit.signing import webhook_signature
from orbit_voice.orgs.models import Org
from orbit_voice.webhooks.models import WebhookAttempt, WebhookEvent
from orbit_voice.webhooks.ssrf import check_url, guarded_client

log = logging.getLogger(__name__)

# Delay before attempts 2..8 (attempt 1 is immediate); after attempt 8 fails the event fails.
RETRY_DELAYS_SECONDS: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 86400)
MAX_ATTEMPTS = len(RETRY_DELAYS_SECONDS) + 1
USER_AGENT = "orbit-voice-webhooks/1"
CONCURRENCY = 16
BATCH_SIZE = 1000
LEASE_MARGIN_SECONDS = 60.0
STOP_GRACE_SECONDS = 5.0
MAX_ERROR_CHARS = 500

Outcome = Literal["skipped", "delivered", "retry", "failed"]


@dataclass(frozen=True)
class _Claim:
    event_id: str
    org_id: str
    url: str
    body: bytes
    secret: str
    attempts: int  # attempts recorded before this one


@dataclass(frozen=True)
class _Result:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Deliverer:
    """Sends due outbox events. ``start``/``stop`` run it in the background; ``wake`` nudges it."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: Settings,
        *,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._settings = settings
        self._owns_client = client is None
        self._client = client or self._new_client()
        self._wake = asyncio.Event()
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the background loop (idempotent; a stopped deliverer may be started again)."""
        self._stopping = False
        if self._owns_client and self._client.is_closed:
            self._client = self._new_client()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="webhook-deliverer")

    def _new_client(self) -> httpx.AsyncClient:
        # Guarded at connect time too: a name that was public for ``check_url`` can resolve
        # to an inside address by the time the POST connects (DNS rebinding).
        return guarded_client(
            allow_private=self._settings.webhooks_allow_private,
            timeout=self._settings.webhooks_timeout_seconds,
        )

    def wake(self) -> None:
        """Look for due events now instead of at the next poll (call after committing emits)."""
        self._wake.set()

    async def stop(self) -> None:
        """Start no new attempt, let in-flight ones finish (bounded), close the client.

        An attempt still running after the grace period is cancelled; its lease then runs
        out and the event is retried, so nothing is lost (the receiver may see it twice).
        """
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            grace = self._settings.webhooks_timeout_seconds + STOP_GRACE_SECONDS
            await asyncio.wait({task}, timeout=grace)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._owns_client:
            await self._client.aclose()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:
                log.exception("webhook delivery pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._settings.webhooks_poll_seconds)

    # -- one pass ----------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Attempt every due event that heads its group; return how many attempts were made."""
        now = self._clock.now()
        earlier = aliased(WebhookEvent)
        blocked = exists().where(
            earlier.status == "pending",
            earlier.org_id == WebhookEvent.org_id,
            or_(
                earlier.call_id == WebhookEvent.call_id,
                and_(earlier.call_id.is_(None), WebhookEvent.call_id.is_(None)),
            ),
            earlier.seq < WebhookEvent.seq,
        )
        stmt = (
            select(WebhookEvent.id, WebhookEvent.org_id, WebhookEvent.call_id)
            .where(
                WebhookEvent.status == "pending",
                WebhookEvent.next_attempt_at <= now,
                ~blocked,
            )
            .order_by(WebhookEvent.next_attempt_at, WebhookEvent.seq)
            .limit(BATCH_SIZE)
        )
        async with self._sessionmaker() as session:
            heads = (await session.execute(stmt)).all()
        counts = await asyncio.gather(*(self._deliver_group(*head) for head in heads))
        return sum(counts)

    async def _deliver_group(self, event_id: str, org_id: str, call_id: str | None) -> int:
        """Attempt the group's head; once it is settled, go on with the next due one."""
        attempts = 0
        next_id: str | None = event_id
        while next_id is not None and not self._stopping:
            try:
                async with self._limit:
                    if self._stopping:
                        break
                    outcome = await self.attempt(next_id)
            except Exception:
                log.exception("webhook attempt for %s failed", next_id)
                break
            if outcome == "skipped":
                break
            attempts += 1
            if outcome == "retry":
                break
            next_id = await self._due_head(org_id, call_id)
        return attempts

    async def _due_head(self, org_id: str, call_id: str | None) -> str | None:
        group = (
            WebhookEvent.call_id == call_id
            if call_id is not None
            else WebhookEvent.call_id.is_(None)
        )
        async with self._sessionmaker() as session:
            head = (
                await session.execute(
                    select(WebhookEvent.id, WebhookEvent.next_attempt_at)
                    .where(WebhookEvent.org_id == org_id, group, WebhookEvent.status == "pending")
                    .order_by(WebhookEvent.seq)
                    .limit(1)
                )
            ).first()
        if head is None:
            return None
        head_id, due = head
        return head_id if due is not None and due <= self._clock.now() else None

    # -- one attempt -------------------------------------------------------------------

    async def attempt(self, event_id: str) -> Outcome:
        """Make one attempt at ``event_id`` if it is pending and due (ordering not checked)."""
        claim = await self._claim(event_id)
        if claim is None:
            return "skipped"
        result = await self._send(claim)
        return await self._record(claim, result)

    async def _claim(self, event_id: str) -> _Claim | None:
        now = self._clock.now()
        lease = now + timedelta(
            seconds=self._settings.webhooks_timeout_seconds + LEASE_MARGIN_SECONDS
        )
        async with self._sessionmaker() as session, session.begin():
            event = (
                await session.execute(
                    select(WebhookEvent)
                    .where(
                        WebhookEvent.id == event_id,
                        WebhookEvent.status == "pending",
                        WebhookEvent.next_attempt_at <= now,
                    )
                    .with_for_update(skip_locked=True)
                )
            ).scalar_one_or_none()
            if event is None:
                return None
            secret = (
                await session.execute(select(Org.webhook_secret).where(Org.id == event.org_id))
            ).scalar_one_or_none()
            if secret is None:
                return None
            claimed = await session.execute(
                update(WebhookEvent)
                .where(
                    WebhookEvent.id == event_id,
                    WebhookEvent.status == "pending",
                    WebhookEvent.attempts == event.attempts,
                    WebhookEvent.next_attempt_at <= now,
                )
                .values(next_attempt_at=lease)
                .execution_options(synchronize_session=False)
            )
            if cast("CursorResult[Any]", claimed).rowcount != 1:
                return None
            return _Claim(
                event_id=event.id,
                org_id=event.org_id,
                url=event.url,
                body=json.dumps(event.payload, separators=(",", ":")).encode(),
                secret=secret,
                attempts=event.attempts,
            )

    async def _send(self, claim: _Claim) -> _Result:
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        timeout = self._settings.webhooks_timeout_seconds
        try:
            await check_url(claim.url, allow_private=self._settings.webhooks_allow_private)
            timestamp = int(self._clock.now().timestamp())
            headers = {
                "content-type": "application/json",
                "webhook-id": claim.event_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": webhook_signature(
                    claim.secret, claim.event_id, timestamp, claim.body
                ),
                "user-agent": USER_AGENT,
            }
            async with (
                asyncio.timeout(timeout),
                self._client.stream(
                    "POST",
                    claim.url,
                    content=claim.body,
                    headers=headers,
                    timeout=timeout,
                    follow_redirects=False,
                ) as response,
            ):
                # The status is all we need: the body is never read.
                status_code = response.status_code
        except Invalid as exc:
            error = exc.message
        except (TimeoutError, httpx.TimeoutException):
            error = f"timed out after {timeout:g}s"
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        duration_ms = int((time.perf_counter() - started) * 1000)
        return _Result(status_code, error[:MAX_ERROR_CHARS] if error else None, duration_ms)

    async def _record(self, claim: _Claim, result: _Result) -> Outcome:
        now = self._clock.now()
        attempts = claim.attempts + 1
        outcome: Outcome
        values: dict[str, Any] = {"attempts": attempts}
        if result.ok:
            outcome = "delivered"
            values.update(status="delivered", delivered_at=now, next_attempt_at=None)
        elif attempts >= MAX_ATTEMPTS:
            outcome = "failed"
            values.update(status="failed", next_attempt_at=None)
        else:
            outcome = "retry"
            delay = RETRY_DELAYS_SECONDS[attempts - 1]
            values.update(next_attempt_at=now + timedelta(seconds=delay))
        async with self._sessionmaker() as session, session.begin():
            moved = await session.execute(
                update(WebhookEvent)
                .where(
                    WebhookEvent.id == claim.event_id,
                    WebhookEvent.status == "pending",
                    WebhookEvent.attempts == claim.attempts,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            session.add(
                WebhookAttempt(
                    id=new_id("watt"),
                    event_id=claim.event_id,
                    org_id=claim.org_id,
                    attempted_at=now,
                    status_code=result.status_code,
                    error=result.error,
                    duration_ms=result.duration_ms,
                )
            )
        if cast("CursorResult[Any]", moved).rowcount != 1:
            # Someone else settled this attempt (our lease ran out): keep the record only.
            log.warning(
                "webhook event %s changed during attempt; result not applied", claim.event_id
            )
        elif outcome == "failed":
            log.warning("webhook event %s failed after %d attempts", claim.event_id, attempts)
        return outcome
