"""Conference events at a real signed-webhook receiver, and the room's mixed recording."""

from __future__ import annotations

import array
import io
import wave
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from conference_helpers import add, create_conference, joined, verb

from helpers import create_number
from orbit_voice.kit.clock import FakeClock
from receiver import Receiver

A, B = "+14155550101", "+14155550102"
CONFERENCE_EVENTS = ("conference.", "participant.")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


async def deliver_all(app: Any) -> None:
    while await app.state.deliverer.deliver_due():
        pass


def conference_events(receiver: Receiver) -> list[dict[str, Any]]:
    return [
        r.payload
        for r in receiver.requests
        if r.status == 200 and r.payload["type"].startswith(CONFERENCE_EVENTS)
    ]


async def test_lifecycle_webhooks_arrive_signed_and_in_order(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.secret = (await api.get("/v1/voice/webhook-secret")).json()["data"]["secret"]
    await create_number(api)
    cid = (await create_conference(api, webhook_url=receiver.url, record=True))["id"]
    a, b = await joined(api, clock, cid, A, B)
    await clock.advance(10)
    await api.delete(f"/v1/voice/conferences/{cid}/participants/{a['id']}")
    await clock.advance(5)
    await verb(api, f"{cid}/end")
    await deliver_all(app)

    events = conference_events(receiver)
    assert [e["type"] for e in events] == [
        "conference.started",
        "participant.joined",
        "participant.joined",
        "participant.left",
        "participant.left",
        "conference.recording.completed",
        "conference.ended",
    ]
    assert all(r.valid_signature for r in receiver.requests)
    assert {e["data"]["conference"]["id"] for e in events} == {cid}
    started, joined_a, joined_b, left_a, left_b, recorded, ended = events
    assert started["data"]["conference"]["status"] == "active"
    assert {joined_a["data"]["participant"]["id"], joined_b["data"]["participant"]["id"]} == {
        a["id"],
        b["id"],
    }
    assert left_a["data"]["participant"]["id"] == a["id"]
    assert left_a["data"]["reason"] == "removed"
    assert left_b["data"]["participant"]["id"] == b["id"]
    assert left_b["data"]["reason"] == "conference_ended"
    recording = recorded["data"]["recording"]
    assert recording["status"] == "completed" and recording["format"] == "wav"
    assert recording["duration_seconds"] == pytest.approx(15.0, abs=0.2)
    assert ended["data"]["conference"]["status"] == "ended"
    assert ended["data"]["conference"]["participants_count"] == 0
    # The participants' own call legs report to the conference's URL too.
    leg_types = [
        r.payload["type"]
        for r in receiver.requests
        if r.payload["type"].startswith("call.") and r.payload["data"]["call"]["id"] == a["call_id"]
    ]
    assert leg_types == ["call.initiated", "call.ringing", "call.answered", "call.completed"]


async def test_no_participant_joined_means_no_started_event(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.secret = (await api.get("/v1/voice/webhook-secret")).json()["data"]["secret"]
    cid = (await create_conference(api, webhook_url=receiver.url))["id"]
    await verb(api, f"{cid}/end")
    await deliver_all(app)
    assert [e["type"] for e in conference_events(receiver)] == ["conference.ended"]


async def test_recording_start_stop_and_signed_audio(
    api: httpx.AsyncClient, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    cid = (await create_conference(api))["id"]
    r = await api.post(f"/v1/voice/conferences/{cid}/recording/start")
    assert r.status_code == 409 and r.json()["error"]["code"] == "conference_not_active"
    r = await api.get(f"/v1/voice/conferences/{cid}/recording")
    assert r.status_code == 404 and r.json()["error"]["code"] == "recording_not_found"
    await joined(api, clock, cid, A, B)

    r = await api.post(f"/v1/voice/conferences/{cid}/recording/start")
    assert r.status_code == 200, r.text
    started = r.json()["data"]
    assert started["id"].startswith("rec_") and started["status"] == "in_progress"
    assert started["signed_url"] is None
    r = await api.post(f"/v1/voice/conferences/{cid}/recording/start")
    assert r.json()["data"]["id"] == started["id"]  # idempotent
    await clock.advance(12)
    r = await api.post(f"/v1/voice/conferences/{cid}/recording/stop")
    assert r.status_code == 200
    done = r.json()["data"]
    assert (done["id"], done["status"], done["channels"], done["format"]) == (
        started["id"],
        "completed",
        1,
        "wav",
    )
    assert done["duration_seconds"] == pytest.approx(12.0, abs=0.2)
    r = await api.post(f"/v1/voice/conferences/{cid}/recording/stop")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_recording"

    r = await api.get(f"/v1/voice/conferences/{cid}/recording")
    url = r.json()["data"]["signed_url"]
    assert url.startswith("http://test/v1/voice/conference-recordings/")
    parts = urlsplit(url)
    audio = await client.get(f"{parts.path}?{parts.query}")  # no API key: the URL is the key
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.content)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (1, 8000)
        assert wav.getnframes() / 8000 == pytest.approx(12.0, abs=0.2)
        samples = array.array("h", wav.readframes(wav.getnframes()))
    middle = samples[len(samples) // 3 : 2 * len(samples) // 3]
    assert max(abs(s) for s in middle) > 1000  # the room is audible, not silence

    tampered = url.replace("signature=", "signature=x")
    t = urlsplit(tampered)
    r = await client.get(f"{t.path}?{t.query}")
    assert r.status_code == 403 and r.json()["error"]["code"] == "invalid_signature"
    await clock.advance(24 * 3600 + 1)
    r = await client.get(f"{parts.path}?{parts.query}")
    assert r.status_code == 403 and r.json()["error"]["code"] == "url_expired"


async def test_record_true_starts_when_the_first_participant_joins(
    api: httpx.AsyncClient, clock: FakeClock, settings: Any
) -> None:
    await create_number(api)
    cid = (await create_conference(api, record=True))["id"]
    await add(api, cid, A)
    r = await api.get(f"/v1/voice/conferences/{cid}/recording")
    assert r.status_code == 404  # nobody in the room yet, nothing to record
    await clock.advance(2)
    r = await api.get(f"/v1/voice/conferences/{cid}/recording")
    assert r.json()["data"]["status"] == "in_progress"
    assert r.json()["data"]["created_at"] == "2026-03-08T12:00:02Z"
    await clock.advance(8)
    await verb(api, f"{cid}/end")
    r = await api.get(f"/v1/voice/conferences/{cid}/recording")
    rec = r.json()["data"]
    assert rec["status"] == "completed"
    assert rec["duration_seconds"] == pytest.approx(8.0, abs=0.2)
    files = list((settings.data_dir / "recordings").rglob("*.wav"))
    assert [f.stem for f in files] == [rec["id"]]
    # Deleting the ended conference deletes its recordings too.
    r = await api.delete(f"/v1/voice/conferences/{cid}")
    assert r.status_code == 204
    assert not list((settings.data_dir / "recordings").rglob("*.wav"))
