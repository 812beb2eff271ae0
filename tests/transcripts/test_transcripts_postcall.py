"""After hangup: the post-call transcript (per channel of the recording), its webhook, and
the call's intelligence, all from real speech."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from helpers import create_call, create_number
from orbit_voice.kit.clock import FakeClock
from receiver import Receiver
from speech_helpers import _stop_sse_watcher, connected_call, run_jobs, say_and_wait, wer

__all__ = ["_stop_sse_watcher"]

ANGRY = "I am very angry. This is terrible and I hate this service."
RESOLUTION = "I apologize. I will email you the confirmation today."
THANKFUL = "Thank you so much, that is wonderful. I really appreciate your help."


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


async def test_recorded_call_gets_a_per_speaker_transcript_webhook_and_intelligence(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, receiver: Receiver
) -> None:
    receiver.secret = (await api.get("/v1/voice/webhook-secret")).json()["data"]["secret"]
    call = await connected_call(api, clock, record=True, webhook_url=receiver.url)
    call_id = call["id"]
    r = await api.get(f"/v1/voice/calls/{call_id}/transcript")
    assert r.status_code == 409
    assert r.json()["error"]["details"]["status"] == "call_in_progress"
    await say_and_wait(api, clock, call_id, "caller", ANGRY)
    await say_and_wait(api, clock, call_id, "agent", RESOLUTION)
    await say_and_wait(api, clock, call_id, "caller", THANKFUL)
    await api.post(f"/v1/voice/calls/{call_id}/hangup")

    r = await api.get(f"/v1/voice/calls/{call_id}/transcript")
    assert r.status_code == 409
    assert r.json()["error"] == {
        "code": "transcript_not_ready",
        "message": r.json()["error"]["message"],
        "param": None,
        "details": {"status": "queued"},
    }
    r = await api.get(f"/v1/voice/calls/{call_id}/intelligence")
    assert r.status_code == 409 and r.json()["error"]["code"] == "intelligence_not_ready"

    assert await run_jobs(app) == 1
    r = await api.get(f"/v1/voice/calls/{call_id}/transcript")
    assert r.status_code == 200, r.text
    transcript = r.json()["data"]
    assert transcript["id"].startswith("tr_")
    assert (transcript["status"], transcript["origin"], transcript["source"]) == (
        "completed",
        "recording",
        "call",
    )
    segments = transcript["segments"]
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts)  # the two channels merged by time
    by_speaker: dict[str, str] = {}
    for seg in segments:
        by_speaker[seg["speaker"]] = by_speaker.get(seg["speaker"], "") + " " + seg["text"]
    assert set(by_speaker) == {"caller", "agent"}
    assert wer(ANGRY + " " + THANKFUL, by_speaker["caller"]) <= 0.35, by_speaker["caller"]
    assert wer(RESOLUTION, by_speaker["agent"]) <= 0.35, by_speaker["agent"]
    assert transcript["text"].startswith("Caller: ")

    intelligence = (await api.get(f"/v1/voice/calls/{call_id}/intelligence")).json()["data"]
    assert intelligence["call_id"] == call_id
    assert intelligence["sentiment"]["trajectory"] == "improved"
    assert intelligence["sentiment"]["overall"] == "negative_to_positive"
    types = [m["type"] for m in intelligence["key_moments"]]
    assert "frustration_peak" in types and "satisfaction_signal" in types
    assert "resolution_offered" in types
    assert any("email" in item.lower() for item in intelligence["action_items"]), (
        intelligence,
        transcript,
    )
    assert 1 <= intelligence["customer_effort_score"] <= 5
    assert intelligence["language"] == "en-US"
    assert intelligence["processed_at"] == "2026-03-08T12:00:" + intelligence["processed_at"][-3:]

    while await app.state.deliverer.deliver_due():
        pass
    ready = [r.payload for r in receiver.requests if r.payload["type"] == "transcript.ready"]
    assert len(ready) == 1 and all(r.valid_signature for r in receiver.requests)
    assert ready[0]["data"]["transcript"]["id"] == transcript["id"]
    assert ready[0]["data"]["call"]["id"] == call_id
    call_types = [r.payload["type"] for r in receiver.requests]
    assert call_types.index("transcript.ready") > call_types.index("call.completed")


async def test_unrecorded_call_transcript_comes_from_the_live_utterances(
    api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    call = await connected_call(api, clock)
    await say_and_wait(api, clock, call["id"], "caller", "I would like to check my order status.")
    await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    await run_jobs(app)
    transcript = (await api.get(f"/v1/voice/calls/{call['id']}/transcript")).json()["data"]
    assert transcript["origin"] == "live"
    assert [s["speaker"] for s in transcript["segments"]] == ["caller"]
    assert transcript["segments"][0]["start"] == 0.0  # said right at the answer


async def test_unanswered_call_has_no_transcript(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    call = await create_call(api, "+15005550001")  # busy
    await clock.advance(3)
    r = await api.get(f"/v1/voice/calls/{call['id']}/transcript")
    assert r.status_code == 404 and r.json()["error"]["code"] == "transcript_not_found"
    r = await other_api.get(f"/v1/voice/calls/{call['id']}/transcript")
    assert r.status_code == 404 and r.json()["error"]["code"] == "call_not_found"
