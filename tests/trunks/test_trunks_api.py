"""SIP trunks through the API: validation, defaults, write-only encrypted passwords, the
default trunk, numbers' trunk_id and which trunk a call leaves through."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from helpers import create_number
from orbit_voice.kit.clock import FakeClock
from orbit_voice.trunks.models import Trunk
from orbit_voice.trunks.service import decrypt_password, trunk_for_call

SPEC_BODY = {
    "name": "Primary Carrier",
    "termination_uri": "sip:trunk.carrier.com:5060",
    "origination_uris": ["sip:orbit-gw.devotel.io"],
    "auth_username": "orbit_user",
    "auth_password": "secure_password",
    "codecs": ["OPUS", "PCMU"],
    "encryption": "tls_srtp",
}


async def create_trunk(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Carrier", "termination_uri": "sip:trunk.carrier.com:5060", **fields}
    r = await api.post("/v1/voice/sip-trunks", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def test_spec_example(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/voice/sip-trunks", json=SPEC_BODY)
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["id"].startswith("trunk_")
    assert data["name"] == "Primary Carrier"
    assert data["termination_uri"] == "sip:trunk.carrier.com:5060"
    assert data["status"] == "active"
    assert data["codecs"] == ["OPUS", "PCMU"]
    assert data["encryption"] == "tls_srtp"
    assert data["created_at"] == "2026-03-08T12:00:00Z"
    assert data["origination_uris"] == ["sip:orbit-gw.devotel.io"]
    assert data["auth_username"] == "orbit_user"
    assert data["has_auth_password"] is True
    assert data["is_default"] is True
    assert "auth_password" not in data and "secure_password" not in r.text


async def test_defaults(api: httpx.AsyncClient) -> None:
    data = await create_trunk(api)
    assert data["codecs"] == ["PCMU", "PCMA", "OPUS"]
    assert data["encryption"] == "tls_srtp"
    assert data["origination_uris"] == []
    assert data["auth_username"] is None and data["has_auth_password"] is False


@pytest.mark.parametrize(
    "uri",
    [
        "sip:trunk.carrier.com",
        "sips:trunk.carrier.com:5061",
        "SIP:trunk.carrier.com:1",
        "sip:203.0.113.7:65535",
        "sip:[2001:db8::1]:5060",
        "sip:user@trunk.carrier.com;transport=tls",
        "sip:trunk.carrier.com:5060;transport=udp;lr",
    ],
)
async def test_valid_sip_uris(api: httpx.AsyncClient, uri: str) -> None:
    # A URI asking for UDP only goes with an unencrypted trunk (see the next test).
    encryption = "none" if "transport=udp" in uri else "tls_srtp"
    data = await create_trunk(api, termination_uri=uri, encryption=encryption)
    assert data["termination_uri"].lower() == uri.lower()
    assert data["termination_uri"].startswith(("sip:", "sips:"))


async def test_encrypted_trunk_refuses_a_uri_asking_for_another_transport(
    api: httpx.AsyncClient,
) -> None:
    for encryption in ("tls_srtp", "tls"):
        for uri in ("sip:t.example.com;transport=udp", "sip:t.example.com:5060;transport=TCP"):
            r = await api.post(
                "/v1/voice/sip-trunks",
                json={"name": "x", "termination_uri": uri, "encryption": encryption},
            )
            assert r.status_code == 422, (encryption, uri)
            error = r.json()["error"]
            assert (error["code"], error["param"]) == (
                "encryption_transport_conflict",
                "termination_uri",
            )
    # Agreeing or silent URIs are fine; none takes the URI's transport as it is.
    for uri, encryption in [
        ("sip:t.example.com;transport=tls", "tls_srtp"),
        ("sips:t.example.com", "tls"),
        ("sip:t.example.com;transport=udp", "none"),
    ]:
        await create_trunk(api, termination_uri=uri, encryption=encryption)
    # An update is held against the trunk it produces, and names the field it changed.
    trunk = await create_trunk(
        api, termination_uri="sip:t.example.com;transport=udp", encryption="none"
    )
    url = f"/v1/voice/sip-trunks/{trunk['id']}"
    r = await api.put(url, json={"encryption": "tls"})
    assert r.status_code == 422 and r.json()["error"]["param"] == "encryption"
    tls = await create_trunk(api, termination_uri="sip:t.example.com", encryption="tls")
    r = await api.put(
        f"/v1/voice/sip-trunks/{tls['id']}",
        json={"termination_uri": "sip:t.example.com;transport=tcp"},
    )
    assert r.status_code == 422 and r.json()["error"]["param"] == "termination_uri"
    r = await api.put(
        url, json={"encryption": "tls", "termination_uri": "sip:t.example.com;transport=tls"}
    )
    assert r.status_code == 200 and r.json()["data"]["encryption"] == "tls"


@pytest.mark.parametrize(
    "uri",
    [
        "trunk.carrier.com",
        "http://trunk.carrier.com",
        "tel:+14155552671",
        "sip:",
        "sip:trunk.carrier.com:0",
        "sip:trunk.carrier.com:65536",
        "sip:trunk.carrier.com:port",
        "sip:bad_host!.com",
        "sip:-bad.example.com",
        "sip:999.1.1.1",
        "sip:[nothex]:5060",
        "sip:user:secret@trunk.carrier.com",
        "sip:trunk.carrier.com;bad param",
        "sip:trunk.carrier.com ",
    ],
)
async def test_invalid_termination_uri_is_422(api: httpx.AsyncClient, uri: str) -> None:
    r = await api.post("/v1/voice/sip-trunks", json={"name": "x", "termination_uri": uri})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["param"] == "termination_uri"
    assert (await api.get("/v1/voice/sip-trunks")).json()["meta"]["pagination"]["total"] == 0


async def test_invalid_origination_uri_names_its_index(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/v1/voice/sip-trunks",
        json={
            "name": "x",
            "termination_uri": "sip:a.example.com",
            "origination_uris": ["sip:ok.example.com", "sip:bad.example.com:70000"],
        },
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["param"] == "origination_uris[1]"
    assert "65535" in error["message"]


async def test_codecs(api: httpx.AsyncClient) -> None:
    data = await create_trunk(api, codecs=["g722", "opus", "AMR-WB", "iLBC"])
    assert data["codecs"] == ["G722", "OPUS", "AMR-WB", "iLBC"]  # canonical, order kept
    for codecs, param in [
        (["PCMU", "MP3"], "codecs[1]"),
        (["PCMU", "pcmu"], "codecs[1]"),
        ([], "codecs"),
    ]:
        r = await api.post(
            "/v1/voice/sip-trunks",
            json={"name": "x", "termination_uri": "sip:a.example.com", "codecs": codecs},
        )
        assert r.status_code == 422, codecs
        assert r.json()["error"]["param"] == param
    r = await api.post(
        "/v1/voice/sip-trunks",
        json={"name": "x", "termination_uri": "sip:a.example.com", "encryption": "srtp"},
    )
    assert r.status_code == 422 and r.json()["error"]["param"] == "encryption"


async def test_password_is_write_only_and_encrypted_at_rest(
    api: httpx.AsyncClient, sessionmaker: Any, app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "s3cret-Trunk-Pa55word"
    created = await create_trunk(api, auth_username="orbit_user", auth_password=secret)
    responses = [
        await api.get("/v1/voice/sip-trunks"),
        await api.get(f"/v1/voice/sip-trunks/{created['id']}"),
        await api.put(f"/v1/voice/sip-trunks/{created['id']}", json={"name": "Renamed"}),
    ]
    for r in responses:
        assert r.status_code == 200
        assert secret not in r.text and '"auth_password"' not in r.text
    assert responses[2].json()["data"]["has_auth_password"] is True
    assert secret not in caplog.text
    async with sessionmaker() as session:
        trunk = (await session.execute(select(Trunk))).scalar_one()
    assert trunk.auth_password_encrypted is not None
    assert secret not in trunk.auth_password_encrypted
    assert decrypt_password(app.state.settings, trunk) == secret
    other = app.state.settings.model_copy(update={"encryption_key": "another-key"})
    assert decrypt_password(other, trunk) is None


async def test_update_is_partial_and_can_clear_password(api: httpx.AsyncClient) -> None:
    trunk = await create_trunk(
        api, auth_username="u", auth_password="p4ssword", codecs=["PCMA"], carrier="Acme Tel"
    )
    url = f"/v1/voice/sip-trunks/{trunk['id']}"
    r = await api.put(url, json={"encryption": "none", "origination_uris": ["sip:1.2.3.4"]})
    data = r.json()["data"]
    assert r.status_code == 200
    assert data["encryption"] == "none" and data["origination_uris"] == ["sip:1.2.3.4"]
    assert data["codecs"] == ["PCMA"] and data["has_auth_password"] is True
    assert data["carrier"] == "Acme Tel" and data["name"] == "Carrier"
    r = await api.put(url, json={"auth_username": None})
    assert r.status_code == 422 and r.json()["error"]["param"] == "auth_username"
    r = await api.put(url, json={"auth_password": None})
    assert r.status_code == 200 and r.json()["data"]["has_auth_password"] is False
    for body, param in [
        ({"name": None}, "name"),
        ({"termination_uri": "sip:x.example.com:99999"}, "termination_uri"),
        ({"codecs": ["XYZ"]}, "codecs[0]"),
        ({"bogus": 1}, "bogus"),
    ]:
        r = await api.put(url, json=body)
        assert r.status_code == 422 and r.json()["error"]["param"] == param, body
    assert (await api.get(url)).json()["data"]["termination_uri"] == "sip:trunk.carrier.com:5060"


async def test_password_needs_username(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/v1/voice/sip-trunks",
        json={"name": "x", "termination_uri": "sip:a.example.com", "auth_password": "pw"},
    )
    assert r.status_code == 422 and r.json()["error"]["param"] == "auth_username"


async def test_default_trunk(api: httpx.AsyncClient, clock: FakeClock) -> None:
    first = await create_trunk(api, name="first")
    await clock.advance(1)
    second = await create_trunk(api, name="second")
    await clock.advance(1)
    assert first["is_default"] is True and second["is_default"] is False
    third = await create_trunk(api, name="third", is_default=True)
    assert third["is_default"] is True
    listed = {
        t["name"]: t["is_default"] for t in (await api.get("/v1/voice/sip-trunks")).json()["data"]
    }
    assert listed == {"first": False, "second": False, "third": True}
    r = await api.put(f"/v1/voice/sip-trunks/{second['id']}", json={"is_default": True})
    assert r.json()["data"]["is_default"] is True
    r = await api.put(f"/v1/voice/sip-trunks/{second['id']}", json={"is_default": False})
    assert r.status_code == 422 and r.json()["error"]["code"] == "default_trunk_required"
    # Deleting the default promotes the oldest remaining trunk.
    assert (await api.delete(f"/v1/voice/sip-trunks/{second['id']}")).status_code == 204
    r = await api.get(f"/v1/voice/sip-trunks/{first['id']}")
    assert r.json()["data"]["is_default"] is True


async def test_list_get_delete_and_tenancy(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, clock: FakeClock
) -> None:
    ids = []
    for i in range(3):
        ids.append((await create_trunk(api, name=f"t{i}"))["id"])
        await clock.advance(1)
    r = await api.get("/v1/voice/sip-trunks", params={"limit": 2})
    body = r.json()
    assert [t["id"] for t in body["data"]] == ids[::-1][:2]
    assert body["meta"]["pagination"]["has_more"] is True
    assert body["meta"]["pagination"]["total"] == 3
    r = await api.get(
        "/v1/voice/sip-trunks", params={"cursor": body["meta"]["pagination"]["cursor"]}
    )
    assert [t["id"] for t in r.json()["data"]] == ids[:1]
    assert (await other_api.get("/v1/voice/sip-trunks")).json()["data"] == []
    for method in ("get", "put", "delete"):
        kwargs: dict[str, Any] = {"json": {"name": "x"}} if method == "put" else {}
        r = await getattr(other_api, method)(f"/v1/voice/sip-trunks/{ids[0]}", **kwargs)
        assert r.status_code == 404 and r.json()["error"]["code"] == "trunk_not_found"
    assert (await api.delete(f"/v1/voice/sip-trunks/{ids[0]}")).status_code == 204
    assert (await api.get(f"/v1/voice/sip-trunks/{ids[0]}")).status_code == 404


async def test_numbers_trunk_id_and_delete_in_use(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    trunk = await create_trunk(api)
    foreign = await create_trunk(other_api)
    r = await api.post(
        "/v1/voice/numbers", json={"number": "+12025550100", "trunk_id": foreign["id"]}
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "trunk_not_found"
    assert r.json()["error"]["param"] == "trunk_id"
    r = await api.post(
        "/v1/voice/numbers", json={"number": "+12025550100", "trunk_id": trunk["id"]}
    )
    assert r.status_code == 201 and r.json()["data"]["trunk_id"] == trunk["id"]
    number = r.json()["data"]
    r = await api.delete(f"/v1/voice/sip-trunks/{trunk['id']}")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "trunk_in_use"
    assert r.json()["error"]["details"]["number_ids"] == [number["id"]]
    # A label-only update leaves the trunk alone; null detaches it.
    r = await api.put(f"/v1/voice/numbers/{number['id']}", json={"label": "main"})
    assert r.json()["data"]["trunk_id"] == trunk["id"]
    r = await api.put(f"/v1/voice/numbers/{number['id']}", json={"trunk_id": "trunk_nope"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "trunk_not_found"
    r = await api.put(f"/v1/voice/numbers/{number['id']}", json={"trunk_id": None})
    assert r.status_code == 200 and r.json()["data"]["trunk_id"] is None
    assert (await api.delete(f"/v1/voice/sip-trunks/{trunk['id']}")).status_code == 204


async def test_trunk_for_call(api: httpx.AsyncClient, sessionmaker: Any) -> None:
    org_number = await create_number(api)
    async with sessionmaker() as session:
        assert await trunk_for_call(session, "org_none", org_number["number"]) is None
    default = await create_trunk(api, name="default")
    special = await create_trunk(api, name="special")
    r = await api.post(
        "/v1/voice/numbers", json={"number": "+12025550111", "trunk_id": special["id"]}
    )
    assert r.status_code == 201
    org_id = await _org_id(sessionmaker, default["id"])
    async with sessionmaker() as session:
        via_number = await trunk_for_call(session, org_id, "+12025550111")
        via_default = await trunk_for_call(session, org_id, org_number["number"])
        via_unknown = await trunk_for_call(session, org_id, "+19995550000")
    assert via_number is not None and via_number.id == special["id"]
    assert via_default is not None and via_default.id == default["id"]
    assert via_unknown is not None and via_unknown.id == default["id"]


async def _org_id(sessionmaker: Any, trunk_id: str) -> str:
    async with sessionmaker() as session:
        trunk = await session.get(Trunk, trunk_id)
        assert trunk is not None
        return trunk.org_id


async def test_scopes(make_key: Any, client: httpx.AsyncClient) -> None:
    key = await make_key("acme", scopes=["voice:read"])
    r = await client.post(
        "/v1/voice/sip-trunks",
        json={"name": "x", "termination_uri": "sip:a.example.com"},
        headers={"X-API-Key": key},
    )
    assert r.status_code == 403
    r = await client.get("/v1/voice/sip-trunks")
    assert r.status_code == 401
