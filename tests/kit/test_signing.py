"""Signed audio URLs refuse whatever a client puts in them with 403, never a 500: found by
fuzzing (schemathesis) with non-ASCII signatures and ids."""

from __future__ import annotations

import httpx
import pytest

from orbit_voice.kit.signing import url_signature, verify_url_signature


@pytest.mark.parametrize(
    "path", ["recordings/rec_x", "conference-recordings/%F2%BD%B4%ABC", "voicemails/%F0%99%A7%B7"]
)
@pytest.mark.parametrize("signature", ["%C2%A7", "%C3%B8%F4%86%9D%8B", "abc", ""])
async def test_a_bad_signature_is_403(client: httpx.AsyncClient, path: str, signature: str) -> None:
    r = await client.get(f"/v1/voice/{path}/audio?signature={signature}&expires=4102444800")
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "invalid_signature"


def test_only_the_exact_signature_verifies() -> None:
    good = url_signature("secret", "/v1/voice/recordings/rec_1/audio", 100)
    assert verify_url_signature("secret", "/v1/voice/recordings/rec_1/audio", 100, good)
    for bad in (good + "x", good[:-1], "§" + good[1:], "\udcff", ""):
        assert not verify_url_signature("secret", "/v1/voice/recordings/rec_1/audio", 100, bad)
    assert not verify_url_signature("secret", "/v1/voice/recordings/rec_1/audio", 101, good)
