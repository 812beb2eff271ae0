"""Softphone tokens and dialling through the API: claims, TTL, expiry on the server's clock,
tampered / alg=none / wrong-org tokens refused, and the call placed from the caller id."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest

from helpers import CALLER_ID, create_number, get_call
from orbit_voice.kit.clock import FakeClock

TOKEN_URL = "/v1/voice/softphone/token"
DIAL_URL = "/v1/voice/softphone/dial"
SECRET = "test-softphone-jwt-secret-0123456789"  # tests/conftest.py settings


async def extension(api: httpx.AsyncClient, caller_id: str | None = CALLER_ID, **kw: Any) -> str:
    body: dict[str, Any] = {"username": kw.get("username", "alice"), "extension": "1001"}
    if caller_id is not None:
        body["caller_id"] = caller_id
    r = await api.post("/v1/voice/sip-credentials", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["extension_id"])


async def mint(api: httpx.AsyncClient, ext: str, **body: Any) -> dict[str, Any]:
    r = await api.post(TOKEN_URL, json={"extension_id": ext, **body})
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


@pytest.fixture
async def phone(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no API key: what a browser softphone holding only its token has."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_token_claims(api: httpx.AsyncClient) -> None:
    await create_number(api)
    ext = await extension(api)
    data = await mint(api, ext)
    assert data["extension_id"] == ext
    assert data["expires_at"] == "2026-03-08T12:01:00Z"  # 60 s by default
    header = jwt.get_unverified_header(data["token"])
    assert header["alg"] == "HS256"
    claims = jwt.decode(
        data["token"],
        SECRET,
        algorithms=["HS256"],
        audience="orbit-voice:softphone",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["sub"] == ext and claims["org"].startswith("org_")
    assert claims["exp"] - claims["iat"] == 60
    assert claims["mode"] == "test"
    other = await mint(api, ext, ttl_seconds=3600)
    other_claims = jwt.decode(other["token"], options={"verify_signature": False})
    assert other_claims["exp"] - other_claims["iat"] == 3600
    assert other_claims["jti"] != claims["jti"]


@pytest.mark.parametrize("ttl", [0, -5, 3601, "abc"])
async def test_ttl_bounds(api: httpx.AsyncClient, ttl: Any) -> None:
    ext = await extension(api, caller_id=None)
    r = await api.post(TOKEN_URL, json={"extension_id": ext, "ttl_seconds": ttl})
    assert r.status_code == 422 and r.json()["error"]["param"] == "ttl_seconds"


async def test_token_for_unknown_or_foreign_extension(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    foreign = await extension(other_api, caller_id=None, username="zed")
    for ext in [foreign, "ext_missing"]:
        r = await api.post(TOKEN_URL, json={"extension_id": ext})
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "extension_not_found"
    assert (await api.post(TOKEN_URL, json={})).json()["error"]["param"] == "extension_id"


async def test_dial_with_token_places_a_call_from_the_caller_id(
    api: httpx.AsyncClient, phone: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    ext = await extension(api)
    token = (await mint(api, ext))["token"]
    r = await phone.post(DIAL_URL, json={"to": "+14155552671"}, headers=bearer(token))
    assert r.status_code == 201, r.text
    call = r.json()["data"]
    assert call["id"].startswith("call_")
    assert call["from"] == CALLER_ID and call["to"] == "+14155552671"
    assert call["status"] == "initiating" and call["direction"] == "outbound"
    assert call["metadata"]["softphone_extension_id"] == ext
    await clock.advance(2)
    assert (await get_call(api, call["id"]))["status"] == "in_progress"


async def test_dial_with_api_key(api: httpx.AsyncClient) -> None:
    await create_number(api)
    ext = await extension(api)
    r = await api.post(DIAL_URL, json={"to": "+14155552671"})
    assert r.status_code == 422 and r.json()["error"]["param"] == "extension_id"
    r = await api.post(DIAL_URL, json={"to": "+14155552671", "extension_id": ext})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["from"] == CALLER_ID


async def test_dial_validation(api: httpx.AsyncClient, phone: httpx.AsyncClient) -> None:
    await create_number(api)
    no_caller_id = await extension(api, caller_id=None)
    token = (await mint(api, no_caller_id))["token"]
    r = await phone.post(DIAL_URL, json={"to": "+14155552671"}, headers=bearer(token))
    assert r.status_code == 422 and r.json()["error"]["code"] == "caller_id_not_set"
    r = await phone.post(DIAL_URL, json={"to": "4155552671"}, headers=bearer(token))
    assert r.status_code == 422 and r.json()["error"]["param"] == "to"
    r = await phone.post(
        DIAL_URL,
        json={"to": "+14155552671", "extension_id": "ext_other"},
        headers=bearer(token),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "extension_mismatch"
    assert (await api.get("/v1/voice/calls")).json()["meta"]["pagination"]["total"] == 0


async def test_caller_id_released_after_setup(
    api: httpx.AsyncClient, phone: httpx.AsyncClient
) -> None:
    number = await create_number(api)
    ext = await extension(api)
    token = (await mint(api, ext))["token"]
    assert (await api.delete(f"/v1/voice/numbers/{number['id']}")).status_code == 204
    r = await phone.post(DIAL_URL, json={"to": "+14155552671"}, headers=bearer(token))
    assert r.status_code == 422 and r.json()["error"]["code"] == "caller_id_not_owned"


async def test_expired_token_is_401(
    api: httpx.AsyncClient, phone: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    ext = await extension(api)
    token = (await mint(api, ext, ttl_seconds=30))["token"]
    await clock.advance(29)
    r = await phone.post(DIAL_URL, json={"to": "+14155552671"}, headers=bearer(token))
    assert r.status_code == 201
    await clock.advance(1)
    r = await phone.post(DIAL_URL, json={"to": "+14155552671"}, headers=bearer(token))
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_expired"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_forged_tokens_are_401(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, phone: httpx.AsyncClient
) -> None:
    await create_number(api)
    ext = await extension(api)
    token = (await mint(api, ext))["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    head, payload, sig = token.split(".")
    foreign_ext = await extension(other_api, caller_id=None, username="zed")
    other_org = jwt.decode(
        (await mint(other_api, foreign_ext))["token"], options={"verify_signature": False}
    )["org"]
    forged = {
        "tampered payload": f"{head}.{_b64({**claims, 'exp': claims['exp'] + 3600})}.{sig}",
        "tampered signature": f"{head}.{payload}.{sig[:-2]}AA",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "wrong key": jwt.encode(claims, "not-the-secret-but-32-bytes-long!", algorithm="HS256"),
        "HS512": jwt.encode(claims, SECRET + "-long-enough-for-hs512-" * 3, algorithm="HS512"),
        "wrong org": jwt.encode({**claims, "org": other_org}, SECRET, algorithm="HS256"),
        "other org's extension": jwt.encode({**claims, "sub": foreign_ext}, SECRET, "HS256"),
        "no jti": jwt.encode(
            {k: v for k, v in claims.items() if k != "jti"}, SECRET, algorithm="HS256"
        ),
        "wrong audience": jwt.encode({**claims, "aud": "other"}, SECRET, algorithm="HS256"),
        "garbage": "not.a.jwt",
    }
    for name, bad in forged.items():
        r = await phone.post(DIAL_URL, json={"to": "+14155552671"}, headers=bearer(bad))
        assert r.status_code == 401, name
        assert r.json()["error"]["code"] in {"invalid_token", "token_expired"}, name
    r = await phone.post(DIAL_URL, json={"to": "+14155552671"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_credentials"
    # A valid token presented with another org's API key.
    r = await other_api.post(DIAL_URL, json={"to": "+14155552671"}, headers=bearer(token))
    assert r.status_code == 401
    assert (await api.get("/v1/voice/calls")).json()["meta"]["pagination"]["total"] == 0


async def test_deleting_the_credential_revokes_its_tokens(
    api: httpx.AsyncClient, phone: httpx.AsyncClient
) -> None:
    await create_number(api)
    ext = await extension(api)
    token = (await mint(api, ext))["token"]
    cred = (await api.get("/v1/voice/sip-credentials")).json()["data"][0]["id"]
    assert (await api.delete(f"/v1/voice/sip-credentials/{cred}")).status_code == 204
    r = await phone.post(DIAL_URL, json={"to": "+14155552671"}, headers=bearer(token))
    assert r.status_code == 401


async def test_scopes(make_key: Any, phone: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    ext = await extension(api, caller_id=None)
    read_only = {"X-API-Key": await make_key("acme", scopes=["voice:read"])}
    r = await phone.post(TOKEN_URL, json={"extension_id": ext}, headers=read_only)
    assert r.status_code == 403
    r = await phone.post(
        DIAL_URL, json={"to": "+14155552671", "extension_id": ext}, headers=read_only
    )
    assert r.status_code == 403
    r = await phone.post(TOKEN_URL, json={"extension_id": ext})
    assert r.status_code == 401
