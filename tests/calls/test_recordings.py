"""Recordings on the simulator hold real, measurable audio."""

from __future__ import annotations

import array
import wave
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from helpers import create_call, create_number, get_call
from orbit_voice.kit.clock import FakeClock


def channel_rms(path: Path) -> list[float]:
    with wave.open(str(path), "rb") as wav:
        channels = wav.getnchannels()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    out = []
    for c in range(channels):
        chan = samples[c::channels]
        out.append((sum(s * s for s in chan) / max(1, len(chan))) ** 0.5)
    return out


async def download(api: httpx.AsyncClient, url: str, tmp_path: Path) -> Path:
    parts = urlsplit(url)
    r = await api.get(parts.path + "?" + parts.query, headers={"X-API-Key": ""})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    path = tmp_path / "download.wav"
    path.write_bytes(r.content)
    return path


async def test_record_true_records_the_whole_call(
    api: httpx.AsyncClient, clock: FakeClock, tmp_path: Path
) -> None:
    await create_number(api)
    call = await create_call(api, record=True)
    await clock.advance(2)
    r = await api.get(f"/v1/voice/calls/{call['id']}/recording")
    rec = r.json()["data"]
    assert (rec["status"], rec["signed_url"]) == ("in_progress", None)
    await clock.advance(12)
    await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    rec = (await api.get(f"/v1/voice/calls/{call['id']}/recording")).json()["data"]
    assert rec["status"] == "completed"
    assert rec["call_id"] == call["id"]
    assert rec["channels"] == 2 and rec["format"] == "wav"
    assert rec["duration_seconds"] == 12
    assert rec["signed_url_expires_at"] == "2026-03-09T12:00:14Z"  # 24 h from now
    path = await download(api, rec["signed_url"], tmp_path)
    assert path.stat().st_size == rec["size_bytes"]
    with wave.open(str(path)) as wav:
        assert wav.getnchannels() == 2
        assert abs(wav.getnframes() / wav.getframerate() - 12) < 0.01
    caller, operator = channel_rms(path)
    assert caller > 1000 and operator > 1000
    detail = await get_call(api, call["id"])
    assert detail["recording"]["id"] == rec["id"]


async def test_start_is_idempotent_and_mute_silences_only_the_operator(
    api: httpx.AsyncClient, clock: FakeClock, tmp_path: Path
) -> None:
    await create_number(api)
    call = await create_call(api)
    await clock.advance(2)
    first = await api.post(f"/v1/voice/calls/{call['id']}/recording/start", json={})
    second = await api.post(f"/v1/voice/calls/{call['id']}/recording/start")
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    await api.post(f"/v1/voice/calls/{call['id']}/mute")
    await clock.advance(10)
    r = await api.post(f"/v1/voice/calls/{call['id']}/recording/stop")
    rec = r.json()["data"]
    path = await download(api, rec["signed_url"], tmp_path)
    caller, operator = channel_rms(path)
    assert caller > 1000  # the far end is still heard and recorded
    assert operator == 0  # the muted operator side is silent
    again = await api.post(f"/v1/voice/calls/{call['id']}/recording/stop")
    assert again.status_code == 409


async def test_mixed_and_trimmed(api: httpx.AsyncClient, clock: FakeClock, tmp_path: Path) -> None:
    await create_number(api)
    call = await create_call(api)
    await clock.advance(2)
    await api.post(
        f"/v1/voice/calls/{call['id']}/recording/start", json={"dual_channel": False, "trim": True}
    )
    await clock.advance(10)
    rec = (await api.post(f"/v1/voice/calls/{call['id']}/recording/stop")).json()["data"]
    assert rec["channels"] == 1
    # One second of silence at each end was trimmed away.
    assert 7.9 <= rec["duration_seconds"] <= 8.1


async def test_recording_needs_a_connected_call(api: httpx.AsyncClient) -> None:
    await create_number(api)
    call = await create_call(api)
    r = await api.post(f"/v1/voice/calls/{call['id']}/recording/start")
    assert r.status_code == 409
    r = await api.get(f"/v1/voice/calls/{call['id']}/recording")
    assert r.status_code == 404


async def test_signed_url_expires_and_rejects_tampering(
    api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await create_number(api)
    call = await create_call(api, record=True)
    await clock.advance(5)
    await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    url = (await api.get(f"/v1/voice/calls/{call['id']}/recording")).json()["data"]["signed_url"]
    parts = urlsplit(url)
    tampered = parts.path + "?" + parts.query.replace("expires=", "expires=9")
    assert (await api.get(tampered)).status_code == 403
    await clock.advance(24 * 3600 + 1)
    r = await api.get(parts.path + "?" + parts.query)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "url_expired"
