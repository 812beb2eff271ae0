"""Another org's ids are 404 on every endpoint that takes an id, never 403 and never data."""

from __future__ import annotations

from typing import Any

import httpx

from helpers import create_agent, create_call, create_number
from orbit_voice.kit.clock import FakeClock

BODIES: dict[str, dict[str, Any]] = {
    "dtmf": {"digits": "123"},
    "transfer": {"to": "+14155550100"},
    "warm-transfer": {"to": "+14155550100"},
    "inbound": {"from": "+14155550100", "to": "+12025551234"},
    "preview": {"text": "hello"},
    "status": {"status": "available"},
    "participants": {"number": "+14155550100"},
    "listen": {"supervisor": "+14155550100"},
    "whisper": {"supervisor": "+14155550100"},
    "barge": {"supervisor": "+14155550100"},
    "speech": {"speaker": "caller", "text": "hello"},
    "network": {"packet_loss_pct": 1},
    "enqueue": {"call_id": "call_tenancyprobe"},
}


async def test_every_id_route_hides_other_orgs(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, app: Any, clock: FakeClock
) -> None:
    number = await create_number(api)
    agent = await create_agent(api)
    call = await create_call(api)
    await clock.advance(3)
    ids = {"call_id": call["id"], "number_id": number["id"], "agent_id": agent}
    trunk = await api.post(
        "/v1/voice/sip-trunks", json={"name": "t", "termination_uri": "sip:t.example.com"}
    )
    credential = await api.post(
        "/v1/voice/sip-credentials", json={"username": "tenant", "extension": "1001"}
    )
    ids["trunk_id"] = trunk.json()["data"]["id"]
    ids["credential_id"] = credential.json()["data"]["id"]
    # A clone needs 30 s of speech; tests/clones proves another org's real clone is 404.
    ids["clone_id"] = "clone_tenancyprobe"
    conference = await api.post("/v1/voice/conferences", json={"name": "tenancy"})
    ids["conference_id"] = conference.json()["data"]["id"]
    participant = await api.post(
        f"/v1/voice/conferences/{ids['conference_id']}/participants",
        json={"number": "+14155550100"},
    )
    ids["participant_id"] = participant.json()["data"]["id"]
    transcription = await api.post(
        "/v1/voice/transcribe", json={"audio_url": "http://127.0.0.1:9/tenancy.wav"}
    )
    ids["transcript_id"] = transcription.json()["data"]["transcript_id"]
    ivr = await api.post(
        "/v1/voice/ivr",
        json={
            "name": "t",
            "greeting": "Hi",
            "menu": {"options": [{"key": "1", "action": "hangup"}]},
        },
    )
    ids["ivr_id"] = ivr.json()["data"]["id"]
    calendar = await api.post(
        "/v1/voice/calendars",
        json={
            "name": "t",
            "timezone": "UTC",
            "weekday_windows": [{"weekday": 1, "start": "09:00", "end": "17:00"}],
        },
    )
    ids["calendar_id"] = calendar.json()["data"]["id"]
    box = await api.post("/v1/voice/voicemail", json={"name": "t"})
    ids["voicemail_id"] = box.json()["data"]["id"]
    # A message needs a recorded call; tests/voicemail proves another org's real one is 404.
    ids["message_id"] = "vmsg_tenancyprobe"
    queue = await api.post("/v1/voice/queues", json={"name": "t", "agent_ids": [agent]})
    ids["queue_id"] = queue.json()["data"]["id"]
    ring_group = await api.post(
        "/v1/voice/ring-groups", json={"name": "t", "members": [{"phone_number": "+14155550100"}]}
    )
    ids["ring_group_id"] = ring_group.json()["data"]["id"]

    checked = 0
    spec = (await api.get("/openapi.json")).json()
    for path, operations in spec["paths"].items():
        if (
            not path.startswith("/v1/voice")
            or "{" not in path
            or "recordings" in path
            or path.endswith("/audio")  # signed-URL downloads take no API key
        ):
            continue
        url = path
        for name, value in ids.items():
            url = url.replace("{" + name + "}", value)
        assert "{" not in url, f"no id fixture for {path}"
        for method in sorted(m.upper() for m in operations):
            body = BODIES.get(path.rsplit("/", 1)[-1])
            if method == "PUT":
                body = {}  # every PUT is a partial update: an empty body is valid
            r = await other_api.request(method, url, json=body)
            assert r.status_code == 404, (method, url, r.status_code, r.text)
            assert r.json()["error"]["code"].endswith("not_found")
            checked += 1
    assert checked >= 20

    # The owner still sees everything, untouched.
    r = await api.get(f"/v1/voice/calls/{call['id']}")
    assert r.json()["data"]["status"] == "in_progress"


async def test_lists_only_show_own_rows(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    await create_number(api)
    await create_call(api)
    for path in [
        "/v1/voice/calls",
        "/v1/voice/numbers",
        "/v1/voice/agents",
        "/v1/voice/webhook-deliveries",
    ]:
        r = await other_api.get(path)
        assert r.status_code == 200
        assert r.json()["meta"]["pagination"]["total"] == 0, path
