"""Media events dated by when the backend saw them (``MediaEvent.at``), as the SIP engine
stamps them: an answer or a hangup waiting in a queue is still dated by when it happened."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from helpers import create_call, create_number, get_call, ts
from orbit_voice.calls.events import CallEventHandler
from orbit_voice.kit.clock import FakeClock
from orbit_voice.media.backend import MediaEvent, MediaEventKind
from orbit_voice.media.sim import NO_ANSWER


async def ringing_call(api: httpx.AsyncClient, clock: FakeClock) -> dict[str, Any]:
    await create_number(api)
    call = await create_call(api, to=NO_ANSWER)  # rings until the test says otherwise
    await clock.advance(1)
    ringing = await get_call(api, call["id"])
    assert ringing["status"] == "ringing"
    return ringing


async def test_answer_and_hangup_are_dated_when_the_backend_saw_them(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    call = await ringing_call(api, clock)
    media = app.state.runtime.media  # events reach the app's handler as a backend's do
    seen = ts(call["created_at"]) + timedelta(seconds=3)
    await clock.advance(9)  # the answer waited its turn

    await media.dispatch(MediaEvent(call["id"], MediaEventKind.ANSWERED, {}, at=seen))
    answered = await get_call(api, call["id"])
    assert answered["status"] == "in_progress"
    assert ts(answered["answered_at"]) == seen
    # How late it took effect is logged and measured.
    assert "media event answered applied 7.0 s after the backend saw it" in caplog.text
    metrics = (await api.get("/metrics")).text
    assert 'orbit_media_event_lag_seconds_bucket{kind="answered",le="5.0"} 0.0' in metrics
    assert 'orbit_media_event_lag_seconds_bucket{kind="answered",le="10.0"} 1.0' in metrics

    hung_up = seen + timedelta(seconds=4)
    await media.dispatch(MediaEvent(call["id"], MediaEventKind.HANGUP, {}, at=hung_up))
    ended = await get_call(api, call["id"])
    assert ended["status"] == "completed" and ended["end_reason"] == "far_end_hangup"
    assert ts(ended["ended_at"]) == hung_up
    assert ended["duration_seconds"] == 4


async def test_a_stamp_ahead_of_the_apps_clock_is_not_taken(
    api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    call = await ringing_call(api, clock)
    later = clock.now() + timedelta(hours=1)  # the backend's clock runs ahead
    await CallEventHandler(app.state.runtime).handle(
        MediaEvent(call["id"], MediaEventKind.NO_ANSWER, {}, at=later)
    )
    ended = await get_call(api, call["id"])
    assert ended["status"] == "no_answer" and ts(ended["ended_at"]) == clock.now()


async def test_an_event_seen_before_the_calls_last_change_is_dated_at_that_change(
    api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    call = await ringing_call(api, clock)
    await clock.advance(5)
    long_ago = ts(call["created_at"]) - timedelta(minutes=1)
    await CallEventHandler(app.state.runtime).handle(
        MediaEvent(call["id"], MediaEventKind.CANCELLED, {}, at=long_ago)
    )
    ended = await get_call(api, call["id"])
    assert ended["status"] == "cancelled"
    assert ts(ended["ended_at"]) == ts(call["updated_at"])  # not before the call rang
