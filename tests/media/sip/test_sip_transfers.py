"""Blind and warm transfers over real SIP, driven through the HTTP API: test phones play known
tones and record what they hear, one file per phase of the call, and each tone is looked
for with a Goertzel filter."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from sip_support import (
    ABSENT,
    PRESENT,
    SETTLE,
    call_events,
    call_phone,
    carrier_trunk,
    live_api,
    measure,
    needs_sipp,
    phones,
    point_trunk,
    read_wav,
    rms,
    sip_app,
    tones_heard,
    until,
    wait_call_event,
    wait_status,
    write_tone,
)
from sip_support import TestPhone as Phone

__all__ = ["live_api", "phones", "sip_app"]  # fixtures

pytestmark = needs_sipp

A, B, C, AGENT = 440, 700, 1100, 1000  # Hz: each phone's tone, and our side's (the agent)
SILENT, SPEECH = 50.0, 300.0  # RMS of what a phone hears: nothing at all, someone talking
WHISPER = "Customer Jane Doe, escalation tier two."


async def _call(api: httpx.AsyncClient, app: Any, phone: Phone, tmp: Path) -> str:
    """A call answered by ``phone``; our side of it (the agent) speaks a 1 kHz tone."""
    return await call_phone(api, app, phone, write_tone(tmp / "agent.wav", AGENT))


async def test_blind_transfer_bridges_the_caller_and_hangs_up_the_old_leg(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    a, b, c = phones(A), phones(B), phones(C)
    await carrier_trunk(live_api, a.port)
    call_id = await _call(live_api, sip_app, a, tmp_path)
    (a_agent,) = await measure(a, name="agent")

    # Transfer to B: a new leg, bridged to the caller once it answers; the agent is dropped.
    await point_trunk(live_api, b)
    r = await live_api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": "+14155550100"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "in_progress"
    started = await wait_call_event(live_api, call_id, "call.transfer.started")
    leg_b = started["data"]["transfer_call_id"]
    await wait_call_event(live_api, call_id, "call.transferred")
    await b.wait_event(event="state", state="CONFIRMED")
    b_call = await wait_status(live_api, leg_b, "in_progress")
    assert (b_call["parent_call_id"], b_call["leg_role"], b_call["to"]) == (
        call_id,
        "transfer",
        "+14155550100",
    )
    a_b, b_a = await measure(a, b, name="with-b")

    # Transfer again, to C: once C answers, B (now the caller's other side) is hung up.
    await point_trunk(live_api, c)
    r = await live_api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": "+14155550200"})
    assert r.status_code == 200, r.text
    leg_c = (await wait_call_event(live_api, call_id, "call.transfer.started", 2))["data"][
        "transfer_call_id"
    ]
    await wait_status(live_api, leg_c, "in_progress")
    await c.wait_event(event="state", state="CONFIRMED")
    await b.wait_event(event="state", state="DISCONNECTED")
    ended_b = await wait_status(live_api, leg_b, "completed")
    assert ended_b["end_reason"] == "transferred"
    a_c, c_a = await measure(a, c, name="with-c")

    call = await wait_status(live_api, call_id, "in_progress")
    assert call["agent_id"] is None
    assert not a.saw(event="state", state="DISCONNECTED")  # the caller was never hung up
    events = await call_events(live_api, call_id)
    assert [e["type"] for e in events] == [
        "call.initiated",
        "call.ringing",
        "call.answered",
        "call.transfer.started",
        "call.transferred",
        "call.transfer.started",
        "call.transferred",
    ]
    assert [e["type"] for e in await call_events(live_api, leg_b)] == [
        "call.initiated",
        "call.ringing",
        "call.answered",
        "call.completed",
    ]
    transferred = [e for e in events if e["type"] == "call.transferred"]
    assert [e["data"]["transfer_call_id"] for e in transferred] == [leg_b, leg_c]
    assert [e["data"]["dropped_call_ids"] for e in transferred] == [[], [leg_b]]

    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    assert (await wait_status(live_api, leg_c, "completed"))["end_reason"] == "parent_ended"
    await c.wait_event(event="state", state="DISCONNECTED")
    for phone in (a, b, c):
        await phone.quit()

    heard = tones_heard(a_agent, AGENT, B)
    assert heard[AGENT] > PRESENT and heard[B] < ABSENT, heard
    heard = tones_heard(a_b, AGENT, B, C)
    assert heard[B] > PRESENT and heard[AGENT] < ABSENT and heard[C] < ABSENT, heard
    heard = tones_heard(b_a, A, AGENT)
    assert heard[A] > PRESENT and heard[AGENT] < ABSENT, heard
    heard = tones_heard(a_c, B, C, AGENT)
    assert heard[C] > PRESENT and heard[B] < ABSENT and heard[AGENT] < ABSENT, heard
    heard = tones_heard(c_a, A, B, AGENT)
    assert heard[A] > PRESENT and heard[B] < ABSENT and heard[AGENT] < ABSENT, heard


async def _back_off_hold(phone: Phone) -> bool:
    media = [e["status"] for e in phone.events if e.get("event") == "media"]
    return "remote_hold" in media and media[-1] == "active"


def _loudness(path: Path) -> float:
    (samples,), _ = read_wav(path)
    return rms(samples)


async def _consulting(api: httpx.AsyncClient, call_id: str, phone: Phone) -> str:
    """Start a warm transfer to ``phone`` and wait until it answers (the consult window)."""
    await point_trunk(api, phone)
    r = await api.post(
        f"/v1/voice/calls/{call_id}/warm-transfer",
        json={"to": "+14155550300", "whisper_message": WHISPER},
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["on_hold"], data["warm_transfer"]["state"]) == (True, "dialing")
    consult = str(data["warm_transfer"]["consult_call_id"])
    await wait_call_event(api, call_id, "call.warm_transfer.answered")
    await phone.wait_event(event="state", state="CONFIRMED")
    call = await wait_status(api, call_id, "in_progress")
    assert (call["on_hold"], call["warm_transfer"]["state"]) == (True, "consulting")
    leg = await wait_status(api, consult, "in_progress")
    assert (leg["parent_call_id"], leg["leg_role"]) == (call_id, "consult")
    return consult


async def test_warm_transfer_holds_the_caller_whispers_to_the_consult_party_then_completes(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    a, b = phones(A), phones(B)
    await carrier_trunk(live_api, a.port)
    call_id = await _call(live_api, sip_app, a, tmp_path)
    (a_agent,) = await measure(a, name="agent")

    # The consult party hears the whisper message from its answer on: record it all.
    b_whisper = await b.segment("whisper")
    consult = await _consulting(live_api, call_id, b)
    await a.wait_event(event="media", status="remote_hold")  # a re-INVITE with a=sendonly
    await asyncio.sleep(SETTLE)
    a_held = await a.segment("held")
    await asyncio.sleep(2.5)  # the whisper, spoken to B alone while A waits on hold
    await a.segment("held-done")
    await b.segment("whisper-done")

    r = await live_api.post(f"/v1/voice/calls/{call_id}/warm-transfer/complete")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["on_hold"], data["agent_id"], data["warm_transfer"]["state"]) == (
        False,
        None,
        "completed",
    )
    await until(lambda: _back_off_hold(a))  # a re-INVITE with a=sendrecv
    a_b, b_a = await measure(a, b, name="bridged")
    completed = await wait_call_event(live_api, call_id, "call.warm_transfer.completed")
    assert completed["data"]["consult_call_id"] == consult
    assert [e["type"] for e in await call_events(live_api, call_id)][3:] == [
        "call.warm_transfer.started",
        "call.warm_transfer.answered",
        "call.warm_transfer.completed",
    ]
    assert (await wait_status(live_api, consult, "in_progress"))["status"] == "in_progress"
    assert not a.saw(event="state", state="DISCONNECTED")

    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    await b.wait_event(event="state", state="DISCONNECTED")
    await a.quit(), await b.quit()

    heard = tones_heard(a_agent, AGENT, B)
    assert heard[AGENT] > PRESENT and heard[B] < ABSENT, heard
    # On hold, A hears nobody: not the agent, not B, not the whisper.
    heard = tones_heard(a_held, AGENT, B)
    assert heard[AGENT] < ABSENT and heard[B] < ABSENT, heard
    assert _loudness(a_held) < SILENT
    # B hears the whisper (speech), and neither the held caller nor the caller's agent.
    heard = tones_heard(b_whisper, A, AGENT)
    assert heard[A] < ABSENT and heard[AGENT] < ABSENT, heard
    assert _loudness(b_whisper) > SPEECH
    # Completed: A and B hear each other; the agent is gone.
    heard = tones_heard(a_b, B, AGENT)
    assert heard[B] > PRESENT and heard[AGENT] < ABSENT, heard
    heard = tones_heard(b_a, A, AGENT)
    assert heard[A] > PRESENT and heard[AGENT] < ABSENT, heard


async def test_cancelled_warm_transfer_returns_the_caller_to_the_agent(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    a, b = phones(A), phones(B)
    await carrier_trunk(live_api, a.port)
    call_id = await _call(live_api, sip_app, a, tmp_path)
    consult = await _consulting(live_api, call_id, b)
    await a.wait_event(event="media", status="remote_hold")
    (a_held,) = await measure(a, name="held")

    r = await live_api.post(f"/v1/voice/calls/{call_id}/warm-transfer/cancel")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["on_hold"], data["warm_transfer"]["state"]) == (False, "cancelled")
    await b.wait_event(event="state", state="DISCONNECTED")  # the consult leg is hung up
    leg = await wait_status(live_api, consult, "completed")
    assert leg["end_reason"] == "warm_transfer_cancelled"
    await until(lambda: _back_off_hold(a))
    (a_back,) = await measure(a, name="back")
    assert "call.warm_transfer.cancelled" in [
        e["type"] for e in await call_events(live_api, call_id)
    ]

    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    await a.quit(), await b.quit()
    heard = tones_heard(a_held, AGENT, B)
    assert heard[AGENT] < ABSENT and heard[B] < ABSENT, heard
    heard = tones_heard(a_back, AGENT, B)
    assert heard[AGENT] > PRESENT and heard[B] < ABSENT, heard


async def test_unanswered_blind_transfer_leaves_the_caller_with_the_agent(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    a, b = phones(A), phones(B, answer=False)
    await carrier_trunk(live_api, a.port)
    call_id = await _call(live_api, sip_app, a, tmp_path)
    await point_trunk(live_api, b)
    r = await live_api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": "+14155550100"})
    assert r.status_code == 200, r.text
    await b.wait_event(event="state", state="EARLY")  # B's phone rings...
    failed = await wait_call_event(live_api, call_id, "call.transfer.failed")  # ...unanswered
    leg = await wait_status(live_api, failed["data"]["transfer_call_id"], "no_answer")
    assert (leg["end_reason"], failed["data"]["reason"]) == ("ring_timeout", "no_answer")
    await b.wait_event(event="state", state="DISCONNECTED")  # CANCELled
    (a_after,) = await measure(a, name="after")
    call = await wait_status(live_api, call_id, "in_progress")
    assert "call.transferred" not in [e["type"] for e in await call_events(live_api, call_id)]
    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    await a.quit(), await b.quit()
    assert call["status"] == "in_progress"
    heard = tones_heard(a_after, AGENT, B)
    assert heard[AGENT] > PRESENT and heard[B] < ABSENT, heard


async def test_completing_a_warm_transfer_from_an_agents_leg_hangs_the_agent_up(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, tmp_path: Path
) -> None:
    """The caller's other side is a phone (B took a blind transfer); B consults C, then
    completes: A and C are bridged and B's leg is hung up."""
    a, b, c = phones(A), phones(B), phones(C)
    await carrier_trunk(live_api, a.port)
    call_id = await _call(live_api, sip_app, a, tmp_path)
    await point_trunk(live_api, b)
    r = await live_api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": "+14155550100"})
    assert r.status_code == 200, r.text
    leg_b = (await wait_call_event(live_api, call_id, "call.transferred"))["data"][
        "transfer_call_id"
    ]
    await b.wait_event(event="state", state="CONFIRMED")
    consult = await _consulting(live_api, call_id, c)
    await a.wait_event(event="media", status="remote_hold")
    # The consult window: once the whisper has played, B and C talk; A, on hold, hears neither.
    await asyncio.sleep(3.5)
    b_c, c_b, a_held = await measure(b, c, a, name="consult")

    r = await live_api.post(f"/v1/voice/calls/{call_id}/warm-transfer/complete")
    assert r.status_code == 200, r.text
    await b.wait_event(event="state", state="DISCONNECTED")
    assert (await wait_status(live_api, leg_b, "completed"))["end_reason"] == "transferred"
    completed = await wait_call_event(live_api, call_id, "call.warm_transfer.completed")
    assert completed["data"]["dropped_call_ids"] == [leg_b]
    await until(lambda: _back_off_hold(a))
    a_c, c_a = await measure(a, c, name="bridged")
    assert (await wait_status(live_api, consult, "in_progress"))["leg_role"] == "consult"

    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    await c.wait_event(event="state", state="DISCONNECTED")
    for phone in (a, b, c):
        await phone.quit()
    heard = tones_heard(b_c, A, C)
    assert heard[C] > PRESENT and heard[A] < ABSENT, heard
    heard = tones_heard(c_b, A, B)
    assert heard[B] > PRESENT and heard[A] < ABSENT, heard
    heard = tones_heard(a_held, B, C)
    assert heard[B] < ABSENT and heard[C] < ABSENT, heard
    heard = tones_heard(a_c, B, C, AGENT)
    assert heard[C] > PRESENT and heard[B] < ABSENT and heard[AGENT] < ABSENT, heard
    heard = tones_heard(c_a, A, B, AGENT)
    assert heard[A] > PRESENT and heard[B] < ABSENT and heard[AGENT] < ABSENT, heard
