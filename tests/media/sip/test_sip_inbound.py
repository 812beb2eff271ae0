"""Inbound live calls: sipp calls the engine's SIP port like a carrier would."""

from __future__ import annotations

from typing import Any

import httpx

from sip_support import (
    CALLER_ID,
    carrier_trunk,
    event_types,
    live_api,
    needs_sipp,
    sip_app,
    sipp,
    uac,
    until,
    wait_status,
)

__all__ = ["live_api", "sip_app", "sipp"]  # fixtures

pytestmark = needs_sipp


async def _calls(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    r = await api.get("/v1/voice/calls")
    assert r.status_code == 200
    data: list[dict[str, Any]] = r.json()["data"]
    return data


async def test_unknown_source_gets_403_and_writes_nothing(
    live_api: httpx.AsyncClient, sip_app: Any, sipp: Any
) -> None:
    await carrier_trunk(live_api, 5999, origination_uris=["sip:192.0.2.77"])
    caller = uac(sipp, "caller_refused", sip_app.state.settings.sip_port, CALLER_ID, code="403")
    assert await caller.wait() == 0
    assert await _calls(live_api) == []


async def test_unknown_number_gets_404_and_writes_nothing(
    live_api: httpx.AsyncClient, sip_app: Any, sipp: Any
) -> None:
    await carrier_trunk(live_api, 5999)
    caller = uac(
        sipp, "caller_refused", sip_app.state.settings.sip_port, "+19995550000", code="404"
    )
    assert await caller.wait() == 0
    assert await _calls(live_api) == []


async def test_accepted_call_rings_then_talks_then_caller_hangs_up(
    live_api: httpx.AsyncClient, sip_app: Any, sipp: Any
) -> None:
    await carrier_trunk(live_api, 5999)
    caller = uac(sipp, "caller", sip_app.state.settings.sip_port, CALLER_ID, pause_ms="500")
    calls = await until(lambda: _calls(live_api))
    call = calls[0]
    assert (call["direction"], call["status"], call["to"]) == ("inbound", "ringing", CALLER_ID)
    assert call["from"] == "+14155550100"
    assert call["sip_call_id"]
    r = await live_api.post(f"/v1/voice/calls/{call['id']}/accept")
    assert r.status_code == 200, r.text
    ended = await wait_status(live_api, call["id"], "completed")
    assert ended["end_reason"] == "far_end_hangup"
    assert await caller.wait() == 0
    assert await event_types(live_api, call["id"]) == [
        "call.initiated",
        "call.ringing",
        "call.answered",
        "call.completed",
    ]


async def test_declined_call_answers_486(
    live_api: httpx.AsyncClient, sip_app: Any, sipp: Any
) -> None:
    await carrier_trunk(live_api, 5999)
    caller = uac(sipp, "caller_refused", sip_app.state.settings.sip_port, CALLER_ID, code="486")
    call = (await until(lambda: _calls(live_api)))[0]
    r = await live_api.post(f"/v1/voice/calls/{call['id']}/decline")
    assert r.status_code == 200, r.text
    assert await caller.wait() == 0  # sipp got its 486 Busy Here
    assert (await wait_status(live_api, call["id"], "busy"))["end_reason"] == "declined"


async def test_rfc4733_digit_selects_an_ivr_option(
    live_api: httpx.AsyncClient, sip_app: Any, sipp: Any
) -> None:
    await carrier_trunk(live_api, 5999)
    r = await live_api.post(
        "/v1/voice/ivr",
        json={
            "name": "main menu",
            "greeting": "Press one to hang up.",
            "menu": {"options": [{"key": "1", "action": "hangup"}]},
            "fallback_action": "hangup",
        },
    )
    assert r.status_code == 201, r.text
    ivr_id = r.json()["data"]["id"]
    numbers = (await live_api.get("/v1/voice/numbers")).json()["data"]
    r = await live_api.put(
        f"/v1/voice/numbers/{numbers[0]['id']}", json={"handler": {"type": "ivr", "target": ivr_id}}
    )
    assert r.status_code == 200, r.text
    caller = uac(sipp, "caller_dtmf", sip_app.state.settings.sip_port, CALLER_ID, pause_ms="800")
    call = (await until(lambda: _calls(live_api)))[0]
    ended = await wait_status(live_api, call["id"], "completed", timeout=10)
    assert await caller.wait() == 0  # answered by the IVR, pressed 1, got our BYE
    r = await live_api.get(f"/v1/voice/calls/{call['id']}/events", params={"limit": 100})
    events = sorted(r.json()["data"], key=lambda e: e["seq"])
    digits = [e["data"]["digit"] for e in events if e["type"] == "call.dtmf.received"]
    assert digits == ["1"]
    assert ended["end_reason"] != "far_end_hangup"
