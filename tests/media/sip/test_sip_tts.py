"""Prompts on a live call in a voice clone's voice: an IVR with ``tts_voice_id`` greets a real
phone, and the pitch of what the phone heard is the clone's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from clones.test_clones_api import TEXT, espeak, upload
from orbit_voice.clones.audio import analyse, decode
from sip_support import (
    CALLER_ID,
    carrier_trunk,
    live_api,
    needs_sipp,
    phones,
    sip_app,
    wait_status,
)

__all__ = ["live_api", "phones", "sip_app"]  # fixtures

pytestmark = needs_sipp

GREETING = "Thank you for calling. For billing, press one. For support, press two."


async def greeted(api: httpx.AsyncClient, phones: Any, **ivr: Any) -> float:
    """The pitch (Hz) of the greeting a phone hears from an IVR created with ``ivr``."""
    phone = phones(0)  # says nothing, records what it hears
    body = {
        "name": "Main",
        "greeting": GREETING,
        "menu": {"options": [{"key": "1", "action": "hangup"}]},
        "timeout_seconds": 20,
        **ivr,
    }
    r = await api.post("/v1/voice/ivr", json=body)
    assert r.status_code == 201, r.text
    call = {"to": "+14155552671", "from": CALLER_ID, "ivr_id": r.json()["data"]["id"]}
    trunks = (await api.get("/v1/voice/sip-trunks")).json()["data"]
    r = await api.put(
        f"/v1/voice/sip-trunks/{trunks[0]['id']}", json={"termination_uri": phone.uri}
    )
    assert r.status_code == 200, r.text
    r = await api.post("/v1/voice/calls", json=call)
    assert r.status_code == 201, r.text
    call_id = r.json()["data"]["id"]
    await wait_status(api, call_id, "in_progress")
    await asyncio.sleep(6)  # the greeting is about 4 s
    await api.post(f"/v1/voice/calls/{call_id}/hangup")
    measured = analyse(decode(await phone.quit())).pitch_hz
    assert measured is not None
    return measured


async def test_an_ivr_greets_a_phone_in_its_clones_voice(
    live_api: httpx.AsyncClient, phones: Any, tmp_path: Path
) -> None:
    await carrier_trunk(live_api, 5999)
    sample = espeak(tmp_path / "sample.wav", TEXT * 3, "-v", "en-us+f3", "-p", "70")
    r = await upload(live_api, sample.read_bytes(), name="Ava")
    assert r.status_code == 201, r.text
    clone = r.json()["data"]

    default = await greeted(live_api, phones)
    cloned = await greeted(live_api, phones, tts_voice_id=clone["id"])
    clone_hz = clone["measurements"]["pitch_hz"]
    assert abs(cloned - clone_hz) / clone_hz < 0.2, (cloned, clone_hz)
    assert default < 0.6 * cloned, (default, cloned)
