"""SIP credentials and their extensions through the API: passwords shown once and kept
only as digest hashes, rotate, register state, tenancy, and extensions as transfer targets."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from helpers import create_call, create_number, get_call
from orbit_voice.kit.clock import FakeClock
from orbit_voice.sip_credentials.models import Extension, SipCredential
from orbit_voice.sip_credentials.service import find_extension

URL = "/v1/voice/sip-credentials"


async def create_credential(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"username": "alice", "extension": "1001", **fields}
    r = await api.post(URL, json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def test_create_generates_a_password_shown_once(
    api: httpx.AsyncClient, sessionmaker: Any
) -> None:
    data = await create_credential(api, display_name="Alice")
    assert data["id"].startswith("cred_") and data["extension_id"].startswith("ext_")
    assert data["username"] == "alice" and data["extension"] == "1001"
    assert data["realm"] == "orbit-voice" and data["display_name"] == "Alice"
    password = data["password"]
    assert len(password) >= 20 and password.isalnum()
    assert data["register_state"] == "unregistered"
    assert data["contact"] is None and data["expires_at"] is None and data["user_agent"] is None
    for r in [await api.get(URL), await api.get(f"{URL}/{data['id']}")]:
        assert r.status_code == 200
        assert password not in r.text and '"password"' not in r.text
    async with sessionmaker() as session:
        row = (await session.execute(select(SipCredential))).scalar_one()
    a1 = f"alice:orbit-voice:{password}".encode()
    assert row.ha1_md5 == hashlib.md5(a1).hexdigest()
    assert row.ha1_sha256 == hashlib.sha256(a1).hexdigest()
    assert password not in {row.ha1_md5, row.ha1_sha256}


async def test_generated_passwords_differ(api: httpx.AsyncClient) -> None:
    a = await create_credential(api, username="alice", extension="1001")
    b = await create_credential(api, username="bob", extension="1002")
    assert a["password"] != b["password"]


async def test_given_password(api: httpx.AsyncClient, sessionmaker: Any) -> None:
    data = await create_credential(api, password="correct-horse-battery")
    assert data["password"] == "correct-horse-battery"
    async with sessionmaker() as session:
        row = (await session.execute(select(SipCredential))).scalar_one()
    assert row.ha1_md5 == hashlib.md5(b"alice:orbit-voice:correct-horse-battery").hexdigest()


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"username": "alice", "extension": "1001", "password": "short"}, "password"),
        ({"username": "alice", "extension": "1001", "password": "has space inside"}, "password"),
        ({"username": "a", "extension": "1001"}, "username"),
        ({"username": "al ice", "extension": "1001"}, "username"),
        ({"username": "alice", "extension": "10a1"}, "extension"),
        ({"username": "alice", "extension": "1"}, "extension"),
        ({"username": "alice"}, "extension"),
        ({"username": "alice", "extension": "1001", "caller_id": "12025551234"}, "caller_id"),
        ({"username": "alice", "extension": "1001", "caller_id": "+12025550199"}, "caller_id"),
        ({"username": "alice", "extension": "1001", "realm": "x"}, "realm"),
    ],
)
async def test_validation(api: httpx.AsyncClient, body: dict[str, Any], param: str) -> None:
    r = await api.post(URL, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["param"] == param
    assert (await api.get(URL)).json()["meta"]["pagination"]["total"] == 0


async def test_username_and_extension_unique_per_org(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    await create_credential(api)
    r = await api.post(URL, json={"username": "alice", "extension": "2002"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "username_taken"
    r = await api.post(URL, json={"username": "bob", "extension": "1001"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "extension_taken"
    # Another org has its own namespace.
    await create_credential(other_api)


async def test_rotate(api: httpx.AsyncClient, sessionmaker: Any, clock: FakeClock) -> None:
    created = await create_credential(api)
    await clock.advance(60)
    r = await api.post(f"{URL}/{created['id']}/rotate")
    assert r.status_code == 200
    rotated = r.json()["data"]
    assert rotated["password"] != created["password"] and len(rotated["password"]) >= 20
    assert rotated["password_rotated_at"] == "2026-03-08T12:01:00Z"
    assert rotated["extension_id"] == created["extension_id"]
    async with sessionmaker() as session:
        row = (await session.execute(select(SipCredential))).scalar_one()
    assert (
        row.ha1_md5 == hashlib.md5(f"alice:orbit-voice:{rotated['password']}".encode()).hexdigest()
    )


async def test_caller_id_and_update(api: httpx.AsyncClient) -> None:
    number = await create_number(api)
    created = await create_credential(api, caller_id=number["number"])
    assert created["caller_id"] == number["number"]
    url = f"{URL}/{created['id']}"
    r = await api.put(url, json={"extension": "1005", "display_name": "Front desk"})
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["extension"] == "1005" and data["caller_id"] == number["number"]
    assert data["display_name"] == "Front desk"
    r = await api.put(url, json={"caller_id": "+12025550199"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "caller_id_not_owned"
    r = await api.put(url, json={"caller_id": None})
    assert r.status_code == 200 and r.json()["data"]["caller_id"] is None
    await create_credential(api, username="bob", extension="1006")
    r = await api.put(url, json={"extension": "1006"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "extension_taken"


async def test_list_delete_and_tenancy(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: FakeClock, sessionmaker: Any
) -> None:
    ids = []
    for i in range(3):
        ids.append((await create_credential(api, username=f"user{i}", extension=f"10{i}"))["id"])
        await clock.advance(1)
    r = await api.get(URL, params={"limit": 2})
    assert [c["id"] for c in r.json()["data"]] == ids[::-1][:2]
    assert r.json()["meta"]["pagination"]["total"] == 3
    assert (await other_api.get(URL)).json()["data"] == []
    for path, method in [("", "get"), ("", "delete"), ("/rotate", "post"), ("", "put")]:
        kwargs: dict[str, Any] = {"json": {}} if method == "put" else {}
        r = await getattr(other_api, method)(f"{URL}/{ids[0]}{path}", **kwargs)
        assert r.status_code == 404 and r.json()["error"]["code"] == "sip_credential_not_found"
    assert (await api.delete(f"{URL}/{ids[0]}")).status_code == 204
    assert (await api.get(f"{URL}/{ids[0]}")).status_code == 404
    async with sessionmaker() as session:
        left = (await session.execute(select(Extension.credential_id))).scalars().all()
    assert ids[0] not in left and len(left) == 2


async def test_find_extension_is_org_scoped(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, sessionmaker: Any
) -> None:
    mine = await create_credential(api)
    await create_credential(other_api, username="zed", extension="2000")
    async with sessionmaker() as session:
        ext = await session.get(Extension, mine["extension_id"])
        assert ext is not None
        found = await find_extension(session, ext.org_id, mine["extension_id"])
        assert found is not None and found.extension == "1001"
        assert await find_extension(session, "org_other", mine["extension_id"]) is None
        assert await find_extension(session, ext.org_id, "ext_missing") is None


async def test_extension_is_a_transfer_target(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: FakeClock, app: Any
) -> None:
    await create_number(api)
    ext = (await create_credential(api))["extension_id"]
    foreign = (await create_credential(other_api, username="zed", extension="2000"))["extension_id"]
    call = await create_call(api)
    await clock.advance(2)
    r = await api.post(f"/v1/voice/calls/{call['id']}/transfer", json={"to": foreign})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "extension_not_found"
    assert r.json()["error"]["param"] == "to"
    r = await api.post(f"/v1/voice/calls/{call['id']}/transfer", json={"to": ext})
    assert r.status_code == 200, r.text
    legs = (await api.get("/v1/voice/calls", params={"limit": 10})).json()["data"]
    leg = next(c for c in legs if c["parent_call_id"] == call["id"])
    assert leg["to"] == ext and leg["leg_role"] == "transfer"
    assert app.state.runtime.media.get("sim").legs[leg["id"]] is not None
    await clock.advance(2)
    assert (await get_call(api, leg["id"]))["status"] == "in_progress"
    events = (await api.get(f"/v1/voice/calls/{call['id']}/events", params={"limit": 50})).json()
    assert "call.transferred" in {e["type"] for e in events["data"]}
