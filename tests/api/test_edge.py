"""The API edge as every endpoint shares it: auth, scopes, envelope, errors."""

from __future__ import annotations

import httpx

from conftest import KeyMaker
from helpers import create_number


async def test_missing_key_is_401_in_the_envelope(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/voice/calls")
    assert r.status_code == 401
    body = r.json()
    assert body["error"]["code"] == "missing_api_key"
    assert body["meta"]["request_id"] == r.headers["X-Request-Id"]


async def test_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/voice/calls", headers={"X-API-Key": "dv_test_sk_nope"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_api_key"


async def test_revoked_key_is_401(
    client: httpx.AsyncClient, make_key: KeyMaker, app: object
) -> None:
    from orbit_voice.orgs.service import revoke_key

    key = await make_key("acme")
    assert (await client.get("/v1/voice/calls", headers={"X-API-Key": key})).status_code == 200
    async with app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        await revoke_key(session, key[:19], app.state.clock.now())  # type: ignore[attr-defined]
        await session.commit()
    r = await client.get("/v1/voice/calls", headers={"X-API-Key": key})
    assert r.status_code == 401


async def test_keys_are_long_and_prefixed(make_key: KeyMaker) -> None:
    test_key = await make_key("acme", test=True)
    live_key = await make_key("acme", test=False)
    assert test_key.startswith("dv_test_sk_")
    assert live_key.startswith("dv_live_sk_")
    # 43 base62 characters carry more than 256 bits.
    assert len(test_key.removeprefix("dv_test_sk_")) >= 43


async def test_key_is_stored_only_as_a_hash(make_key: KeyMaker, app: object) -> None:
    from sqlalchemy import select

    from orbit_voice.orgs.models import ApiKey

    raw = await make_key("acme")
    async with app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = (await session.execute(select(ApiKey))).scalars().all()
    for row in rows:
        assert raw not in (row.key_hash, row.prefix, row.id)
        assert len(row.key_hash) == 64


async def test_missing_scope_is_403(client: httpx.AsyncClient, make_key: KeyMaker) -> None:
    reader = await make_key("acme", scopes=["voice:read"])
    headers = {"X-API-Key": reader}
    assert (await client.get("/v1/voice/calls", headers=headers)).status_code == 200
    r = await client.post("/v1/voice/numbers", json={"number": "+12025551234"}, headers=headers)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "insufficient_scope"
    assert r.json()["error"]["details"] == {"required_scope": "voice:write"}


async def test_unknown_route_and_wrong_method(api: httpx.AsyncClient) -> None:
    r = await api.get("/v1/voice/nothing-here")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    r = await api.delete("/v1/voice/calls")
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert "meta" in r.json()


async def test_validation_error_names_the_field(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/voice/numbers", json={"number": "555-1234"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert err["param"] == "number"
    assert "E.164" in err["message"]


async def test_malformed_json_is_422(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/v1/voice/numbers", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"


async def test_list_envelope_has_pagination(api: httpx.AsyncClient) -> None:
    await create_number(api)
    r = await api.get("/v1/voice/numbers")
    body = r.json()
    assert body["meta"]["pagination"] == {"cursor": None, "has_more": False, "total": 1}
    assert body["meta"]["timestamp"].endswith("Z")


async def test_limit_above_100_is_422(api: httpx.AsyncClient) -> None:
    r = await api.get("/v1/voice/calls", params={"limit": 101})
    assert r.status_code == 422
    assert r.json()["error"]["param"] == "limit"


async def test_garbage_cursor_is_422(api: httpx.AsyncClient) -> None:
    r = await api.get("/v1/voice/calls", params={"cursor": "!!!"})
    assert r.status_code == 422
    assert r.json()["error"]["param"] == "cursor"


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["database"] == "ok"


async def test_openapi_documents_the_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in [
        "/v1/voice/calls",
        "/v1/voice/calls/{call_id}",
        "/v1/voice/calls/{call_id}/recording",
        "/v1/voice/calls/{call_id}/warm-transfer/complete",
        "/v1/voice/numbers/{number_id}",
        "/v1/voice/webhook-deliveries",
        "/v1/voice/simulator/inbound",
    ]:
        assert path in paths, path
    assert "X-API-Key" in str(spec["components"]["securitySchemes"])
    create = paths["/v1/voice/calls"]["post"]
    assert "201" in create["responses"] and "422" in create["responses"]
    assert (await client.get("/docs")).status_code == 200
    # Every operation documents the error envelope it can answer with (a fuzzer found
    # operations that answered 400, 403 or 404 without saying so).
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path, operations in paths.items():
        if not path.startswith("/v1/voice"):
            continue
        for method, operation in operations.items():
            for status in ("400", "401", "403", "404", "409", "422"):
                response = operation["responses"].get(status)
                assert response, (method, path, status)
                assert response["content"]["application/json"]["schema"] == envelope
