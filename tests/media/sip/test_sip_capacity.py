"""How many calls the engine holds at once: its setting, capped by the pjsua2 wheel's
compile-time PJSUA_MAX_CALLS (4 in pjsua2-python 2.15.1, pjproject's default). PJSUA lowers a
larger ``maxCalls`` silently; the engine reads the real cap back and gates on it, so a call
over it is a clean ``media_busy`` (outbound) or PJSUA's 486 (inbound), never a PJSUA error."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from orbit_voice.config import Settings
from orbit_voice.media.backend import (
    MediaError,
    MediaEvent,
    MediaEventKind,
    OriginateRequest,
    TrunkRoute,
)
from orbit_voice.media.sip.adapter import SipBackend
from sip_support import (
    CALLER_ID,
    carrier_trunk,
    live_api,
    needs_sipp,
    scenario_file,
    sip_app,
    sip_settings,
    sipp,
    uac,
    uas,
    until,
)

__all__ = ["live_api", "sip_app", "sipp"]  # fixtures

pytestmark = needs_sipp

WANTED = 10  # calls the tests try to hold; fewer when the library's cap is lower


def _request(n: int, carrier_port: int) -> OriginateRequest:
    return OriginateRequest(
        leg_id=f"call_cap{n}",
        org_id="org_x",
        to="+14155552671",
        from_=CALLER_ID,
        ring_timeout=5,
        route=TrunkRoute("trunk_x", f"sip:127.0.0.1:{carrier_port}", encryption="none"),
    )


async def _backend(settings: Settings, max_calls: int) -> tuple[SipBackend, list[MediaEvent]]:
    backend = SipBackend(sip_settings(settings, sip_max_calls=max_calls))
    events: list[MediaEvent] = []

    async def sink(event: MediaEvent) -> None:
        events.append(event)

    backend.set_sink(sink)
    await backend.start()
    return backend, events


def _answered(events: list[MediaEvent]) -> set[str]:
    return {e.leg_id for e in events if e.kind is MediaEventKind.ANSWERED}


async def test_setting_below_the_library_cap_is_the_limit(settings: Settings) -> None:
    backend, _ = await _backend(settings, 2)
    try:
        assert (await backend.engine_snapshot())["max_calls"] == 2
    finally:
        await backend.stop()


async def test_engine_places_calls_up_to_its_limit_all_connected_at_once(
    settings: Settings, sipp: Any
) -> None:
    backend, events = await _backend(settings, 30)
    try:
        limit = (await backend.engine_snapshot())["max_calls"]
        assert 1 <= limit <= 30
        n = min(WANTED, limit)
        carrier = uas(sipp, calls=n)
        await asyncio.sleep(0.2)
        for i in range(n):
            await backend.originate(_request(i, carrier.port))
        await until(lambda: _async(len(_answered(events)) == n), timeout=8)
        snap = await backend.engine_snapshot()
        assert snap["active_calls"] == n
        assert set(snap["legs"].values()) == {"connected"}
        if n == limit:  # one over the limit: refused by the engine, not by a PJSUA error
            with pytest.raises(MediaError) as exc:
                await backend.originate(_request(n, carrier.port))
            assert exc.value.code == "media_busy"
            assert exc.value.details == {"max_calls": limit}
        # A slot comes back once PJSUA has released the call (our BYE answered), and the
        # engine waits for that instead of tripping PJSUA's own limit.
        await backend.hangup("call_cap0")
        second = uas(sipp, calls=1)
        await asyncio.sleep(0.2)

        async def redial() -> bool:
            try:
                await backend.originate(_request(99, second.port))
            except MediaError as err:
                assert err.code == "media_busy"
                return False
            return True

        await until(redial, timeout=5, interval=0.1)
        await until(lambda: _async("call_cap99" in _answered(events)), timeout=8)
        for i in [*range(1, n), 99]:
            await backend.hangup(f"call_cap{i}")
        assert await carrier.wait() == 0  # every call was answered and got its BYE
        assert await second.wait() == 0
    finally:
        await backend.stop()


async def test_carrier_calls_in_up_to_the_limit_and_the_next_gets_486(
    live_api: httpx.AsyncClient, sip_app: Any, sipp: Any
) -> None:
    """The reported case: ORBIT_SIP_MAX_CALLS above the wheel's cap (100 by default)."""
    await carrier_trunk(live_api, 5999)
    r = await live_api.post(
        "/v1/voice/ivr",
        json={
            "name": "hold",
            "greeting": "Please hold.",
            "menu": {"options": [{"key": "1", "action": "hangup"}]},
            "timeout_seconds": 60,
            "fallback_action": "hangup",
        },
    )
    assert r.status_code == 201, r.text
    numbers = (await live_api.get("/v1/voice/numbers")).json()["data"]
    handler = {"type": "ivr", "target": r.json()["data"]["id"]}
    r = await live_api.put(f"/v1/voice/numbers/{numbers[0]['id']}", json={"handler": handler})
    assert r.status_code == 200, r.text
    backend = sip_app.state.runtime.media.backends["sip"]
    limit = (await backend.engine_snapshot())["max_calls"]
    n = min(WANTED, limit)
    port = sip_app.state.settings.sip_port
    callers = sipp(
        "-sf",
        scenario_file("caller", pause_ms="3000"),
        f"127.0.0.1:{port}",
        "-s",
        CALLER_ID,
        *("-m", str(n), "-r", str(n), "-l", str(n)),
        *("-timeout", "20s", "-timeout_error"),
    )

    async def all_up() -> bool:
        r = await live_api.get("/v1/voice/calls", params={"limit": 100})
        return [c["status"] for c in r.json()["data"]] == ["in_progress"] * n

    await until(all_up, timeout=8)
    assert (await backend.engine_snapshot())["active_calls"] == n
    if n == limit:
        over = uac(sipp, "caller_refused", port, CALLER_ID, code="486")
        assert await over.wait() == 0  # PJSUA's "too many calls" Busy Here
    assert await callers.wait(15) == 0  # all n were answered, talked and hung up cleanly
    r = await live_api.get("/v1/voice/calls", params={"limit": 100})
    assert len(r.json()["data"]) == n  # the refused INVITE never became a call


async def _async(value: bool) -> bool:
    return value
