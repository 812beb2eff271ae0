"""IVR flows running on calls: greeting, keys, timeouts, retries, fallback, submenus, each
step a call event and a signed webhook."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from helpers import (
    call_events,
    create_number,
    create_voicemail_box,
    event_types,
    get_call,
    press,
    ring_inbound,
    set_handler,
)
from orbit_voice.kit.clock import FakeClock
from orbit_voice.media.sim import SimBackend
from receiver import Receiver

FORWARD_TO = "+14155550100"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


def sim(app: Any) -> SimBackend:
    backend = app.state.runtime.media.get("sim")
    assert isinstance(backend, SimBackend)
    return backend


async def make_ivr(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Main",
        "greeting": "Press 1 for sales, 9 to hear this again.",
        "menu": {
            "options": [
                {"key": "1", "action": "transfer_number", "target": FORWARD_TO},
                {"key": "9", "action": "repeat"},
                {"key": "0", "action": "hangup"},
            ]
        },
        "timeout_seconds": 5,
        "max_retries": 2,
        "fallback_action": "hangup",
    }
    body.update(overrides)
    r = await api.post("/v1/voice/ivr", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def call_into(
    api: httpx.AsyncClient, clock: FakeClock, ivr: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    number = await create_number(api)
    await set_handler(api, number["id"], "ivr", ivr["id"])
    call = await ring_inbound(api, **extra)
    await clock.advance(2)
    return call


async def ivr_events(api: httpx.AsyncClient, call_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (e["type"], e["data"])
        for e in await call_events(api, call_id)
        if e["type"].startswith("ivr.")
    ]


async def test_greeting_then_a_key_runs_its_action(
    api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    ivr = await make_ivr(api)
    call = await call_into(api, clock, ivr)
    got = await get_call(api, call["id"])
    assert (got["status"], got["ivr_id"]) == ("in_progress", ivr["id"])
    assert sim(app).legs[call["id"]].played == [ivr["greeting"]]

    await press(api, call["id"], "1")
    events = await ivr_events(api, call["id"])
    assert [t for t, _ in events] == ["ivr.prompt", "ivr.digit", "ivr.action"]
    assert events[0][1]["attempt"] == 1 and events[0][1]["ivr_id"] == ivr["id"]
    assert events[1][1] == {"ivr_id": ivr["id"], "digit": "1", "matched": True}
    assert events[2][1] == {
        "ivr_id": ivr["id"],
        "action": "transfer_number",
        "target": FORWARD_TO,
        "reason": "digit",
        "key": "1",
    }
    await clock.advance(2)
    legs = (await api.get("/v1/voice/calls", params={"to": FORWARD_TO})).json()["data"]
    assert [leg["status"] for leg in legs] == ["in_progress"]
    assert "call.transferred" in await event_types(api, call["id"])
    # The menu is done: later keys and time change nothing.
    await press(api, call["id"], "0")
    await clock.advance(60)
    assert [t for t, _ in await ivr_events(api, call["id"])] == [
        "ivr.prompt",
        "ivr.digit",
        "ivr.action",
    ]
    assert (await get_call(api, call["id"]))["status"] == "in_progress"


async def test_silence_replays_up_to_max_retries_then_falls_back(
    api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    ivr = await make_ivr(api)  # timeout 5 s, 2 retries, fallback hangup
    call = await call_into(api, clock, ivr)
    await clock.advance(4.9)
    assert [t for t, _ in await ivr_events(api, call["id"])] == ["ivr.prompt"]
    await clock.advance(0.1)
    await clock.advance(5)
    assert (await get_call(api, call["id"]))["status"] == "in_progress"
    await clock.advance(5)
    events = await ivr_events(api, call["id"])
    assert [(t, d.get("attempt")) for t, d in events] == [
        ("ivr.prompt", 1),
        ("ivr.timeout", 1),
        ("ivr.prompt", 2),
        ("ivr.timeout", 2),
        ("ivr.prompt", 3),
        ("ivr.timeout", 3),
        ("ivr.action", None),
    ]
    assert events[-1][1]["reason"] == "max_retries"
    assert events[-1][1]["action"] == "hangup"
    got = await get_call(api, call["id"])
    assert (got["status"], got["end_reason"]) == ("completed", "routing_hangup")
    assert sim(app).legs[call["id"]].played == [ivr["greeting"]] * 3


async def test_unmapped_keys_use_retries_and_repeat_does_not(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    ivr = await make_ivr(api, max_retries=1)
    call = await call_into(api, clock, ivr)
    await press(api, call["id"], "9")  # repeat: replays, no retry used
    await press(api, call["id"], "9")
    await press(api, call["id"], "5")  # unmapped: the one retry
    assert (await get_call(api, call["id"]))["status"] == "in_progress"
    await press(api, call["id"], "#")  # unmapped again: fallback
    events = await ivr_events(api, call["id"])
    assert [t for t, _ in events] == [
        "ivr.prompt",
        "ivr.digit",
        "ivr.prompt",
        "ivr.digit",
        "ivr.prompt",
        "ivr.digit",
        "ivr.prompt",
        "ivr.digit",
        "ivr.action",
    ]
    assert [d["matched"] for t, d in events if t == "ivr.digit"] == [True, True, False, False]
    assert [d["attempt"] for t, d in events if t == "ivr.prompt"] == [1, 1, 1, 2]
    assert (await get_call(api, call["id"]))["status"] == "completed"


async def test_a_key_restarts_the_timeout(api: httpx.AsyncClient, clock: FakeClock) -> None:
    ivr = await make_ivr(api, max_retries=0)
    call = await call_into(api, clock, ivr)
    await clock.advance(4)
    await press(api, call["id"], "9")  # replay: a fresh 5 s
    await clock.advance(4)
    assert (await get_call(api, call["id"]))["status"] == "in_progress"
    await clock.advance(1)
    assert (await get_call(api, call["id"]))["status"] == "completed"


async def test_submenu_runs_another_flow(
    api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    sub = await make_ivr(
        api,
        name="Billing",
        greeting="Billing. Press 0 to hang up.",
        menu={"options": [{"key": "0", "action": "hangup"}]},
    )
    main = await make_ivr(
        api, menu={"options": [{"key": "2", "action": "submenu", "target": sub["id"]}]}
    )
    call = await call_into(api, clock, main)
    await press(api, call["id"], "2")
    assert sim(app).legs[call["id"]].played == [main["greeting"], sub["greeting"]]
    await clock.advance(4)  # main's timer is gone; sub's runs from the submenu prompt
    await press(api, call["id"], "0")
    events = await ivr_events(api, call["id"])
    assert [(t, d["ivr_id"]) for t, d in events] == [
        ("ivr.prompt", main["id"]),
        ("ivr.digit", main["id"]),
        ("ivr.action", main["id"]),
        ("ivr.prompt", sub["id"]),
        ("ivr.digit", sub["id"]),
        ("ivr.action", sub["id"]),
    ]
    got = await get_call(api, call["id"])
    assert (got["status"], got["ivr_id"]) == ("completed", main["id"])


async def test_fallback_to_voicemail_without_a_box_uses_the_first_box(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    first = await create_voicemail_box(api, name="First")
    await clock.advance(1)
    await create_voicemail_box(api, name="Second")
    ivr = await make_ivr(api, max_retries=0, fallback_action="voicemail")
    call = await call_into(api, clock, ivr)
    await clock.advance(5)
    assert await event_types(api, call["id"], "voicemail.") == ["voicemail.recording.started"]
    r = await api.get("/v1/voice/voicemails")
    assert [m["voicemail_id"] for m in r.json()["data"]] == [first["id"]]


async def test_editing_a_flow_mid_call_does_not_change_what_the_caller_hears(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    ivr = await make_ivr(api)
    call = await call_into(api, clock, ivr)
    r = await api.put(
        f"/v1/voice/ivr/{ivr['id']}", json={"menu": {"options": [{"key": "1", "action": "hangup"}]}}
    )
    assert r.status_code == 200
    await press(api, call["id"], "1")  # still the menu the caller heard: transfer
    assert (await ivr_events(api, call["id"]))[-1][1]["action"] == "transfer_number"


async def test_every_step_is_a_signed_webhook(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.secret = (await api.get("/v1/voice/webhook-secret")).json()["data"]["secret"]
    ivr = await make_ivr(api, max_retries=1)
    call = await call_into(api, clock, ivr, webhook_url=receiver.url)
    await clock.advance(5)  # timeout, replay
    await press(api, call["id"], "0")  # hangup
    while await app.state.deliverer.deliver_due():
        pass
    got = [
        r.payload
        for r in receiver.requests
        if r.status == 200 and r.payload["data"]["call"]["id"] == call["id"]
    ]
    assert all(r.valid_signature for r in receiver.requests)
    assert [p["type"] for p in got] == [
        "call.initiated",
        "call.ringing",
        "call.answered",
        "call.routed",
        "ivr.prompt",
        "ivr.timeout",
        "ivr.prompt",
        "call.dtmf.received",
        "ivr.digit",
        "ivr.action",
        "call.completed",
    ]
    digit = next(p for p in got if p["type"] == "ivr.digit")
    assert digit["data"]["digit"] == "0" and digit["data"]["ivr_id"] == ivr["id"]
    assert digit["data"]["call"]["ivr_id"] == ivr["id"]
