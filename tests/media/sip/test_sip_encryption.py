"""A trunk's ``encryption`` on real calls: test phones (second PJSUA processes) listen for SIP
over TLS with certificates made here, with their own SRTP policy, and report how each INVITE
reached them; audio through SRTP is measured with Goertzel filters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from orbit_voice.config import Settings
from orbit_voice.media.sip.adapter import target_uri
from sip_support import (
    CALLER_ID,
    TestPhone,
    TlsAnswerer,
    TlsFiles,
    carrier_trunk,
    decode_mp3,
    event_types,
    live_api,
    make_tls_files,
    needs_sipp,
    phones,
    read_wav,
    running_sip_app,
    sipp,
    tone_amplitude,
    uac,
    until,
    wait_status,
    write_tone,
)

__all__ = ["live_api", "phones", "sipp"]  # fixtures

pytestmark = needs_sipp

PRESENT = 800.0  # Goertzel amplitude of a tone that is there (the phones send ~6000 peak)
ABSENT = 150.0


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, TlsFiles]:
    """Certificates: the phones' (from a CA the engine trusts), the engine's own, a rogue
    one (from a CA nobody trusts) and a misnamed one (the trusted CA's, for another host)."""
    folder = tmp_path / "pki"
    phone = make_tls_files(folder, "phone")
    return {
        "phone": phone,
        "engine": make_tls_files(folder, "engine"),
        "rogue": make_tls_files(folder, "rogue"),
        "misnamed": make_tls_files(folder, "misnamed", ("elsewhere.example",), issuer=phone),
    }


@pytest.fixture
async def sip_app(
    request: pytest.FixtureRequest, settings: Settings, pki: dict[str, TlsFiles]
) -> AsyncIterator[Any]:
    """The engine with a certificate of its own (so it takes calls over TLS) that checks
    trunks' certificates against the phones' CA; a test may override settings through
    ``@pytest.mark.parametrize("sip_app", [{...}], indirect=True)``."""
    values: dict[str, Any] = {
        "sip_tls_cert_file": pki["engine"].cert,
        "sip_tls_key_file": pki["engine"].key,
        "sip_tls_ca_file": pki["phone"].ca,
        "sip_tls_verify_server": True,
        **getattr(request, "param", {}),
    }
    async with running_sip_app(settings, **values) as application:
        yield application


async def _ready(phone: TestPhone) -> TestPhone:
    """Wait for the phone's listeners: a TLS connection to a port not yet open is refused
    at once (UDP would just be retransmitted)."""
    await phone.wait_event(event="ready")
    return phone


async def _trunk_to(api: httpx.AsyncClient, uri: str, encryption: str) -> None:
    await carrier_trunk(api, 5999, termination_uri=uri, encryption=encryption)


async def _place(api: httpx.AsyncClient, **extra: Any) -> str:
    r = await api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID, **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def _calls(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    r = await api.get("/v1/voice/calls")
    assert r.status_code == 200, r.text
    data: list[dict[str, Any]] = r.json()["data"]
    return data


async def test_tls_srtp_call_goes_over_tls_with_sdes_and_carries_audio_both_ways(
    live_api: httpx.AsyncClient,
    sip_app: Any,
    phones: Any,
    pki: dict[str, TlsFiles],
    tmp_path: Path,
) -> None:
    # The phone itself insists on SRTP, so the call only connects if the media is SRTP.
    far_end = await _ready(phones(440, tls=pki["phone"], srtp="mandatory"))
    await _trunk_to(live_api, f"sip:127.0.0.1:{far_end.tls_port}", "tls_srtp")
    call_id = await _place(live_api, record=True)
    await wait_status(live_api, call_id, "in_progress")
    await far_end.wait_event(event="state", state="CONFIRMED")
    backend = sip_app.state.runtime.media.get("sip")
    await backend.play_audio(call_id, write_tone(tmp_path / "ours.wav", 1000), loop=True)
    await asyncio.sleep(2.0)
    assert (await live_api.post(f"/v1/voice/calls/{call_id}/hangup")).status_code == 200
    await wait_status(live_api, call_id, "completed")

    (invite,) = far_end.invites
    assert invite["transport"] == "tls" and invite["via"] == "SIP/2.0/TLS"
    assert invite["request_uri"] == f"sip:+14155552671@127.0.0.1:{far_end.tls_port};transport=tls"
    assert invite["profile"] == "RTP/SAVP" and invite["crypto"] is True

    # Our recording: the far end (left) is the phone's 440 Hz, decrypted.
    rec = (await live_api.get(f"/v1/voice/calls/{call_id}/recording")).json()["data"]
    assert rec["status"] == "completed", rec
    (left, right), rate = decode_mp3((await live_api.get(rec["signed_url"])).content, 2)
    assert tone_amplitude(left, rate, 440) > PRESENT
    assert tone_amplitude(right, rate, 1000) > PRESENT
    # And the phone heard our 1 kHz through its SRTP stream.
    (heard,), heard_rate = read_wav(await far_end.quit())
    assert tone_amplitude(heard, heard_rate, 1000) > PRESENT / 2
    assert tone_amplitude(heard, heard_rate, 440) < ABSENT


@pytest.mark.parametrize(
    ("scheme", "encryption", "request_uri", "crypto"),
    [
        ("sip", "tls", "sip:+14155552671@127.0.0.1:{port};transport=tls", True),
        ("sips", "tls", "sips:+14155552671@127.0.0.1:{port}", True),
        # none keeps the URI's own transport, and sips: means TLS; no SRTP is offered.
        ("sips", "none", "sips:+14155552671@127.0.0.1:{port}", False),
    ],
)
async def test_tls_signalling_with_srtp_offered_only_for_tls(
    live_api: httpx.AsyncClient,
    phones: Any,
    pki: dict[str, TlsFiles],
    scheme: str,
    encryption: str,
    request_uri: str,
    crypto: bool,
) -> None:
    # The phone does not do SRTP: with tls the call still connects, over plain RTP.
    far_end = await _ready(phones(440, tls=pki["phone"], sips=scheme == "sips"))
    await _trunk_to(live_api, f"{scheme}:127.0.0.1:{far_end.tls_port}", encryption)
    call_id = await _place(live_api)
    await wait_status(live_api, call_id, "in_progress")
    await far_end.wait_event(event="state", state="CONFIRMED")
    assert (await live_api.post(f"/v1/voice/calls/{call_id}/hangup")).status_code == 200
    await wait_status(live_api, call_id, "completed")
    (invite,) = far_end.invites
    assert invite["transport"] == "tls" and invite["via"] == "SIP/2.0/TLS"
    assert invite["request_uri"] == request_uri.format(port=far_end.tls_port)
    # tls: RTP/AVP with SDES keys, so SRTP if the far end takes them, RTP if not.
    assert invite["profile"] == "RTP/AVP" and invite["crypto"] is crypto


def test_request_uri_for_each_encryption() -> None:
    uri = "sip:carrier.example.com:5060;transport=udp;lr"
    assert target_uri(uri, "+1415", "none") == "sip:+1415@carrier.example.com:5060;transport=udp;lr"
    # Contradictions are refused by the API; rows from before that check still go over TLS.
    assert target_uri(uri, "+1415", "tls") == "sip:+1415@carrier.example.com:5060;lr;transport=tls"
    assert target_uri("SIPS:c.example.com", "+1415", "tls_srtp") == "sips:+1415@c.example.com"
    assert target_uri("sip:c.example.com", "+1415", "tls_srtp") == (
        "sip:+1415@c.example.com;transport=tls"
    )


async def test_none_trunk_stays_on_udp_with_plain_rtp(
    live_api: httpx.AsyncClient, phones: Any
) -> None:
    far_end = await _ready(phones(440))
    await _trunk_to(live_api, far_end.uri, "none")
    call_id = await _place(live_api)
    await wait_status(live_api, call_id, "in_progress")
    await far_end.wait_event(event="state", state="CONFIRMED")
    assert (await live_api.post(f"/v1/voice/calls/{call_id}/hangup")).status_code == 200
    (invite,) = far_end.invites
    assert invite["transport"] == "udp" and invite["via"] == "SIP/2.0/UDP"
    assert invite["request_uri"] == f"sip:+14155552671@127.0.0.1:{far_end.port}"
    assert invite["profile"] == "RTP/AVP" and invite["crypto"] is False


async def test_tls_srtp_to_a_far_end_refusing_srtp_fails_with_its_sip_code(
    live_api: httpx.AsyncClient, phones: Any, pki: dict[str, TlsFiles]
) -> None:
    far_end = await _ready(phones(440, tls=pki["phone"], srtp="disabled"))
    await _trunk_to(live_api, f"sip:127.0.0.1:{far_end.tls_port}", "tls_srtp")
    call_id = await _place(live_api)
    call = await wait_status(live_api, call_id, "failed")
    assert call["sip_code"] == 488  # Not Acceptable Here: RTP/SAVP is not for this phone
    assert call["end_reason"] == "sip_error"
    assert (await event_types(live_api, call_id))[-1] == "call.failed"
    assert far_end.invites == []  # PJSUA refused the offer before ringing


async def test_tls_srtp_answered_with_plain_rtp_fails_and_is_hung_up(
    live_api: httpx.AsyncClient, pki: dict[str, TlsFiles]
) -> None:
    carrier = TlsAnswerer(pki["phone"])  # answers 200 OK with RTP/AVP to our RTP/SAVP
    try:
        await _trunk_to(live_api, f"sip:127.0.0.1:{carrier.port}", "tls_srtp")
        call_id = await _place(live_api)
        call = await wait_status(live_api, call_id, "failed")
        assert (call["sip_code"], call["end_reason"]) == (488, "srtp_refused")
        assert call["answered_at"] is None
        assert "call.answered" not in await event_types(live_api, call_id)

        async def methods() -> list[str]:
            return [line.split(" ", 1)[0] for line in carrier.requests]

        # The carrier's 200 was acknowledged and the call torn down at once.
        seen = await until(lambda: _has(methods, "BYE"))
        assert seen[0] == "INVITE" and "ACK" in seen
    finally:
        carrier.close()


async def _has(methods: Any, method: str) -> list[str] | None:
    seen: list[str] = await methods()
    return seen if method in seen else None


@pytest.mark.parametrize("cert", ["rogue", "misnamed"])
async def test_a_certificate_that_does_not_verify_fails_the_call(
    live_api: httpx.AsyncClient, phones: Any, pki: dict[str, TlsFiles], cert: str
) -> None:
    far_end = await _ready(phones(440, tls=pki[cert], srtp="optional"))
    await _trunk_to(live_api, f"sip:127.0.0.1:{far_end.tls_port}", "tls")
    call_id = await _place(live_api)
    call = await wait_status(live_api, call_id, "failed")
    assert (call["sip_code"], call["end_reason"]) == (503, "tls_failed")
    assert far_end.invites == []  # no INVITE was ever sent to it


@pytest.mark.parametrize("sip_app", [{"sip_tls_verify_server": False}], indirect=True)
async def test_with_verification_off_any_certificate_is_taken(
    live_api: httpx.AsyncClient, phones: Any, pki: dict[str, TlsFiles]
) -> None:
    far_end = await _ready(phones(440, tls=pki["rogue"], srtp="optional"))
    await _trunk_to(live_api, f"sip:127.0.0.1:{far_end.tls_port}", "tls_srtp")
    call_id = await _place(live_api)
    await wait_status(live_api, call_id, "in_progress")
    assert far_end.invites[0]["transport"] == "tls"
    assert (await live_api.post(f"/v1/voice/calls/{call_id}/hangup")).status_code == 200


@pytest.mark.parametrize("via", ["UDP", "TLS"])
async def test_inbound_over_udp_from_a_tls_trunk_is_refused_403(
    live_api: httpx.AsyncClient,
    sip_app: Any,
    sipp: Any,
    via: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="orbit_voice.media.sip.inbound")
    await carrier_trunk(live_api, 5999, encryption="tls")
    # The transport the INVITE came on counts, not its Via: a Via claiming TLS (with
    # rport, so the answer still comes back over UDP) is refused all the same.
    spoof = {"transport": via, "branch": "z9hG4bK-orbit-spoof;rport"} if via == "TLS" else {}
    caller = uac(
        sipp, "caller_refused", sip_app.state.settings.sip_port, CALLER_ID, code="403", **spoof
    )
    assert await caller.wait() == 0
    assert await _calls(live_api) == []
    assert "over udp refused 403: the trunk's encryption is tls" in caplog.text


@pytest.mark.parametrize(("transport", "encryption"), [("tls", "tls_srtp"), ("udp", "none")])
async def test_inbound_srtp_offer_is_taken_and_talks_both_ways(
    live_api: httpx.AsyncClient,
    sip_app: Any,
    phones: Any,
    pki: dict[str, TlsFiles],
    tmp_path: Path,
    transport: str,
    encryption: str,
) -> None:
    await carrier_trunk(live_api, 5999, encryption=encryption)
    # The caller insists on SRTP (RTP/SAVP with SDES keys): we must answer in kind.
    caller = await _ready(phones(440, tls=pki["phone"], srtp="mandatory"))
    settings = sip_app.state.settings
    target = (
        f"127.0.0.1:{settings.sip_tls_port};transport=tls"
        if transport == "tls"
        else f"127.0.0.1:{settings.sip_port}"
    )
    caller.send(cmd="call", uri=f"sip:{CALLER_ID}@{target}")
    call = (await until(lambda: _calls(live_api)))[0]
    assert (call["direction"], call["status"]) == ("inbound", "ringing")
    r = await live_api.post(f"/v1/voice/calls/{call['id']}/accept")
    assert r.status_code == 200, r.text
    await wait_status(live_api, call["id"], "in_progress")
    await caller.wait_event(event="state", state="CONFIRMED")
    backend = sip_app.state.runtime.media.get("sip")
    await backend.play_audio(call["id"], write_tone(tmp_path / "ours.wav", 1000), loop=True)
    await backend.start_recording(call["id"], tmp_path / "inbound", dual_channel=True)
    await asyncio.sleep(1.5)
    result = await backend.stop_recording(call["id"], trim=False)
    (far, _near), rate = decode_mp3(result.path.read_bytes(), 2)
    assert tone_amplitude(far, rate, 440) > PRESENT  # we hear the caller
    (heard,), heard_rate = read_wav(await caller.quit())
    assert tone_amplitude(heard, heard_rate, 1000) > PRESENT / 2  # the caller hears us
    await wait_status(live_api, call["id"], "completed")


async def test_inbound_over_tls_without_srtp_to_a_tls_srtp_trunk_is_refused_488(
    live_api: httpx.AsyncClient, sip_app: Any, phones: Any, pki: dict[str, TlsFiles]
) -> None:
    await carrier_trunk(live_api, 5999, encryption="tls_srtp")
    caller = await _ready(phones(440, tls=pki["phone"], srtp="disabled"))
    engine_tls = sip_app.state.settings.sip_tls_port
    caller.send(cmd="call", uri=f"sip:{CALLER_ID}@127.0.0.1:{engine_tls};transport=tls")
    await caller.wait_event(event="state", state="DISCONNECTED", code=488)
    assert await _calls(live_api) == []
