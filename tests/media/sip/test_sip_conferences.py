"""Conferences over real SIP, through the API: participants dialled to test phones, one
muted and one held by the moderation verbs, and the room's recording (an MP3 of the mix)
measured tone by tone."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from sip_support import (
    ABSENT,
    PRESENT,
    carrier_trunk,
    decode_mp3,
    live_api,
    measure,
    needs_sipp,
    phones,
    point_trunk,
    sip_app,
    tone_amplitude,
    tones_heard,
    until,
)
from sip_support import TestPhone as Phone

__all__ = ["live_api", "phones", "sip_app"]  # fixtures

pytestmark = needs_sipp

TONES = {"a": 500, "b": 700, "c": 1100, "d": 1500}  # c is muted, d is put on hold


async def _join(api: httpx.AsyncClient, conf: str, phone: Phone, number: str, muted: bool) -> str:
    await point_trunk(api, phone)
    r = await api.post(
        f"/v1/voice/conferences/{conf}/participants", json={"number": number, "muted": muted}
    )
    assert r.status_code == 201, r.text
    part = str(r.json()["data"]["id"])
    await phone.wait_event(event="state", state="CONFIRMED")

    async def joined() -> bool:
        r = await api.get(f"/v1/voice/conferences/{conf}/participants/{part}")
        return bool(r.json()["data"]["status"] == "joined")

    await until(joined)
    return part


async def _last_media_is_active(phone: Phone, after: int) -> bool:
    media = [e["status"] for e in phone.events if e.get("event") == "media"]
    return len(media) > after and media[-1] == "active"


async def test_recording_of_the_mix_leaves_out_the_muted_and_the_held(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any
) -> None:
    members = {name: phones(freq) for name, freq in TONES.items()}
    await carrier_trunk(live_api, members["a"].port)
    r = await live_api.post("/v1/voice/conferences", json={"name": "Standup"})
    assert r.status_code == 201, r.text
    conf = r.json()["data"]["id"]
    parts = {}
    for i, (name, phone) in enumerate(members.items()):
        parts[name] = await _join(live_api, conf, phone, f"+1415555010{i}", muted=name == "c")
    r = await live_api.post(f"/v1/voice/conferences/{conf}/participants/{parts['d']}/hold")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["on_hold"] is True
    await members["d"].wait_event(event="media", status="remote_hold")  # a=sendonly re-INVITE
    r = await live_api.get(f"/v1/voice/conferences/{conf}")
    assert (r.json()["data"]["status"], r.json()["data"]["participants_count"]) == ("active", 4)

    loop = asyncio.get_running_loop()
    r = await live_api.post(f"/v1/voice/conferences/{conf}/recording/start")
    assert r.status_code == 200, r.text
    started = loop.time()
    heard = await measure(*members.values(), name="room")
    # Unmute c: from here on the mix has c too.
    r = await live_api.post(f"/v1/voice/conferences/{conf}/participants/{parts['c']}/unmute")
    assert r.status_code == 200, r.text
    unmuted_at = loop.time() - started
    await asyncio.sleep(1.5)
    r = await live_api.post(f"/v1/voice/conferences/{conf}/recording/stop")
    assert r.status_code == 200, r.text
    recorded = loop.time() - started

    rec = r.json()["data"]
    assert (rec["status"], rec["format"], rec["channels"]) == ("completed", "mp3", 1)
    assert abs(rec["duration_seconds"] - recorded) < 0.5, (rec["duration_seconds"], recorded)
    r = await live_api.get(f"/v1/voice/conferences/{conf}/recording")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["id"] == rec["id"]
    audio = await live_api.get(r.json()["data"]["signed_url"])
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/mpeg"
    assert len(audio.content) == rec["size_bytes"]

    # Off hold, d is back in the room (a re-INVITE with a=sendrecv).
    d_media = [e["status"] for e in members["d"].events if e.get("event") == "media"]
    r = await live_api.post(f"/v1/voice/conferences/{conf}/participants/{parts['d']}/unhold")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["on_hold"] is False
    await until(lambda: _last_media_is_active(members["d"], after=len(d_media)))
    back = await measure(members["a"], members["d"], name="unheld")

    r = await live_api.post(f"/v1/voice/conferences/{conf}/end")
    assert r.status_code == 200, r.text
    for phone in members.values():
        await phone.wait_event(event="state", state="DISCONNECTED")
        await phone.quit()

    (mix,), rate = decode_mp3(audio.content, 1)
    cut = int(rate * (unmuted_at - 0.2))
    after = int(rate * (unmuted_at + 0.4))
    before_unmute, after_unmute = mix[rate // 2 : cut], mix[after:]
    for part in (before_unmute, after_unmute):
        assert tone_amplitude(part, rate, TONES["a"]) > PRESENT / 2
        assert tone_amplitude(part, rate, TONES["b"]) > PRESENT / 2
        assert tone_amplitude(part, rate, TONES["d"]) < ABSENT  # held: not in the mix
    assert tone_amplitude(before_unmute, rate, TONES["c"]) < ABSENT  # muted
    assert tone_amplitude(after_unmute, rate, TONES["c"]) > PRESENT / 2

    # What each phone heard while c was muted and d held.
    room = {
        name: tones_heard(path, *TONES.values()) for name, path in zip(TONES, heard, strict=True)
    }
    a, b, c, d = (room[name] for name in "abcd")
    assert a[TONES["b"]] > PRESENT and b[TONES["a"]] > PRESENT, (a, b)
    assert c[TONES["a"]] > PRESENT and c[TONES["b"]] > PRESENT, c  # muted still hears
    for name, freq in (("c", TONES["c"]), ("d", TONES["d"])):
        assert a[freq] < ABSENT and b[freq] < ABSENT, (name, a, b)  # muted / held: not heard
    assert all(d[TONES[n]] < ABSENT for n in "abc"), d  # held: hears nobody
    a, d = (tones_heard(path, *TONES.values()) for path in back)
    assert a[TONES["d"]] > PRESENT, a
    assert all(d[TONES[n]] > PRESENT / 2 for n in "abc"), d
