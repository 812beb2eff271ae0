"""Speech said on a simulated call is heard live: VAD cuts it, Whisper reads it, SSE sends it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from orbit_voice.kit.clock import FakeClock
from speech_helpers import _stop_sse_watcher, connected_call, say_and_wait, sse_events, wer

__all__ = ["_stop_sse_watcher"]

# tiny.en on 8 kHz espeak-ng speech: see bench/stt_accuracy.py for the measured WER.
SENTENCE = "My internet connection keeps dropping every evening."
WER_BOUND = 0.35


async def test_live_transcript_streams_each_utterance_and_closes_at_hangup(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    call = await connected_call(api, clock)
    url = f"/v1/voice/calls/{call['id']}/transcript/stream"
    # Two subscribers; the ASGI transport hands each body over once the stream closes.
    first = asyncio.create_task(api.get(url))
    second = asyncio.create_task(api.get(url))
    await asyncio.sleep(0.05)
    await say_and_wait(api, clock, call["id"], "caller", SENTENCE)
    await say_and_wait(api, clock, call["id"], "agent", "Thank you so much for your help today.")
    r = await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    assert r.status_code == 200
    responses = await asyncio.wait_for(asyncio.gather(first, second), 30)
    for response in responses:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.text)
        assert [e["speaker"] for e in events] == ["caller", "agent"]
        assert [e["id"] for e in events] == ["1", "2"]
        assert wer(SENTENCE, events[0]["text"]) <= WER_BOUND, events[0]["text"]
        assert "thank you" in events[1]["text"].lower()
        assert events[0]["ts"] == "2026-03-08T12:00:02Z"  # when the caller began to speak
        assert set(events[0]) == {"id", "speaker", "text", "ts"}


async def test_last_event_id_resumes_and_an_ended_stream_answers_204(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    call = await connected_call(api, clock)
    await say_and_wait(api, clock, call["id"], "caller", "Hello, I need some help with my bill.")
    await say_and_wait(api, clock, call["id"], "agent", "Of course, I can help with that.")
    await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    url = f"/v1/voice/calls/{call['id']}/transcript/stream"
    everything = sse_events((await api.get(url)).text)
    assert len(everything) == 2
    resumed = await api.get(url, headers={"Last-Event-ID": "1"})
    assert [e["id"] for e in sse_events(resumed.text)] == ["2"]
    done = await api.get(url, headers={"Last-Event-ID": "2"})
    assert done.status_code == 204  # EventSource stops reconnecting
    bad = await api.get(url, headers={"Last-Event-ID": "abc"})
    assert bad.status_code == 422 and bad.json()["error"]["param"] == "Last-Event-ID"


async def test_muted_agent_is_not_heard(api: httpx.AsyncClient, clock: FakeClock) -> None:
    call = await connected_call(api, clock)
    await api.post(f"/v1/voice/calls/{call['id']}/mute")
    await say_and_wait(api, clock, call["id"], "agent", "This should not be heard by anyone.")
    await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    r = await api.get(f"/v1/voice/calls/{call['id']}/transcript/stream")
    assert r.status_code == 204


async def test_simulator_speech_needs_a_test_key_and_a_connected_call(
    api: httpx.AsyncClient, clock: FakeClock, make_key: Any, client: httpx.AsyncClient
) -> None:
    call = await connected_call(api, clock)
    live = await make_key("acme", test=False)
    r = await client.post(
        f"/v1/voice/simulator/calls/{call['id']}/speech",
        json={"speaker": "caller", "text": "hi"},
        headers={"X-API-Key": live},
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "test_key_required"
    r = await api.post(
        f"/v1/voice/simulator/calls/{call['id']}/speech", json={"speaker": "boss", "text": "hi"}
    )
    assert r.status_code == 422 and r.json()["error"]["param"] == "speaker"
    await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    r = await api.post(
        f"/v1/voice/simulator/calls/{call['id']}/speech", json={"speaker": "caller", "text": "hi"}
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "call_not_active"


async def test_another_orgs_stream_is_404(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: FakeClock
) -> None:
    call = await connected_call(api, clock)
    r = await other_api.get(f"/v1/voice/calls/{call['id']}/transcript/stream")
    assert r.status_code == 404
