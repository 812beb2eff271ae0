"""Call lifecycles observed the way a user observes them: signed webhooks at a real receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from helpers import create_call, create_number
from orbit_voice.app import create_app
from orbit_voice.config import Settings
from orbit_voice.kit.clock import FakeClock
from receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


async def secret(api: httpx.AsyncClient) -> str:
    return str((await api.get("/v1/voice/webhook-secret")).json()["data"]["secret"])


def types(receiver: Receiver, call_id: str) -> list[str]:
    return [
        r.payload["type"]
        for r in receiver.requests
        if r.status == 200 and r.payload["data"]["call"]["id"] == call_id
    ]


@pytest.mark.parametrize(
    ("to", "seconds", "expected"),
    [
        ("+14155552671", 2, ["call.initiated", "call.ringing", "call.answered"]),
        ("+15005550001", 2, ["call.initiated", "call.ringing", "call.busy"]),
        ("+15005550002", 30, ["call.initiated", "call.ringing", "call.no_answer"]),
        ("+15005550003", 1, ["call.initiated", "call.failed"]),
        ("+15005550004", 32, ["call.initiated", "call.ringing", "call.answered", "call.completed"]),
    ],
)
async def test_magic_number_lifecycle_arrives_signed_and_in_order(
    api: httpx.AsyncClient,
    app: Any,
    clock: FakeClock,
    receiver: Receiver,
    to: str,
    seconds: float,
    expected: list[str],
) -> None:
    receiver.secret = await secret(api)
    await create_number(api)
    call = await create_call(api, to, webhook_url=receiver.url)
    await clock.advance(seconds)
    while await app.state.deliverer.deliver_due():
        pass
    assert types(receiver, call["id"]) == expected
    assert all(r.valid_signature for r in receiver.requests)
    last = receiver.requests[-1].payload
    assert (
        last["data"]["call"]["status"]
        == {
            "call.answered": "in_progress",
            "call.completed": "completed",
            "call.busy": "busy",
            "call.no_answer": "no_answer",
            "call.failed": "failed",
        }[expected[-1]]
    )
    assert set(last) == {"id", "type", "created_at", "data"}


async def test_receiver_down_three_times_gets_everything_with_attempts_recorded(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.secret = await secret(api)
    await create_number(api)
    call = await create_call(api, "+15005550004", webhook_url=receiver.url, record=True)
    receiver.fail(3)
    deliverer = app.state.deliverer
    for _ in range(40):
        await deliverer.deliver_due()
        await clock.advance(60)
    await clock.advance(3600)
    while await deliverer.deliver_due():
        pass
    assert types(receiver, call["id"]) == [
        "call.initiated",
        "call.ringing",
        "call.answered",
        "call.recording.started",
        "call.recording.completed",
        "call.completed",
    ]
    r = await api.get("/v1/voice/webhook-deliveries", params={"call_id": call["id"]})
    deliveries = r.json()["data"]
    assert {d["status"] for d in deliveries} == {"delivered"}
    first = next(d for d in deliveries if d["type"] == "call.initiated")
    assert [a["status_code"] for a in first["attempt_log"]] == [500, 500, 500, 200]


async def test_restart_mid_retry_loses_nothing(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, receiver: Receiver, settings: Settings
) -> None:
    receiver.secret = await secret(api)
    await create_number(api)
    call = await create_call(api, webhook_url=receiver.url)
    receiver.fail(1)
    await app.state.deliverer.deliver_due()  # fails: the receiver answers 500
    assert receiver.ids(200) == []

    # A new server process on the same database picks the event up when it is due.
    restarted = create_app(settings, clock=clock, run_workers=False)
    async with restarted.router.lifespan_context(restarted):
        await clock.advance(5)
        while await restarted.state.deliverer.deliver_due():
            pass
    assert types(receiver, call["id"])[:1] == ["call.initiated"]
    r = await api.get("/v1/voice/webhook-deliveries", params={"status": "pending"})
    assert r.json()["data"] == []


async def test_rotated_secret_signs_the_next_delivery(
    api: httpx.AsyncClient, app: Any, receiver: Receiver
) -> None:
    old = await secret(api)
    r = await api.post("/v1/voice/webhook-secret")
    new = r.json()["data"]["secret"]
    assert new != old and new.startswith("whsec_")
    receiver.secret = new
    await create_number(api)
    await create_call(api, webhook_url=receiver.url)
    await app.state.deliverer.deliver_due()
    assert receiver.requests and all(r.valid_signature for r in receiver.requests)


async def test_no_webhook_url_queues_nothing(api: httpx.AsyncClient, clock: FakeClock) -> None:
    await create_number(api)
    await create_call(api)
    await clock.advance(3)
    r = await api.get("/v1/voice/webhook-deliveries")
    assert r.json()["meta"]["pagination"]["total"] == 0
