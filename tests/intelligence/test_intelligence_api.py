"""Call intelligence through the API: per call, re-run with org settings, lists and trends."""

from __future__ import annotations

from typing import Any

import httpx

from helpers import create_agent
from orbit_voice.kit.clock import FakeClock
from speech_helpers import _stop_sse_watcher, connected_call, run_jobs, say_and_wait

__all__ = ["_stop_sse_watcher"]


async def analysed_call(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, lines: list[tuple[str, str]], **extra: Any
) -> str:
    call = await connected_call(api, clock, **extra)
    for speaker, text in lines:
        await say_and_wait(api, clock, call["id"], speaker, text)
    await api.post(f"/v1/voice/calls/{call['id']}/hangup")
    await run_jobs(app)
    return str(call["id"])


async def test_settings_lists_and_trends(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    defaults = (await api.get("/v1/voice/intelligence/settings")).json()["data"]
    assert defaults["is_default"] and "billing_dispute" in defaults["intents"]

    agent = await create_agent(api, "Jane")
    happy = await analysed_call(
        api,
        app,
        clock,
        [
            ("caller", "I am very angry. This is terrible and I hate this service."),
            ("agent", "I will send you a confirmation email today."),
            ("caller", "Thank you so much, that is wonderful. I really appreciate your help."),
        ],
        agent_id=agent,
    )
    await clock.advance(3600)
    plain = await analysed_call(
        api, app, clock, [("caller", "My internet connection keeps dropping every evening.")]
    )

    record = (await api.get(f"/v1/voice/calls/{plain}/intelligence")).json()["data"]
    assert {"ts": 0, "type": "intent_detected", "label": "technical_support"} in record[
        "key_moments"
    ]
    assert record["sentiment"]["trajectory"] == "stable"
    assert record["sentiment"]["agent_score"] is None  # the agent said nothing

    # The org's own intents and compliance phrases, applied by re-running the analysis.
    r = await api.put(
        "/v1/voice/intelligence/settings",
        json={
            "intents": {"confirmation_request": ["confirmation email"]},
            "required_phrases": ["thank you for calling"],
            "forbidden_phrases": ["today"],
        },
    )
    assert r.status_code == 200 and r.json()["data"]["is_default"] is False
    r = await api.post(f"/v1/voice/calls/{happy}/sentiment")
    assert r.status_code == 200, r.text
    rerun = r.json()["data"]
    assert [m["label"] for m in rerun["key_moments"] if m["type"] == "intent_detected"] == [
        "confirmation_request"
    ]
    flags = rerun["agent_compliance_flags"]
    assert {"type": "missing_required_phrase", "phrase": "thank you for calling"} in flags
    assert any(f["type"] == "forbidden_phrase" and f["phrase"] == "today" for f in flags)
    bad = await api.put("/v1/voice/intelligence/settings", json={"intents": {"Bad Label": ["x"]}})
    assert bad.status_code == 422 and bad.json()["error"]["param"] == "intents"

    listed = (await api.get("/v1/voice/intelligence/calls")).json()
    assert [i["call_id"] for i in listed["data"]] == [plain, happy]  # newest call first
    positive = await api.get("/v1/voice/intelligence/calls", params={"sentiment": "positive"})
    assert [i["call_id"] for i in positive.json()["data"]] == [happy]
    by_agent = await api.get("/v1/voice/intelligence/calls", params={"agent_id": agent})
    assert [i["call_id"] for i in by_agent.json()["data"]] == [happy]
    effort = happy_effort = rerun["customer_effort_score"]
    hard = await api.get("/v1/voice/intelligence/calls", params={"min_effort": effort})
    assert happy in [i["call_id"] for i in hard.json()["data"]]
    easy = await api.get("/v1/voice/intelligence/calls", params={"max_effort": 1.0})
    assert happy not in [i["call_id"] for i in easy.json()["data"]] or happy_effort == 1.0
    window = await api.get("/v1/voice/intelligence/calls", params={"from": "2026-03-08T12:30:00Z"})
    assert [i["call_id"] for i in window.json()["data"]] == [plain]
    assert (await other_api.get("/v1/voice/intelligence/calls")).json()["data"] == []
    assert (await other_api.get(f"/v1/voice/calls/{happy}/intelligence")).status_code == 404

    trends = (await api.get("/v1/voice/intelligence/trends")).json()["data"]
    assert len(trends) == 31  # 30 days back from now, one bucket a day
    today = trends[-1]
    assert today["bucket_start"] == "2026-03-08T00:00:00Z"
    assert today["calls"] == 2 and today["improved"] == 1 and today["positive"] == 1
    assert all(t["calls"] == 0 for t in trends[:-1])
    hourly = (
        await api.get(
            "/v1/voice/intelligence/trends",
            params={"from": "2026-03-08T12:00:00Z", "to": "2026-03-08T13:59:00Z", "bucket": "hour"},
        )
    ).json()["data"]
    assert [(t["bucket_start"][11:16], t["calls"]) for t in hourly] == [("12:00", 1), ("13:00", 1)]
    r = await api.get("/v1/voice/intelligence/trends", params={"bucket": "month"})
    assert r.status_code == 422 and r.json()["error"]["param"] == "bucket"


async def test_sentiment_rerun_needs_a_transcript(api: httpx.AsyncClient, clock: FakeClock) -> None:
    call = await connected_call(api, clock)
    r = await api.post(f"/v1/voice/calls/{call['id']}/sentiment")
    assert r.status_code == 409 and r.json()["error"]["code"] == "transcript_not_ready"
