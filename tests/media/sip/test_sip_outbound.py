"""Outbound live calls with sipp as the carrier: each SIP outcome maps to its status, and the
user sees it in the call and in signed webhooks at a real receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from receiver import Receiver
from sip_support import (
    CALLER_ID,
    carrier_trunk,
    live_api,
    needs_sipp,
    sip_app,
    sipp,
    uas,
    wait_status,
)

__all__ = ["live_api", "sip_app", "sipp"]  # fixtures

pytestmark = needs_sipp


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


async def _webhooks(app: Any, receiver: Receiver, call_id: str) -> list[str]:
    while await app.state.deliverer.deliver_due():
        pass
    assert all(r.valid_signature for r in receiver.requests)
    return [
        r.payload["type"]
        for r in receiver.requests
        if r.status == 200 and r.payload["data"]["call"]["id"] == call_id
    ]


@pytest.mark.parametrize(
    ("scenario", "keys", "status", "sip_code", "end_reason", "last_webhook"),
    [
        ("reject", {"code": "486"}, "busy", 486, "busy", "call.busy"),
        ("reject", {"code": "603"}, "busy", 603, "busy", "call.busy"),
        ("reject", {"code": "480"}, "no_answer", 480, "no_answer", "call.no_answer"),
        ("reject", {"code": "503"}, "failed", 503, "sip_error", "call.failed"),
        ("no_answer", {}, "no_answer", 408, "ring_timeout", "call.no_answer"),
        ("answer_then_bye", {}, "completed", 200, "far_end_hangup", "call.completed"),
    ],
)
async def test_carrier_outcome_maps_to_status_and_webhooks(
    live_api: httpx.AsyncClient,
    sip_app: Any,
    sipp: Any,
    receiver: Receiver,
    scenario: str,
    keys: dict[str, str],
    status: str,
    sip_code: int,
    end_reason: str,
    last_webhook: str,
) -> None:
    receiver.secret = (await live_api.get("/v1/voice/webhook-secret")).json()["data"]["secret"]
    carrier = uas(sipp, scenario, **keys)
    await carrier_trunk(live_api, carrier.port)
    r = await live_api.post(
        "/v1/voice/calls",
        json={"to": "+14155552671", "from": CALLER_ID, "webhook_url": receiver.url},
    )
    assert r.status_code == 201, r.text
    call_id = r.json()["data"]["id"]
    call = await wait_status(live_api, call_id, status, timeout=10)
    assert call["sip_code"] == sip_code
    assert call["end_reason"] == end_reason
    assert call["sip_call_id"]
    assert await carrier.wait() == 0
    hooks = await _webhooks(sip_app, receiver, call_id)
    assert hooks[0] == "call.initiated"
    assert hooks[-1] == last_webhook
    if scenario != "reject":
        assert "call.ringing" in hooks


async def test_hangup_while_ringing_sends_cancel(live_api: httpx.AsyncClient, sipp: Any) -> None:
    carrier = uas(sipp, "no_answer")
    await carrier_trunk(live_api, carrier.port)
    r = await live_api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID})
    call_id = r.json()["data"]["id"]
    await wait_status(live_api, call_id, "ringing")
    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    call = await wait_status(live_api, call_id, "cancelled")
    assert call["sip_code"] == 487
    assert await carrier.wait() == 0  # sipp got the CANCEL it waits for


async def test_trunk_codec_order_and_digest_auth_are_used(
    live_api: httpx.AsyncClient, sipp: Any
) -> None:
    carrier = uas(sipp, "auth_answer")
    await carrier_trunk(
        live_api,
        carrier.port,
        codecs=["PCMA", "PCMU"],
        auth_username="orbit",
        auth_password="s3cret-pass",
    )
    r = await live_api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID})
    call_id = r.json()["data"]["id"]
    await wait_status(live_api, call_id, "in_progress")
    await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert await carrier.wait() == 0  # the scenario checks the digest and the codec order
