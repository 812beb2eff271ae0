"""Voicemail boxes and messages through the API: defaults, validation, listing filters,
read state, deletion (audio included) and tenancy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import create_number, create_voicemail_box, press, ring_inbound, set_handler
from orbit_voice.kit.clock import FakeClock


async def record_message(
    api: httpx.AsyncClient, clock: FakeClock, box_id: str, caller: str, seconds: float = 3
) -> dict[str, Any]:
    """``caller`` rings the box's number, speaks ``seconds`` and presses #."""
    numbers = (await api.get("/v1/voice/numbers")).json()["data"]
    number = numbers[0] if numbers else await create_number(api)
    await set_handler(api, number["id"], "voicemail", box_id)
    call = await ring_inbound(api, to=number["number"], from_=caller)
    await clock.advance(2 + seconds)
    await press(api, call["id"], "#")
    r = await api.get("/v1/voice/voicemails", params={"voicemail_id": box_id, "limit": 1})
    message: dict[str, Any] = r.json()["data"][0]
    assert message["caller"] == caller
    return message


async def test_spec_example_and_defaults(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/v1/voice/voicemail",
        json={
            "name": "General Inbox",
            "greeting": "You have reached Acme Corp. We are currently unavailable. "
            "Please leave a message.",
            "transcribe": True,
            "notification_email": "team@acme.com",
        },
    )
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["id"].startswith("vmail_")
    assert data["name"] == "General Inbox"
    assert data["transcribe"] is True
    assert data["max_duration"] == 120
    assert data["messages_count"] == 0
    assert data["notification_email"] == "team@acme.com"
    assert data["created_at"].endswith("Z")
    plain = await create_voicemail_box(api, name="Plain")
    assert plain["greeting"] == "Please leave a message after the tone."
    assert (plain["transcribe"], plain["max_duration"], plain["notification_email"]) == (
        True,
        120,
        None,
    )


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "max_duration": 0}, "max_duration"),
        ({"name": "x", "max_duration": 601}, "max_duration"),
        ({"name": "x", "notification_email": "not-an-email"}, "notification_email"),
        ({"name": "x", "webhook_url": "ftp://example.com/x"}, "webhook_url"),
        ({"name": "x", "transcribe": "maybe"}, "transcribe"),
        ({"name": "x", "pin": "1234"}, "pin"),
    ],
)
async def test_box_validation(api: httpx.AsyncClient, body: dict[str, Any], param: str) -> None:
    r = await api.post("/v1/voice/voicemail", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["param"] == param
    assert (await api.get("/v1/voice/voicemail")).json()["meta"]["pagination"]["total"] == 0


async def test_box_update_is_partial(api: httpx.AsyncClient) -> None:
    box = await create_voicemail_box(api, notification_email="a@acme.com")
    r = await api.put(f"/v1/voice/voicemail/{box['id']}", json={"max_duration": 30})
    data = r.json()["data"]
    assert (data["max_duration"], data["notification_email"]) == (30, "a@acme.com")
    r = await api.put(f"/v1/voice/voicemail/{box['id']}", json={"notification_email": None})
    assert r.json()["data"]["notification_email"] is None
    r = await api.put(f"/v1/voice/voicemail/{box['id']}", json={"greeting": None})
    assert r.status_code == 422 and r.json()["error"]["param"] == "greeting"


async def test_messages_list_filters_read_and_delete(
    api: httpx.AsyncClient, clock: FakeClock, data_dir: Path
) -> None:
    sales = await create_voicemail_box(api, name="Sales")
    support = await create_voicemail_box(api, name="Support")
    first = await record_message(api, clock, sales["id"], "+14155550001")
    second = await record_message(api, clock, sales["id"], "+14155550002", seconds=5)
    third = await record_message(api, clock, support["id"], "+14155550003")

    async def ids(**params: Any) -> list[str]:
        r = await api.get("/v1/voice/voicemails", params=params)
        assert r.status_code == 200, r.text
        return [m["id"] for m in r.json()["data"]]

    assert await ids() == [third["id"], second["id"], first["id"]]  # newest first
    assert await ids(voicemail_id=sales["id"]) == [second["id"], first["id"]]
    assert await ids(direction="inbound") == [third["id"], second["id"], first["id"]]
    assert await ids(direction="outbound") == []
    assert await ids(status="completed", unread="true") == [third["id"], second["id"], first["id"]]
    r = await api.get("/v1/voice/voicemails", params={"limit": 2})
    page = r.json()["meta"]["pagination"]
    assert (page["total"], page["has_more"]) == (3, True)
    r = await api.get("/v1/voice/voicemails", params={"limit": 2, "cursor": page["cursor"]})
    assert [m["id"] for m in r.json()["data"]] == [first["id"]]
    r = await api.get("/v1/voice/voicemails", params={"status": "lost"})
    assert r.status_code == 422 and r.json()["error"]["param"] == "status"

    r = await api.patch(f"/v1/voice/voicemails/{second['id']}/read")
    assert r.status_code == 200
    read = r.json()["data"]
    assert read["listened"] is True and read["listened_at"].endswith("Z")
    again = (await api.patch(f"/v1/voice/voicemails/{second['id']}/read")).json()["data"]
    assert again["listened_at"] == read["listened_at"]
    assert await ids(unread="true") == [third["id"], first["id"]]
    assert await ids(unread="false") == [second["id"]]

    r = await api.get(f"/v1/voice/voicemails/{first['id']}")
    assert r.json()["data"]["recording_url"]
    audio = data_dir / "voicemail"
    assert len(list(audio.rglob("*.wav"))) == 3
    assert (await api.delete(f"/v1/voice/voicemails/{first['id']}")).status_code == 204
    assert (await api.get(f"/v1/voice/voicemails/{first['id']}")).status_code == 404
    assert len(list(audio.rglob("*.wav"))) == 2
    boxes = {
        b["id"]: b["messages_count"] for b in (await api.get("/v1/voice/voicemail")).json()["data"]
    }
    assert boxes == {sales["id"]: 1, support["id"]: 1}


async def test_box_in_use_is_409_else_deleted_with_its_messages(
    api: httpx.AsyncClient, clock: FakeClock, data_dir: Path
) -> None:
    box = await create_voicemail_box(api)
    message = await record_message(api, clock, box["id"], "+14155550001")
    r = await api.delete(f"/v1/voice/voicemail/{box['id']}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "voicemail_in_use"
    number = (await api.get("/v1/voice/numbers")).json()["data"][0]
    await set_handler(api, number["id"], "hangup")
    assert (await api.delete(f"/v1/voice/voicemail/{box['id']}")).status_code == 204
    assert (await api.get(f"/v1/voice/voicemails/{message['id']}")).status_code == 404
    assert list((data_dir / "voicemail").rglob("*.wav")) == []


async def test_other_orgs_boxes_and_messages_are_404(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: FakeClock
) -> None:
    box = await create_voicemail_box(api)
    message = await record_message(api, clock, box["id"], "+14155550001")
    for method, path in [
        ("GET", f"/v1/voice/voicemail/{box['id']}"),
        ("DELETE", f"/v1/voice/voicemail/{box['id']}"),
        ("GET", f"/v1/voice/voicemails/{message['id']}"),
        ("PATCH", f"/v1/voice/voicemails/{message['id']}/read"),
        ("DELETE", f"/v1/voice/voicemails/{message['id']}"),
    ]:
        r = await other_api.request(method, path)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["error"]["code"].endswith("not_found")
    r = await other_api.put(f"/v1/voice/voicemail/{box['id']}", json={"name": "x"})
    assert r.status_code == 404
    assert (await other_api.get("/v1/voice/voicemails")).json()["data"] == []
    assert (await other_api.get("/v1/voice/voicemail")).json()["data"] == []
    r = await other_api.get("/v1/voice/voicemails", params={"voicemail_id": box["id"]})
    assert r.json()["data"] == []
    # The owner's message is untouched.
    r = await api.get(f"/v1/voice/voicemails/{message['id']}")
    assert r.json()["data"]["listened"] is False
