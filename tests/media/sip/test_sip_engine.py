"""The SIP engine against sipp as the carrier: outbound calls and their statuses, and a clean
start/stop cycle."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from orbit_voice.config import Settings
from orbit_voice.media.backend import (
    AudioFrame,
    MediaEvent,
    MediaEventKind,
    OriginateRequest,
    TrunkRoute,
)
from orbit_voice.media.sip.adapter import SipBackend
from sip_support import (
    CALLER_ID,
    carrier_trunk,
    event_types,
    live_api,
    needs_sipp,
    sip_app,
    sip_settings,
    sipp,
    uas,
    wait_status,
)

__all__ = ["live_api", "sip_app", "sipp"]  # fixtures

pytestmark = needs_sipp


async def test_engine_starts_and_stops_repeatedly_even_with_a_call_up(
    settings: Settings, sipp: Any
) -> None:
    for cycle in range(4):
        backend = SipBackend(sip_settings(settings))
        events: list[MediaEvent] = []

        async def sink(event: MediaEvent, into: list[MediaEvent] = events) -> None:
            into.append(event)

        async def audio(frame: AudioFrame) -> None:
            return None

        backend.set_sink(sink)
        backend.set_audio_sink(audio)  # connected legs are tapped: taps must tear down too
        await backend.start()
        assert backend.running
        if cycle % 2 == 1:  # stop with a connected call: it is hung up, nothing leaks
            carrier = uas(sipp)
            await asyncio.sleep(0.2)
            await backend.originate(
                OriginateRequest(
                    leg_id=f"call_cycle{cycle}",
                    org_id="org_x",
                    to="+14155552671",
                    from_=CALLER_ID,
                    ring_timeout=5,
                    route=TrunkRoute("trunk_x", f"sip:127.0.0.1:{carrier.port}", encryption="none"),
                )
            )
            for _ in range(100):
                if any(e.kind is MediaEventKind.ANSWERED for e in events):
                    break
                await asyncio.sleep(0.05)
            assert [e.kind for e in events][-1] is MediaEventKind.ANSWERED
            snap = await backend.engine_snapshot()
            assert (snap["active_calls"], snap["taps"]) == (1, 1)
        await backend.stop()
        assert not backend.running
        assert not any(backend.tap_dir.glob("*"))
        if cycle % 2 == 1:
            assert await carrier.wait() == 0  # the carrier got its BYE


async def test_answered_call_goes_in_progress_and_hangs_up_with_bye(
    live_api: httpx.AsyncClient, sipp: Any
) -> None:
    carrier = uas(sipp)
    await carrier_trunk(live_api, carrier.port)
    r = await live_api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID})
    assert r.status_code == 201, r.text
    call = r.json()["data"]
    assert call["status"] == "initiating"
    answered = await wait_status(live_api, call["id"], "in_progress")
    assert answered["sip_code"] == 200
    assert answered["sip_call_id"]
    r = await live_api.post(f"/v1/voice/calls/{call['id']}/hangup")
    assert r.status_code == 200, r.text
    ended = await wait_status(live_api, call["id"], "completed")
    assert ended["end_reason"] == "hangup"
    assert await carrier.wait() == 0  # sipp saw INVITE, ACK and our BYE, and exits cleanly
    assert await event_types(live_api, call["id"]) == [
        "call.initiated",
        "call.ringing",
        "call.answered",
        "call.completed",
    ]


async def test_live_call_without_a_trunk_is_422_no_trunk(live_api: httpx.AsyncClient) -> None:
    r = await live_api.post("/v1/voice/numbers", json={"number": CALLER_ID})
    assert r.status_code == 201
    r = await live_api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "no_trunk"
    assert r.json()["error"]["param"] == "from"
    assert (await live_api.get("/v1/voice/calls")).json()["data"] == []
