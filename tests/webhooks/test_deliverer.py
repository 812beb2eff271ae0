"""The webhook deliverer against a real local HTTP receiver and the migrated test database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fake_dns import FakeDns, LocalHttp
from orbit_voice.config import Settings
from orbit_voice.db import make_engine, make_sessionmaker
from orbit_voice.kit.clock import FakeClock
from orbit_voice.orgs.models import Org
from orbit_voice.orgs.service import get_or_create_org, new_webhook_secret
from orbit_voice.webhooks.deliverer import Deliverer
from orbit_voice.webhooks.models import WebhookAttempt, WebhookEvent
from orbit_voice.webhooks.outbox import emit
from receiver import Receiver

# -- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture
def db_url(settings: Settings) -> str:
    return settings.database_url


@pytest.fixture
def sm(sessionmaker: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    return sessionmaker


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


@pytest.fixture
async def org(sm: async_sessionmaker[AsyncSession], clock: FakeClock, receiver: Receiver) -> Org:
    async with sm() as session, session.begin():
        org = await get_or_create_org(session, "acme", clock.now())
    receiver.secret = org.webhook_secret
    return org


@pytest.fixture
async def deliverer(
    sm: async_sessionmaker[AsyncSession], clock: FakeClock, settings: Settings
) -> AsyncIterator[Deliverer]:
    d = Deliverer(sm, clock, settings)
    yield d
    await d.stop()


async def emit_event(
    sm: async_sessionmaker[AsyncSession],
    org: Org,
    url: str,
    clock: FakeClock,
    *,
    call_id: str | None = "call_1",
    type: str = "call.ringing",
) -> str:
    async with sm() as session, session.begin():
        event = await emit(
            session,
            org_id=org.id,
            url=url,
            type=type,
            data={"call_id": call_id},
            now=clock.now(),
            call_id=call_id,
        )
    assert event is not None
    return event.id


async def load_event(sm: async_sessionmaker[AsyncSession], event_id: str) -> WebhookEvent:
    async with sm() as session:
        event = await session.get(WebhookEvent, event_id)
    assert event is not None
    return event


async def load_attempts(
    sm: async_sessionmaker[AsyncSession], event_id: str
) -> list[WebhookAttempt]:
    async with sm() as session:
        rows = await session.execute(
            select(WebhookAttempt)
            .where(WebhookAttempt.event_id == event_id)
            .order_by(WebhookAttempt.attempted_at)
        )
        return list(rows.scalars())


def offsets(attempts: list[WebhookAttempt], start: datetime) -> list[float]:
    return [(a.attempted_at - start).total_seconds() for a in attempts]


# -- tests ---------------------------------------------------------------------------------


async def test_pending_event_is_delivered_once_with_a_valid_signature(
    sm: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    receiver: Receiver,
    org: Org,
    deliverer: Deliverer,
) -> None:
    event_id = await emit_event(sm, org, receiver.url, clock)

    assert await deliverer.deliver_due() == 1
    assert await deliverer.deliver_due() == 0  # delivered events are not sent again

    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.valid_signature and got.status == 200
    assert got.event_id == event_id
    assert got.timestamp == str(int(clock.now().timestamp()))
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "orbit-voice-webhooks/1"
    assert got.payload["id"] == event_id and got.payload["type"] == "call.ringing"
    assert got.payload["data"] == {"call_id": "call_1"}

    event = await load_event(sm, event_id)
    assert (event.status, event.attempts) == ("delivered", 1)
    assert event.delivered_at == clock.now() and event.next_attempt_at is None
    [attempt] = await load_attempts(sm, event_id)
    assert attempt.id.startswith("watt_")
    assert (attempt.status_code, attempt.error, attempt.org_id) == (200, None, org.id)
    assert attempt.attempted_at == clock.now() and attempt.duration_ms >= 0


async def test_signature_uses_the_secret_current_at_send_time(
    sm: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    receiver: Receiver,
    org: Org,
    deliverer: Deliverer,
) -> None:
    event_id = await emit_event(sm, org, receiver.url, clock)
    rotated = new_webhook_secret()
    async with sm() as session, session.begin():
        row = await session.get(Org, org.id)
        assert row is not None
        row.webhook_secret = rotated
    receiver.secret = rotated

    assert await deliverer.deliver_due() == 1
    assert receiver.ids(status=200) == [event_id]
    assert (await load_event(sm, event_id)).status == "delivered"


async def test_failures_are_retried_on_schedule_until_delivered(
    sm: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    receiver: Receiver,
    org: Org,
    deliverer: Deliverer,
) -> None:
    start = clock.now()
    event_id = await emit_event(sm, org, receiver.url, clock)
    receiver.fail(3)

    assert await deliverer.deliver_due() == 1  # t=0, fails
    for delay in (5, 300, 1800):
        await clock.advance(delay - 1)
        assert await deliverer.deliver_due() == 0  # not due yet
        await clock.advance(1)
        assert await deliverer.deliver_due() == 1

    assert [r.status for r in receiver.requests] == [500, 500, 500, 200]
    assert all(r.valid_signature for r in receiver.requests)
    # each request carries the time it was sent
    assert [int(r.timestamp) - int(start.timestamp()) for r in receiver.requests] == [
        0,
        5,
        305,
        2105,
    ]
    attempts = await load_attempts(sm, event_id)
    assert [a.status_code for a in attempts] == [500, 500, 500, 200]
    assert offsets(attempts, start) == [0, 5, 305, 2105]
    event = await load_event(sm, event_id)
    assert (event.status, event.attempts) == ("delivered", 4)
    assert event.delivered_at == start + timedelta(seconds=2105)


async def test_events_of_one_call_go_out_in_order_and_other_calls_are_not_blocked(
    sm: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    receiver: Receiver,
    org: Org,
    deliverer: Deliverer,
) -> None:
    a1 = await emit_event(sm, org, receiver.url, clock, call_id="call_a", type="call.ringing")
    a2 = await emit_event(sm, org, receiver.url, clock, call_id="call_a", type="call.answered")
    b1 = await emit_event(sm, org, receiver.url, clock, call_id="call_b", type="call.ringing")
    b2 = await emit_event(sm, org, receiver.url, clock, call_id="call_b", type="call.answered")
    receiver.fail(1, event_id=a1)

    # a1 fails; a2 must wait for it, while call_b's events are delivered in order.
    assert await deliverer.deliver_due() == 3
    assert a2 not in receiver.ids()
    assert receiver.ids(status=500) == [a1]
    assert [i for i in receiver.ids(status=200) if i in (b1, b2)] == [b1, b2]
    assert (await load_event(sm, a2)).status == "pending"
    assert await deliverer.deliver_due() == 0

    await clock.advance(5)
    assert await deliverer.deliver_due() == 2  # a1, then a2 right after it
    assert [i for i in receiver.ids() if i in (a1, a2)] == [a1, a1, a2]
    assert [r.payload["type"] for r in receiver.requests if r.event_id == a2] == ["call.answered"]
    for event_id in (a1, a2, b1, b2):
        assert (await load_event(sm, event_id)).status == "delivered"


async def test_a_new_deliverer_picks_up_pending_events_after_a_restart(
    db_url: str,
    sm: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    receiver: Receiver,
    org: Org,
    settings: Settings,
) -> None:
    start = clock.now()
    event_id = await emit_event(sm, org, receiver.url, clock)
    receiver.fail(1)
    first = Deliverer(sm, clock, settings)
    first.start()
    first.wake()
    for _ in range(500):  # real time: wait for the background loop's first pass
        if receiver.requests:
            break
        await asyncio.sleep(0.01)
    await first.stop()
    assert receiver.ids(status=500) == [event_id]
    assert (await load_event(sm, event_id)).attempts == 1

    # "Restart": a new engine, sessionmaker and deliverer on the same database.
    engine = make_engine(db_url)
    try:
        second = Deliverer(make_sessionmaker(engine), clock, settings)
        await clock.advance(4)
        assert await second.deliver_due() == 0
        await clock.advance(1)
        assert await second.deliver_due() == 1
        await second.stop()
    finally:
        await engine.dispose()

    assert receiver.ids() == [event_id, event_id]
    event = await load_event(sm, event_id)
    assert (event.status, event.attempts) == ("delivered", 2)
    attempts = await load_attempts(sm, event_id)
    assert [a.status_code for a in attempts] == [500, 200]
    assert offsets(attempts, start) == [0, 5]


async def test_event_fails_for_good_after_eight_attempts(
    sm: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    receiver: Receiver,
    org: Org,
    deliverer: Deliverer,
) -> None:
    start = clock.now()
    event_id = await emit_event(sm, org, receiver.url, clock)
    later = await emit_event(sm, org, receiver.url, clock)  # same call, waits its turn
    receiver.fail(8, event_id=event_id)

    delays = [5, 300, 1800, 7200, 18000, 36000, 86400]
    assert await deliverer.deliver_due() == 1
    for delay in delays[:-1]:
        await clock.advance(delay)
        assert await deliverer.deliver_due() == 1
        assert later not in receiver.ids()
    await clock.advance(delays[-1])
    assert await deliverer.deliver_due() == 2  # the 8th attempt fails; the next event goes

    event = await load_event(sm, event_id)
    assert (event.status, event.attempts, event.next_attempt_at) == ("failed", 8, None)
    attempts = await load_attempts(sm, event_id)
    assert [a.status_code for a in attempts] == [500] * 8
    expected, t = [0.0], 0.0
    for delay in delays:
        t += delay
        expected.append(t)
    assert offsets(attempts, start) == expected
    assert (await load_event(sm, later)).status == "delivered"

    await clock.advance(30 * 86400)
    assert await deliverer.deliver_due() == 0
    assert receiver.ids().count(event_id) == 8


async def test_private_url_is_refused_at_delivery_time(
    sm: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    receiver: Receiver,
    org: Org,
    db_url: str,
) -> None:
    settings = Settings(webhooks_allow_private=False, database_url=db_url)
    deliverer = Deliverer(sm, clock, settings)
    try:
        event_id = await emit_event(sm, org, receiver.url, clock)
        assert await deliverer.deliver_due() == 1
    finally:
        await deliverer.stop()

    assert receiver.requests == []
    [attempt] = await load_attempts(sm, event_id)
    assert attempt.status_code is None
    assert attempt.error is not None and "non-public" in attempt.error
    assert org.webhook_secret.removeprefix("whsec_") not in attempt.error
    event = await load_event(sm, event_id)
    assert (event.status, event.attempts) == ("pending", 1)
    assert event.next_attempt_at == clock.now() + timedelta(seconds=5)


async def test_a_url_rebound_to_loopback_after_the_check_is_refused_at_connect(
    sm: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    org: Org,
    db_url: str,
    fake_dns: FakeDns,
    local_http: LocalHttp,
) -> None:
    # DNS rebinding: the name is public for check_url, loopback for the POST's connection.
    fake_dns.script("rebind.test", ["93.184.216.34"], ["127.0.0.1"])
    settings = Settings(webhooks_allow_private=False, database_url=db_url)
    deliverer = Deliverer(sm, clock, settings)
    try:
        event_id = await emit_event(sm, org, f"http://rebind.test:{local_http.port}/hook", clock)
        assert await deliverer.deliver_due() == 1
    finally:
        await deliverer.stop()

    assert local_http.connections == 0
    assert fake_dns.lookups == ["rebind.test", "rebind.test"]
    [attempt] = await load_attempts(sm, event_id)
    assert attempt.status_code is None
    assert attempt.error == "webhook_url resolves to a non-public address (127.0.0.1)."
    event = await load_event(sm, event_id)
    assert (event.status, event.attempts) == ("pending", 1)


async def test_background_loop_survives_errors_and_wakes_on_demand(
    sm: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    receiver: Receiver,
    org: Org,
    db_url: str,
) -> None:
    settings = Settings(webhooks_allow_private=True, database_url=db_url, webhooks_poll_seconds=60)
    deliverer = Deliverer(sm, clock, settings)
    real_pass = deliverer.deliver_due
    passes = 0

    async def flaky_pass() -> int:
        nonlocal passes
        passes += 1
        if passes == 1:
            raise RuntimeError("database went away")
        return await real_pass()

    deliverer.deliver_due = flaky_pass  # type: ignore[method-assign]
    try:
        deliverer.start()
        for _ in range(200):
            if passes:
                break
            await asyncio.sleep(0.01)
        event_id = await emit_event(sm, org, receiver.url, clock)
        deliverer.wake()  # without this the next pass would be 60 s away
        for _ in range(500):
            if receiver.requests:
                break
            await asyncio.sleep(0.01)
    finally:
        await deliverer.stop()
    assert receiver.ids(status=200) == [event_id]
    assert (await load_event(sm, event_id)).status == "delivered"


async def test_two_deliverers_never_send_the_same_attempt_twice(
    db_url: str,
    sm: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    receiver: Receiver,
    org: Org,
    settings: Settings,
) -> None:
    event_ids = [
        await emit_event(sm, org, receiver.url, clock, call_id=f"call_{i}") for i in range(20)
    ]
    engine = make_engine(db_url)
    one = Deliverer(sm, clock, settings)
    two = Deliverer(make_sessionmaker(engine), clock, settings)
    try:
        counts = await asyncio.gather(one.deliver_due(), two.deliver_due())
    finally:
        await one.stop()
        await two.stop()
        await engine.dispose()

    assert sum(counts) == 20
    assert sorted(receiver.ids(status=200)) == sorted(event_ids)
    for event_id in event_ids:
        event = await load_event(sm, event_id)
        assert (event.status, event.attempts) == ("delivered", 1)
        assert len(await load_attempts(sm, event_id)) == 1
