"""The async SDK against the real app in-process (httpx.ASGITransport): every resource,
typed models, cursor iteration and errors carrying the envelope's fields."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from orbit_voice.client import (
    AsyncOrbitClient,
    AuthenticationError,
    Call,
    ConflictError,
    NotFoundError,
    OrbitAPIError,
    PermissionDeniedError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
)
from orbit_voice.kit.clock import FakeClock

CALLER_ID = "+12025551234"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def orbit(app: Any, make_key: Any) -> AsyncIterator[AsyncOrbitClient]:
    key = await make_key("acme")
    async with AsyncOrbitClient(
        api_key=key, base_url="http://test", transport=httpx.ASGITransport(app=app)
    ) as client:
        yield client


async def test_spec_example_and_calls(orbit: AsyncOrbitClient, clock: FakeClock) -> None:
    await orbit.voice.numbers.create(number=CALLER_ID, label="main")
    agent = await orbit.voice.agents.create(name="Support", kind="ai")

    call = await orbit.voice.calls.create(
        to="+14155552671",
        from_number=CALLER_ID,
        agent_id=agent.data.id,
        record=True,
    )

    assert call.data.id.startswith("call_")
    assert isinstance(call.data, Call)
    assert call.data.from_ == CALLER_ID and call.data.status == "initiating"
    assert call.data.record is True and call.meta.request_id.startswith("req_")
    await clock.advance(2)
    got = await orbit.voice.calls.get(call.data.id)
    assert got.data.status == "in_progress"
    assert (await orbit.voice.calls.mute(call.data.id)).data.muted is True
    assert (await orbit.voice.calls.unmute(call.data.id)).data.muted is False
    assert (await orbit.voice.calls.hold(call.data.id)).data.on_hold is True
    assert (await orbit.voice.calls.unhold(call.data.id)).data.on_hold is False
    await orbit.voice.calls.send_dtmf(call.data.id, "12#")
    rec = await orbit.voice.calls.start_recording(call.data.id, dual_channel=True)
    assert rec.data.status == "in_progress"
    await clock.advance(3)
    stopped = await orbit.voice.calls.stop_recording(call.data.id)
    assert stopped.data.status == "completed" and stopped.data.signed_url
    assert (await orbit.voice.calls.recording(call.data.id)).data.id == rec.data.id
    events = [e.type async for e in orbit.voice.calls.iter_events(call.data.id, limit=2)]
    assert "call.answered" in events and "call.dtmf.sent" in events
    page = await orbit.voice.calls.events(call.data.id, limit=1)
    assert len(page.data) == 1 and page.meta.pagination.has_more
    ended = await orbit.voice.calls.hangup(call.data.id)
    assert ended.data.status == "completed"
    with pytest.raises(ConflictError) as info:
        await orbit.voice.calls.hangup(call.data.id)
    assert info.value.code == "call_not_active" and info.value.status == 409


async def test_transfers_and_inbound(orbit: AsyncOrbitClient, clock: FakeClock) -> None:
    await orbit.voice.numbers.create(number=CALLER_ID)
    cred = await orbit.voice.sip_credentials.create(username="desk", extension="1001")
    call = await orbit.voice.calls.create(to="+14155552671", from_number=CALLER_ID)
    await clock.advance(2)
    await orbit.voice.calls.transfer(call.data.id, to=cred.data.extension_id)
    legs = [c async for c in orbit.voice.calls.iter() if c.parent_call_id == call.data.id]
    assert legs and legs[0].to == cred.data.extension_id
    other = await orbit.voice.calls.create(to="+14155550000", from_number=CALLER_ID)
    await clock.advance(2)
    warm = await orbit.voice.calls.warm_transfer(
        other.data.id, to="+14155550001", whisper_message="VIP"
    )
    assert warm.data.warm_transfer is not None
    await orbit.voice.calls.cancel_warm_transfer(other.data.id)
    inbound = await orbit.voice.simulator.inbound(from_number="+14155559999", to=CALLER_ID)
    assert inbound.data.status == "ringing"
    assert (await orbit.voice.calls.accept(inbound.data.id)).data.status == "in_progress"
    await orbit.voice.simulator.press(inbound.data.id, "5")
    await orbit.voice.simulator.hangup(inbound.data.id)
    second = await orbit.voice.simulator.inbound(from_number="+14155559998", to=CALLER_ID)
    assert (await orbit.voice.calls.decline(second.data.id)).data.status == "busy"


async def test_cursor_iteration(orbit: AsyncOrbitClient, clock: FakeClock) -> None:
    ids = []
    for i in range(5):
        ids.append((await orbit.voice.agents.create(name=f"a{i}", kind="human")).data.id)
        await clock.advance(1)
    seen = [a.id async for a in orbit.voice.agents.iter(limit=2)]
    assert seen == ids[::-1]
    page = await orbit.voice.agents.list(limit=2)
    assert page.meta.pagination.total == 5 and page.meta.pagination.cursor
    nxt = await orbit.voice.agents.list(limit=2, cursor=page.meta.pagination.cursor)
    assert [a.id for a in nxt.data] == ids[::-1][2:4]


async def test_agent_contact(orbit: AsyncOrbitClient) -> None:
    agent = (await orbit.voice.agents.create(name="Jane", sip_uri="sip:jane@pbx.example.com")).data
    assert (agent.sip_uri, agent.phone_number) == ("sip:jane@pbx.example.com", None)
    updated = (await orbit.voice.agents.update(agent.id, phone_number="+14155550123")).data
    assert (updated.sip_uri, updated.phone_number) == ("sip:jane@pbx.example.com", "+14155550123")


async def test_numbers_trunks_credentials_softphone(orbit: AsyncOrbitClient) -> None:
    trunk = await orbit.voice.sip_trunks.create(
        name="Primary Carrier",
        termination_uri="sip:trunk.carrier.com:5060",
        auth_username="u",
        auth_password="secure_password",
        codecs=["OPUS", "PCMU"],
    )
    assert trunk.data.id.startswith("trunk_") and trunk.data.has_auth_password
    assert "secure_password" not in trunk.model_dump_json()
    number = await orbit.voice.numbers.create(number=CALLER_ID, trunk_id=trunk.data.id)
    assert number.data.trunk_id == trunk.data.id
    assert (await orbit.voice.numbers.get(number.data.id)).data.number == CALLER_ID
    assert [n.id async for n in orbit.voice.numbers.iter()] == [number.data.id]
    with pytest.raises(ConflictError) as conflict:
        await orbit.voice.sip_trunks.delete(trunk.data.id)
    assert conflict.value.code == "trunk_in_use"
    await orbit.voice.numbers.update(number.data.id, trunk_id=None)
    updated = await orbit.voice.sip_trunks.update(trunk.data.id, encryption="tls")
    assert updated.data.encryption == "tls"
    assert [t.id async for t in orbit.voice.sip_trunks.iter()] == [trunk.data.id]
    assert (await orbit.voice.sip_trunks.list()).data[0].name == "Primary Carrier"
    with pytest.raises(UnprocessableEntityError) as invalid:
        await orbit.voice.sip_trunks.create(name="x", termination_uri="sip:a.example.com:0")
    assert invalid.value.param == "termination_uri" and invalid.value.request_id

    cred = await orbit.voice.sip_credentials.create(
        username="alice", extension="1001", caller_id=CALLER_ID
    )
    assert len(cred.data.password) >= 20
    rotated = await orbit.voice.sip_credentials.rotate(cred.data.id)
    assert rotated.data.password != cred.data.password
    got = await orbit.voice.sip_credentials.get(cred.data.id)
    assert got.data.register_state == "unregistered" and "password" not in got.data.model_dump()
    await orbit.voice.sip_credentials.update(cred.data.id, display_name="Alice")
    assert [c.display_name async for c in orbit.voice.sip_credentials.iter()] == ["Alice"]
    assert len((await orbit.voice.sip_credentials.list()).data) == 1

    token = await orbit.voice.softphone.create_token(extension_id=cred.data.extension_id)
    dialled = await orbit.voice.softphone.dial(to="+14155552671", token=token.data.token)
    assert dialled.data.from_ == CALLER_ID
    by_key = await orbit.voice.softphone.dial(
        to="+14155552671", extension_id=cred.data.extension_id
    )
    assert by_key.data.id != dialled.data.id
    with pytest.raises(AuthenticationError):
        await orbit.voice.softphone.dial(to="+14155552671", token=token.data.token + "x")

    await orbit.voice.sip_credentials.delete(cred.data.id)
    with pytest.raises(NotFoundError) as missing:
        await orbit.voice.sip_credentials.get(cred.data.id)
    assert missing.value.code == "sip_credential_not_found"
    await orbit.voice.numbers.delete(number.data.id)
    await orbit.voice.sip_trunks.delete(trunk.data.id)
    assert (await orbit.voice.sip_trunks.list()).data == []


async def test_clones(orbit: AsyncOrbitClient, tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is needed: `make system-deps` installs it")
    sample = tmp_path / "voice.wav"
    text = "Thank you for calling. An agent will be with you shortly, please stay on the line. "
    subprocess.run(["espeak-ng", "-w", str(sample), text * 10], check=True)
    from_path = await orbit.voice.clones.create(name="from path", file=sample)
    from_file = await orbit.voice.clones.create(
        name="from file", file=io.BytesIO(sample.read_bytes()), filename="v.wav"
    )
    assert from_path.data.id.startswith("clone_") and from_path.data.engine == "parametric"
    assert from_path.data.sample.speech_seconds >= 30
    assert from_file.data.measurements.pitch_hz == from_path.data.measurements.pitch_hz
    assert {c.id async for c in orbit.voice.clones.iter()} == {
        from_path.data.id,
        from_file.data.id,
    }
    wav = await orbit.voice.clones.preview(from_path.data.id, text="Hello")
    assert wav[:4] == b"RIFF"
    assert (await orbit.voice.clones.get(from_file.data.id)).data.name == "from file"
    await orbit.voice.clones.delete(from_file.data.id)
    assert len((await orbit.voice.clones.list()).data) == 1
    with pytest.raises(UnsupportedMediaTypeError) as bad:
        await orbit.voice.clones.create(name="x", file=b"not audio at all")
    assert bad.value.param == "file"


async def test_webhooks_and_generic_resources(orbit: AsyncOrbitClient, clock: FakeClock) -> None:
    secret = await orbit.voice.webhooks.secret()
    assert secret.data.secret.startswith("whsec_")
    rotated = await orbit.voice.webhooks.rotate_secret()
    assert rotated.data.secret != secret.data.secret
    await orbit.voice.numbers.create(number=CALLER_ID)
    call = await orbit.voice.calls.create(
        to="+14155552671", from_number=CALLER_ID, webhook_url="http://127.0.0.1:9/hook"
    )
    deliveries = await orbit.voice.webhooks.deliveries(call_id=call.data.id)
    assert deliveries.data and deliveries.data[0].type == "call.initiated"
    assert [d.id async for d in orbit.voice.webhooks.iter_deliveries(call_id=call.data.id)]
    snapshot = await orbit.voice.monitoring.snapshot()
    assert snapshot.data.active_calls >= 0
    # Any endpoint stays reachable through the low-level request().
    raw = await orbit.request("GET", "/numbers")
    assert raw.json()["data"][0]["number"] == CALLER_ID


async def test_errors_carry_the_envelope(app: Any, make_key: Any) -> None:
    transport = httpx.ASGITransport(app=app)
    async with AsyncOrbitClient(
        api_key="dv_test_sk_nope", base_url="http://test", transport=transport
    ) as bad:
        with pytest.raises(AuthenticationError) as info:
            await bad.voice.calls.list()
    err = info.value
    assert isinstance(err, OrbitAPIError)
    assert err.status == 401 and err.code == "invalid_api_key" and err.message
    assert err.request_id and err.request_id.startswith("req_")
    read_only = await make_key("acme", scopes=["voice:read"])
    async with AsyncOrbitClient(
        api_key=read_only, base_url="http://test", transport=transport
    ) as ro:
        with pytest.raises(PermissionDeniedError) as denied:
            await ro.voice.agents.create(name="x")
        assert denied.value.code == "insufficient_scope"
        with pytest.raises(UnprocessableEntityError) as invalid:
            await ro.voice.calls.list(limit=1000)
        assert invalid.value.param == "limit"


def test_generated_resources_are_current() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import gen_client
    finally:
        sys.path.pop(0)
    ruff = Path(sys.executable).with_name("ruff")
    for flavour in ("sync", "async"):
        rendered = gen_client.render(flavour)
        formatted = subprocess.run(
            [str(ruff), "format", "--stdin-filename", f"_{flavour}.py", "-"],
            input=rendered,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        current = (ROOT / "src" / "orbit_voice" / "client" / f"_{flavour}.py").read_text()
        assert formatted == current, f"run `python tools/gen_client.py` ({flavour})"
