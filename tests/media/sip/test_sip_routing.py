"""Queues, ring groups, hold music and human agents on live calls, with real peers: test
phones (PJSUA processes playing known tones and recording what they hear) call in and get
called, sipp plays a busy member, and a number-routing carrier lets one trunk reach several
phones. Audio is measured with Goertzel filters.

Each scenario keeps at most 3 legs in the engine (the wheel holds 4 calls per process).
"""

from __future__ import annotations

import array
import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from sip_support import (
    ABSENT,
    CALLER_ID,
    PRESENT,
    carrier_trunk,
    event_types,
    live_api,
    needs_sipp,
    number_router,
    phones,
    read_wav,
    rms,
    sip_app,
    sipp,
    tone_amplitude,
    uas,
    until,
    wait_status,
    write_tone,
)

if TYPE_CHECKING:  # not imported at run time: pytest would try to collect it
    from sip_support import TestPhone

__all__ = ["live_api", "number_router", "phones", "sip_app", "sipp"]  # fixtures

pytestmark = needs_sipp

CALLER_TONE = 440
AGENT_TONE = 1250
OTHER_TONE = 900
HOLD_TONE = 700
CUSTOMER = "+14155550100"  # the caller id the calling phone presents


class HoldMusic:
    """A local web server with a 1 s hold-music WAV (a pure tone), so hearing it for longer
    than a second proves it loops."""

    def __init__(self, wav: bytes) -> None:
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits += 1
                self.send_response(200)
                self.send_header("content-type", "audio/wav")
                self.send_header("content-length", str(len(wav)))
                self.end_headers()
                self.wfile.write(wav)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hold.wav"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def hold_music(tmp_path: Path) -> Iterator[HoldMusic]:
    server = HoldMusic(write_tone(tmp_path / "hold.wav", HOLD_TONE, seconds=1.0).read_bytes())
    yield server
    server.close()


# -- helpers -----------------------------------------------------------------------------


async def _post(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await api.post(path, json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def _route_number(api: httpx.AsyncClient, number_id: str, kind: str, target: str) -> None:
    r = await api.put(
        f"/v1/voice/numbers/{number_id}", json={"handler": {"type": kind, "target": target}}
    )
    assert r.status_code == 200, r.text


async def _calls(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    r = await api.get("/v1/voice/calls", params={"limit": 100})
    assert r.status_code == 200, r.text
    data: list[dict[str, Any]] = r.json()["data"]
    return data


async def _legs(api: httpx.AsyncClient, parent_id: str, n: int) -> list[dict[str, Any]]:
    """The child legs of ``parent_id``, once there are ``n``."""

    async def check() -> list[dict[str, Any]] | None:
        legs = [c for c in await _calls(api) if c["parent_call_id"] == parent_id]
        return legs if len(legs) >= n else None

    legs: list[dict[str, Any]] = await until(check, timeout=10)
    return legs


async def _dial_in(api: httpx.AsyncClient, sip_app: Any, phone: TestPhone) -> str:
    """The phone calls our number at the engine, as a carrier would deliver a call.
    Returns the inbound call's id."""
    phone.send(cmd="call", uri=f"sip:{CALLER_ID}@127.0.0.1:{sip_app.state.settings.sip_port}")

    async def inbound() -> str | None:
        found = [c for c in await _calls(api) if c["direction"] == "inbound"]
        return str(found[0]["id"]) if found else None

    call_id: str = await until(inbound, timeout=10)
    return call_id


async def _call_in(api: httpx.AsyncClient, sip_app: Any, phone: TestPhone) -> str:
    """As ``_dial_in``, once the number's handler has answered the call."""
    call_id = await _dial_in(api, sip_app, phone)
    call = await wait_status(api, call_id, "in_progress")
    assert (call["from"], call["to"]) == (CUSTOMER, CALLER_ID)
    await phone.wait_event(event="state", state="CONFIRMED")
    return call_id


async def _events(api: httpx.AsyncClient, call_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    assert r.status_code == 200, r.text
    return sorted(r.json()["data"], key=lambda e: e["seq"])


async def _has_event(api: httpx.AsyncClient, call_id: str, kind: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        found = [e for e in await _events(api, call_id) if e["type"] == kind]
        return found[0] if found else None

    event: dict[str, Any] = await until(check, timeout=10)
    return event


def _windows(samples: array.array[int], rate: int, freq: float, step: float) -> list[float]:
    size = int(rate * step)
    return [
        tone_amplitude(samples[i : i + size], rate, freq)
        for i in range(0, len(samples) - size + 1, size)
    ]


async def _heard(phone: TestPhone) -> tuple[array.array[int], int]:
    (samples,), rate = read_wav(await phone.quit())
    return samples, rate


# -- a. a queue: hold music, then an agent's own SIP phone ---------------------------------


async def test_queued_caller_hears_looped_hold_music_then_talks_to_the_agents_sip_phone(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, hold_music: HoldMusic
) -> None:
    number_id = await carrier_trunk(live_api, 5999)  # the trunk trusts 127.0.0.1 as a source
    caller = phones(CALLER_TONE, user=CUSTOMER)
    agent_phone = phones(AGENT_TONE)
    # Available, but with no contact a live call cannot ring it: live routing passes it over.
    nobody = await _post(
        live_api, "/v1/voice/agents", {"name": "No phone", "presence": "available"}
    )
    jane = await _post(live_api, "/v1/voice/agents", {"name": "Jane", "sip_uri": agent_phone.uri})
    assert (jane["presence"], jane["sip_uri"]) == ("offline", agent_phone.uri)
    queue = await _post(
        live_api,
        "/v1/voice/queues",
        {
            "name": "Support",
            "agent_ids": [nobody["id"], jane["id"]],
            "hold_music_url": hold_music.url,
            "max_wait_seconds": 120,
            "overflow_action": "hangup",
        },
    )
    await _route_number(live_api, number_id, "queue", queue["id"])

    call_id = await _call_in(live_api, sip_app, caller)
    await _has_event(live_api, call_id, "queue.joined")
    await asyncio.sleep(7.0)  # on hold: the announcement (about 4 s), then 1 s music on a loop
    assert [c["id"] for c in await _calls(live_api)] == [call_id]  # nobody was not dialled
    assert hold_music.hits == 1

    r = await live_api.post(f"/v1/voice/agents/{jane['id']}/status", json={"status": "available"})
    assert r.status_code == 200, r.text
    [leg] = await _legs(live_api, call_id, 1)
    assert (leg["to"], leg["agent_id"], leg["leg_role"]) == (jane["id"], jane["id"], "agent")
    await wait_status(live_api, leg["id"], "in_progress")
    await agent_phone.wait_event(event="state", state="CONFIRMED")
    connected = await _has_event(live_api, call_id, "queue.connected")
    assert connected["data"]["agent_id"] == jane["id"]
    assert connected["data"]["agent_call_id"] == leg["id"]
    await asyncio.sleep(2.0)  # caller and agent talk

    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    await wait_status(live_api, call_id, "completed")
    await wait_status(live_api, leg["id"], "completed")
    types = await event_types(live_api, call_id)
    for kind in ("call.routed", "queue.joined", "queue.agent_offered", "queue.connected"):
        assert kind in types, types
    assert "queue.hold_music_failed" not in types
    r = await live_api.get(f"/v1/voice/agents/{nobody['id']}")
    assert (r.json()["data"]["presence"], r.json()["data"]["calls_handled"]) == ("available", 0)
    r = await live_api.get(f"/v1/voice/agents/{jane['id']}")
    assert r.json()["data"]["calls_handled"] == 1

    heard, rate = await _heard(caller)
    step = 0.25
    hold = _windows(heard, rate, HOLD_TONE, step)
    agent = _windows(heard, rate, AGENT_TONE, step)
    held = [i for i, a in enumerate(hold) if a > PRESENT / 2]
    talked = [i for i, a in enumerate(agent) if a > PRESENT / 2]
    assert held and talked
    # First the caller is told they are waiting (speech, no music under it), then the music.
    # (speech has some energy at the music's pitch too: the music starts with a steady second)
    start = next(i for i in held if all(a > PRESENT / 2 for a in hold[i : i + 4]))
    music_from = start * int(rate * step)
    spoken = heard[max(0, music_from - int(rate * 2.5)) : music_from - int(rate * 0.25)]
    assert len(spoken) >= 2 * rate, start * step
    assert rms(spoken) > 300
    assert tone_amplitude(spoken, rate, HOLD_TONE) < ABSENT
    # The 1 s music played on a loop: heard for well over a second, all along (a window may
    # miss it when the loaded machine drops a packet).
    held = [i for i in held if i >= start]
    assert len(held) * step >= 2.5, [round(a) for a in hold]
    assert len(held) >= 0.8 * (held[-1] - held[0] + 1), [round(a) for a in hold]
    # Then the agent, and the music never again once the agent is bridged.
    assert held[-1] <= talked[0], (held, talked)  # one window may hold the switch
    bridged = heard[(talked[0] + 1) * int(rate * step) :]
    assert len(bridged) >= rate  # over a second of conversation
    assert tone_amplitude(bridged, rate, AGENT_TONE) > PRESENT
    assert tone_amplitude(bridged, rate, HOLD_TONE) < ABSENT
    assert tone_amplitude(heard, rate, CALLER_TONE) < ABSENT  # no echo of the caller

    agent_heard, rate = await _heard(agent_phone)
    assert tone_amplitude(agent_heard, rate, CALLER_TONE) > PRESENT
    assert tone_amplitude(agent_heard, rate, HOLD_TONE) < ABSENT  # the music is the caller's


# -- b. a simultaneous ring group: first answer wins, the other INVITE is cancelled --------


async def test_simultaneous_ring_group_first_answer_wins_and_the_other_phone_is_cancelled(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, number_router: Any
) -> None:
    caller = phones(CALLER_TONE, user=CUSTOMER)
    winner = phones(AGENT_TONE)
    loser = phones(OTHER_TONE, answer=False)
    answers, rings = "+14155550111", "+14155550122"
    carrier = number_router({answers: winner.port, rings: loser.port})
    number_id = await carrier_trunk(live_api, carrier.port)
    group = await _post(
        live_api,
        "/v1/voice/ring-groups",
        {
            "name": "Sales",
            "strategy": "simultaneous",
            "members": [{"phone_number": rings}, {"phone_number": answers}],
            "timeout_seconds": 20,
            "fallback_action": "hangup",
        },
    )
    await _route_number(live_api, number_id, "ring_group", group["id"])

    call_id = await _call_in(live_api, sip_app, caller)
    legs = {leg["to"]: leg for leg in await _legs(live_api, call_id, 2)}
    assert set(legs) == {answers, rings}
    assert {leg["leg_role"] for leg in legs.values()} == {"ring_group"}
    assert (await wait_status(live_api, legs[answers]["id"], "in_progress"))["from"] == CUSTOMER
    lost = await wait_status(live_api, legs[rings]["id"], "cancelled")
    assert lost["end_reason"] == "answered_elsewhere"
    # The losing phone rang, then saw its INVITE cancelled (487), never a connected call.
    await loser.wait_event(event="state", state="EARLY")
    gone = await loser.wait_event(event="state", state="DISCONNECTED")
    assert gone["code"] == 487
    assert not [e for e in loser.events if e.get("state") == "CONFIRMED"]
    answered = await _has_event(live_api, call_id, "ring_group.answered")
    assert answered["data"]["leg_call_id"] == legs[answers]["id"]
    assert ("INVITE", rings) in carrier.forwarded and ("CANCEL", rings) in carrier.forwarded
    await asyncio.sleep(2.0)

    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    await wait_status(live_api, legs[answers]["id"], "completed")
    heard, rate = await _heard(caller)
    assert tone_amplitude(heard, rate, AGENT_TONE) > PRESENT
    assert tone_amplitude(heard, rate, OTHER_TONE) < ABSENT
    winner_heard, rate = await _heard(winner)
    assert tone_amplitude(winner_heard, rate, CALLER_TONE) > PRESENT
    loser_heard, rate = await _heard(loser)
    assert tone_amplitude(loser_heard, rate, CALLER_TONE) < ABSENT


# -- c. a sequential ring group through the trunk: busy, then an answer --------------------


async def test_sequential_ring_group_through_the_trunk_moves_past_a_busy_member(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, number_router: Any, sipp: Any
) -> None:
    caller = phones(CALLER_TONE, user=CUSTOMER)
    answerer = phones(AGENT_TONE)
    busy = uas(sipp, "reject", code="486")
    busy_number, answer_number = "+14155550133", "+14155550144"
    carrier = number_router({busy_number: busy.port, answer_number: answerer.port})
    number_id = await carrier_trunk(live_api, carrier.port)
    group = await _post(
        live_api,
        "/v1/voice/ring-groups",
        {
            "name": "Support line",
            "strategy": "sequential",
            "members": [{"phone_number": busy_number}, {"phone_number": answer_number}],
            "timeout_seconds": 10,
            "fallback_action": "hangup",
        },
    )
    await _route_number(live_api, number_id, "ring_group", group["id"])

    call_id = await _call_in(live_api, sip_app, caller)
    legs = {leg["to"]: leg for leg in await _legs(live_api, call_id, 2)}
    first, second = legs[busy_number], legs[answer_number]
    missed = await wait_status(live_api, first["id"], "busy")
    assert missed["sip_code"] == 486
    assert await busy.wait() == 0  # sipp answered 486 and got its ACK
    await wait_status(live_api, second["id"], "in_progress")
    await answerer.wait_event(event="state", state="CONFIRMED")
    await asyncio.sleep(2.0)
    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    await wait_status(live_api, second["id"], "completed")

    events = await _events(live_api, call_id)
    ringing = [
        (e["type"], e["data"]["to"])
        for e in events
        if e["type"].startswith("ring_group.") and e["type"] != "ring_group.started"
    ]
    assert ringing == [  # one member at a time, in order
        ("ring_group.dialing", busy_number),
        ("ring_group.member_missed", busy_number),
        ("ring_group.dialing", answer_number),
        ("ring_group.answered", answer_number),
    ]
    missed_event = next(e for e in events if e["type"] == "ring_group.member_missed")
    assert missed_event["data"]["reason"] == "busy"
    heard, rate = await _heard(caller)
    assert tone_amplitude(heard, rate, AGENT_TONE) > PRESENT
    answerer_heard, rate = await _heard(answerer)
    assert tone_amplitude(answerer_heard, rate, CALLER_TONE) > PRESENT


# -- agents' contacts on live calls --------------------------------------------------------


async def test_agent_with_a_phone_number_is_rung_through_the_trunk(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, number_router: Any
) -> None:
    caller = phones(CALLER_TONE, user=CUSTOMER)
    mobile = phones(AGENT_TONE)
    agent_number = "+14155550155"
    carrier = number_router({agent_number: mobile.port})
    number_id = await carrier_trunk(live_api, carrier.port)
    agent = await _post(
        live_api,
        "/v1/voice/agents",
        {"name": "Remote Rita", "phone_number": agent_number, "presence": "available"},
    )
    await _route_number(live_api, number_id, "agent", agent["id"])

    call_id = await _call_in(live_api, sip_app, caller)
    [leg] = await _legs(live_api, call_id, 1)
    assert (leg["to"], leg["leg_role"]) == (agent["id"], "agent")
    await wait_status(live_api, leg["id"], "in_progress")
    assert ("INVITE", agent_number) in carrier.forwarded
    await _has_event(live_api, call_id, "agent.connected")
    await asyncio.sleep(1.5)
    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    await wait_status(live_api, leg["id"], "completed")
    heard, rate = await _heard(caller)
    assert tone_amplitude(heard, rate, AGENT_TONE) > PRESENT
    mobile_heard, rate = await _heard(mobile)
    assert tone_amplitude(mobile_heard, rate, CALLER_TONE) > PRESENT


async def test_agent_without_a_contact_cannot_be_rung_on_a_live_call(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any
) -> None:
    far_end = phones(CALLER_TONE)
    number_id = await carrier_trunk(live_api, far_end.port)
    nobody = await _post(
        live_api, "/v1/voice/agents", {"name": "No phone", "presence": "available"}
    )

    # A transfer to it: 422 naming `to`, and nothing is dialled.
    r = await live_api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID})
    assert r.status_code == 201, r.text
    call_id = r.json()["data"]["id"]
    await wait_status(live_api, call_id, "in_progress")
    r = await live_api.post(f"/v1/voice/calls/{call_id}/transfer", json={"to": nobody["id"]})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert (error["code"], error["param"]) == ("agent_unreachable", "to")
    assert error["details"] == {"agent_id": nobody["id"]}
    assert [c["id"] for c in await _calls(live_api)] == [call_id]
    r = await live_api.post(f"/v1/voice/calls/{call_id}/hangup")
    assert r.status_code == 200, r.text
    await wait_status(live_api, call_id, "completed")

    # A number routed to it: the call is answered, routing fails visibly, the caller is let go.
    await _route_number(live_api, number_id, "agent", nobody["id"])
    caller = phones(OTHER_TONE, user=CUSTOMER)
    inbound = await _dial_in(live_api, sip_app, caller)
    ended = await wait_status(live_api, inbound, "completed")
    assert ended["end_reason"] == "routing_failed"
    failed = await _has_event(live_api, inbound, "routing.failed")
    assert (failed["data"]["action"], failed["data"]["code"]) == ("agent", "agent_unreachable")
    await caller.wait_event(event="state", state="DISCONNECTED")
    r = await live_api.get(f"/v1/voice/agents/{nobody['id']}")
    assert (r.json()["data"]["presence"], r.json()["data"]["current_call_id"]) == (
        "available",
        None,
    )
