"""Bad input on each field of POST /calls: 422 naming the field, and no row written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from helpers import CALLER_ID, create_number
from orbit_voice.errors import Invalid
from orbit_voice.webhooks.ssrf import check_url

GOOD = {"to": "+14155552671", "from": CALLER_ID}


@pytest.mark.parametrize(
    ("patch", "param", "code"),
    [
        ({"to": "4155552671"}, "to", "validation_error"),
        ({"to": "+1415"}, "to", "validation_error"),
        ({"to": None}, "to", "validation_error"),
        ({"from": "+14155550000"}, "from", "from_not_owned"),
        ({"from": "not a number"}, "from", "validation_error"),
        ({"agent_id": "agt_missing"}, "agent_id", "agent_not_found"),
        ({"ivr_id": "ivr_main"}, "ivr_id", "ivr_not_found"),
        ({"webhook_url": "ftp://example.com/x"}, "webhook_url", "validation_error"),
        ({"record": "sometimes"}, "record", "validation_error"),
        ({"max_duration": 0}, "max_duration", "validation_error"),
        ({"max_duration": 14401}, "max_duration", "validation_error"),
        ({"metadata": {f"k{i}": "v" for i in range(51)}}, "metadata", "validation_error"),
        ({"metadata": {"blob": "x" * 17000}}, "metadata", "validation_error"),
        ({"metadata": ["not", "an", "object"]}, "metadata", "validation_error"),
        ({"colour": "blue"}, "colour", "validation_error"),
    ],
)
async def test_bad_field(
    api: httpx.AsyncClient, patch: dict[str, Any], param: str, code: str
) -> None:
    await create_number(api)
    r = await api.post("/v1/voice/calls", json={**GOOD, **patch})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert (error["param"], error["code"]) == (param, code)
    listed = await api.get("/v1/voice/calls")
    assert listed.json()["meta"]["pagination"]["total"] == 0


async def test_missing_required_fields(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/voice/calls", json={"from": CALLER_ID})
    assert r.json()["error"]["param"] == "to"
    r = await api.post("/v1/voice/calls", json={"to": "+14155552671"})
    assert r.json()["error"]["param"] == "from"


async def test_another_orgs_agent_is_not_found(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient
) -> None:
    await create_number(api)
    r = await other_api.post("/v1/voice/agents", json={"name": "Theirs"})
    theirs = r.json()["data"]["id"]
    r = await api.post("/v1/voice/calls", json={**GOOD, "agent_id": theirs})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "agent_not_found"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
    ],
)
async def test_ssrf_guard_refuses_private_targets(url: str) -> None:
    with pytest.raises(Invalid) as caught:
        await check_url(url, allow_private=False)
    assert caught.value.param == "webhook_url"
    assert await check_url(url, allow_private=True) == url


async def test_ssrf_guard_accepts_public_ip() -> None:
    assert await check_url("https://93.184.216.34/hook", allow_private=False)
