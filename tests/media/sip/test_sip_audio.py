"""Real audio through the engine, measured: test phones play known tones and record what they
hear, recordings are decoded and each tone looked for with a Goertzel filter."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from sip_support import (
    ABSENT,
    CALLER_ID,
    PRESENT,
    carrier_trunk,
    decode_mp3,
    live_api,
    needs_sipp,
    phones,
    read_wav,
    sip_app,
    tone_amplitude,
    until,
    wait_status,
    write_tone,
)

__all__ = ["live_api", "phones", "sip_app"]  # fixtures

pytestmark = needs_sipp


async def _dial(api: httpx.AsyncClient, phone: Any, **extra: Any) -> str:
    r = await api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID, **extra})
    assert r.status_code == 201, r.text
    call_id = str(r.json()["data"]["id"])
    await wait_status(api, call_id, "in_progress")
    await phone.wait_event(event="state", state="CONFIRMED")
    return call_id


async def test_dual_channel_recording_mute_and_dtmf_out(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    far_end = phones(440)
    await carrier_trunk(live_api, far_end.port)
    loop = asyncio.get_running_loop()
    call_id = await _dial(live_api, far_end, record=True)
    started = loop.time()
    backend = sip_app.state.runtime.media.get("sip")
    # Our side of the call (the operator: an app, an AI agent) speaks a 1 kHz tone.
    await backend.play_audio(call_id, write_tone(tmp_path / "operator.wav", 1000), loop=True)

    r = await live_api.post(f"/v1/voice/calls/{call_id}/dtmf", json={"digits": "159"})
    assert r.status_code == 200, r.text

    async def digits() -> list[str] | None:
        got = [e["digit"] for e in far_end.events if e.get("event") == "dtmf"]
        return got if len(got) >= 3 else None

    assert await until(digits, timeout=5) == ["1", "5", "9"]  # RFC 4733, 100 ms on / off
    await asyncio.sleep(max(0.0, 1.5 - (loop.time() - started)))
    assert (await live_api.post(f"/v1/voice/calls/{call_id}/mute")).status_code == 200
    muted_at = loop.time() - started
    await asyncio.sleep(1.5)
    talked = loop.time() - started
    assert (await live_api.post(f"/v1/voice/calls/{call_id}/hangup")).status_code == 200
    await wait_status(live_api, call_id, "completed")

    rec = (await live_api.get(f"/v1/voice/calls/{call_id}/recording")).json()["data"]
    assert (rec["status"], rec["format"], rec["channels"]) == ("completed", "mp3", 2)
    assert abs(rec["duration_seconds"] - talked) < 0.5, (rec["duration_seconds"], talked)
    audio = await live_api.get(rec["signed_url"])
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/mpeg"
    assert len(audio.content) == rec["size_bytes"]
    (left, right), rate = decode_mp3(audio.content, 2)
    cut = int(rate * (muted_at - 0.2))
    after = int(rate * (muted_at + 0.3))
    # Left: the far end (440 Hz) throughout, even while we are muted.
    assert tone_amplitude(left[:cut], rate, 440) > PRESENT
    assert tone_amplitude(left[after:], rate, 440) > PRESENT
    assert tone_amplitude(left, rate, 1000) < ABSENT
    # Right: our side (1 kHz) until the mute, then silence.
    assert tone_amplitude(right[rate // 2 : cut], rate, 1000) > PRESENT
    assert tone_amplitude(right[after:], rate, 1000) < ABSENT
    assert tone_amplitude(right, rate, 440) < ABSENT

    (heard,), heard_rate = read_wav(await far_end.quit())
    assert tone_amplitude(heard, heard_rate, 1000) > PRESENT / 2  # our audio reached the phone
    assert tone_amplitude(heard, heard_rate, 440) < ABSENT  # and no echo of its own voice


async def test_three_party_conference_hears_everyone_but_the_muted(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any
) -> None:
    tones = {"a": 500, "b": 700, "c": 1100}
    members = {name: phones(freq) for name, freq in tones.items()}
    await carrier_trunk(live_api, members["a"].port)
    backend = sip_app.state.runtime.media.get("sip")
    legs = {}
    for name, phone in members.items():
        # Each participant is reached through its own trunk URI (the phone's port).
        trunk = (await live_api.get("/v1/voice/sip-trunks")).json()["data"][0]
        r = await live_api.put(
            f"/v1/voice/sip-trunks/{trunk['id']}", json={"termination_uri": phone.uri}
        )
        assert r.status_code == 200, r.text
        legs[name] = await _dial(live_api, phone)
    for name, leg in legs.items():
        await backend.conference_join("conf_test", leg, muted=(name == "c"))
    await asyncio.sleep(2.0)
    for leg in legs.values():
        await live_api.post(f"/v1/voice/calls/{leg}/hangup")
    heard = {}
    for name, phone in members.items():
        (samples,), rate = read_wav(await phone.quit())
        heard[name] = {other: tone_amplitude(samples, rate, f) for other, f in tones.items()}
    assert heard["a"]["b"] > PRESENT and heard["a"]["c"] < ABSENT
    assert heard["b"]["a"] > PRESENT and heard["b"]["c"] < ABSENT
    assert heard["c"]["a"] > PRESENT and heard["c"]["b"] > PRESENT  # muted still hears


async def test_listen_mode_supervisor_hears_both_and_nobody_hears_the_supervisor(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    customer, supervisor = phones(440), phones(1300)
    await carrier_trunk(live_api, customer.port)
    backend = sip_app.state.runtime.media.get("sip")
    call_leg = await _dial(live_api, customer)
    await backend.play_audio(call_leg, write_tone(tmp_path / "agent.wav", 1000), loop=True)
    trunk = (await live_api.get("/v1/voice/sip-trunks")).json()["data"][0]
    await live_api.put(
        f"/v1/voice/sip-trunks/{trunk['id']}", json={"termination_uri": supervisor.uri}
    )
    sup_leg = await _dial(live_api, supervisor)
    await backend.monitor(call_leg, None, sup_leg, "listen")
    await asyncio.sleep(2.0)
    for leg in (call_leg, sup_leg):
        await live_api.post(f"/v1/voice/calls/{leg}/hangup")
    (cust,), rate = read_wav(await customer.quit())
    (sup,), _ = read_wav(await supervisor.quit())
    assert tone_amplitude(sup, rate, 440) > PRESENT  # the customer
    assert tone_amplitude(sup, rate, 1000) > PRESENT  # the agent (our side of the call)
    assert tone_amplitude(cust, rate, 1000) > PRESENT
    assert tone_amplitude(cust, rate, 1300) < ABSENT  # nobody hears the supervisor
