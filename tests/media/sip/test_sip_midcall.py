"""Mid-call SIP: hold and unhold as re-INVITEs the carrier sees, and DTMF the caller sends as
SIP INFO (application/dtmf-relay)."""

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
    uas,
    until,
    wait_status,
)

__all__ = ["live_api", "sip_app", "sipp"]  # fixtures

pytestmark = needs_sipp


async def test_hold_and_unhold_reinvite_the_carrier(live_api: httpx.AsyncClient, sipp: Any) -> None:
    # sipp fails the call unless the first re-INVITE offers a=sendonly and the second
    # a=sendrecv, each answered and ACKed, then our BYE.
    carrier = uas(sipp, "hold_unhold")
    await carrier_trunk(live_api, carrier.port)
    r = await live_api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID})
    assert r.status_code == 201, r.text
    call_id = r.json()["data"]["id"]
    await wait_status(live_api, call_id, "in_progress")
    r = await live_api.post(f"/v1/voice/calls/{call_id}/hold")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["on_hold"] is True
    r = await live_api.post(f"/v1/voice/calls/{call_id}/unhold")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["on_hold"] is False
    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    assert await carrier.wait() == 0
    assert await event_types(live_api, call_id) == [
        "call.initiated",
        "call.ringing",
        "call.answered",
        "call.held",
        "call.unheld",
        "call.completed",
    ]


async def test_sip_info_digit_selects_an_ivr_option(
    live_api: httpx.AsyncClient, sip_app: Any, sipp: Any
) -> None:
    await carrier_trunk(live_api, 5999)
    r = await live_api.post(
        "/v1/voice/ivr",
        json={
            "name": "main menu",
            "greeting": "Press two to hang up.",
            "menu": {"options": [{"key": "2", "action": "hangup"}]},
            "fallback_action": "hangup",
        },
    )
    assert r.status_code == 201, r.text
    numbers = (await live_api.get("/v1/voice/numbers")).json()["data"]
    handler = {"type": "ivr", "target": r.json()["data"]["id"]}
    r = await live_api.put(f"/v1/voice/numbers/{numbers[0]['id']}", json={"handler": handler})
    assert r.status_code == 200, r.text
    port = sip_app.state.settings.sip_port
    caller = uac(sipp, "caller_info_dtmf", port, CALLER_ID, pause_ms="800", digit="2")

    async def first_call() -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = (await live_api.get("/v1/voice/calls")).json()["data"]
        return data

    call = (await until(first_call))[0]
    ended = await wait_status(live_api, call["id"], "completed", timeout=10)
    assert await caller.wait() == 0  # answered, INFO got its 200, then our BYE
    assert ended["end_reason"] != "far_end_hangup"
    r = await live_api.get(f"/v1/voice/calls/{call['id']}/events", params={"limit": 100})
    events = sorted(r.json()["data"], key=lambda e: e["seq"])
    dtmf = [e["data"] for e in events if e["type"] == "call.dtmf.received"]
    assert [d["digit"] for d in dtmf] == ["2"]
