"""Helpers for the speech tests: talk on simulated calls, read SSE, word error rate."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from helpers import CALLER_ID, create_call
from orbit_voice.kit.clock import FakeClock


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance over the reference's length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))


async def connected_call(api: httpx.AsyncClient, clock: FakeClock, **extra: Any) -> dict[str, Any]:
    r = await api.post("/v1/voice/numbers", json={"number": CALLER_ID})
    assert r.status_code in (201, 409), r.text  # 409: registered by an earlier call
    call = await create_call(api, **extra)
    await clock.advance(2)
    return call


async def say(api: httpx.AsyncClient, call_id: str, speaker: str, text: str) -> dict[str, Any]:
    r = await api.post(
        f"/v1/voice/simulator/calls/{call_id}/speech", json={"speaker": speaker, "text": text}
    )
    assert r.status_code == 202, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def say_and_wait(
    api: httpx.AsyncClient, clock: FakeClock, call_id: str, speaker: str, text: str
) -> dict[str, Any]:
    """Speak, then let the clock run past the end of the speech and the VAD's silence."""
    spoken = await say(api, call_id, speaker, text)
    await clock.advance(spoken["duration_seconds"] + 1.5)
    # The live path recognises in real time, off the fake clock: wait for it.
    await app_of(api).state.speech.hub.wait_idle()
    return spoken


def sse_events(body: str) -> list[dict[str, Any]]:
    events = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].strip() for line in block.split("\n") if line.startswith("data:")]
        ids = [line[3:].strip() for line in block.split("\n") if line.startswith("id:")]
        if data:
            events.append({"id": ids[0] if ids else None, **json.loads("\n".join(data))})
    return events


def app_of(api: httpx.AsyncClient) -> Any:
    """The app behind a test client (its ASGI transport)."""
    return api._transport.app  # type: ignore[attr-defined]


async def run_jobs(app: Any) -> int:
    await app.state.speech.hub.wait_idle()  # the live utterances of ended calls are stored
    total = 0
    while ran := await app.state.speech.worker.run_due():
        total += ran
    return total


@pytest.fixture(autouse=True)
async def _stop_sse_watcher() -> AsyncIterator[None]:
    """sse-starlette starts one shutdown watcher per event loop; each test has its own loop,
    so stop the watcher with the test instead of leaving it pending at loop close."""
    yield
    from sse_starlette import sse

    for task in asyncio.all_tasks():
        if getattr(task.get_coro(), "__name__", "") == "_shutdown_watcher":
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    sse._get_shutdown_state().watcher_started = False
