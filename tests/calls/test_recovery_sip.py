"""A real crash: ``orbit-voice serve`` holding a recorded SIP call is killed with SIGKILL,
started again, and the call is over, with a recording that holds the audio up to the kill."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from orbit_voice.config import Settings
from orbit_voice.db import make_engine, make_sessionmaker
from orbit_voice.kit.clock import SystemClock
from orbit_voice.orgs import service as orgs
from sip_support import (
    ABSENT,
    CALLER_ID,
    PRESENT,
    decode_mp3,
    free_port,
    needs_sipp,
    phones,
    rtp_range,
    tone_amplitude,
    truncate,
    wait_status,
)

__all__ = ["phones"]  # fixtures

pytestmark = needs_sipp


@pytest.fixture
def server_env(settings: Settings, tmp_path: Path) -> Iterator[dict[str, str]]:
    rtp_min, rtp_max = rtp_range()
    yield {
        **os.environ,
        "ORBIT_ENVIRONMENT": "test",
        "ORBIT_DATABASE_URL": settings.database_url,
        "ORBIT_DATA_DIR": str(tmp_path / "data"),
        "ORBIT_NODE_ID": "crash-test",
        "ORBIT_LIVE_MEDIA_BACKEND": "sip",
        "ORBIT_LIVE_TRANSCRIPTION": "false",
        "ORBIT_SIP_LISTEN_ADDRESS": "127.0.0.1",
        "ORBIT_SIP_PORT": str(free_port()),
        "ORBIT_SIP_TLS_PORT": str(free_port()),
        "ORBIT_SIP_RTP_PORT_MIN": str(rtp_min),
        "ORBIT_SIP_RTP_PORT_MAX": str(rtp_max),
        "ORBIT_SIGNING_SECRET": settings.signing_secret,
        "ORBIT_ENCRYPTION_KEY": settings.encryption_key,
        "ORBIT_SOFTPHONE_JWT_SECRET": settings.softphone_jwt_secret,
        "ORBIT_WEBHOOKS_ALLOW_PRIVATE": "true",
    }


@asynccontextmanager
async def server(
    env: dict[str, str], cwd: Path
) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
    """``orbit-voice serve`` on a free port, once it answers; killed if still running."""
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "orbit-voice"), "serve", "--port", str(port)],
        env={**env, "ORBIT_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=(cwd / f"server-{port}.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(300):
                if proc.poll() is not None:
                    raise RuntimeError((cwd / f"server-{port}.log").read_text())
                try:
                    if (await probe.get(f"{base}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise TimeoutError("the server did not start")
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


async def live_key(settings: Settings) -> str:
    await truncate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            org = await orgs.get_or_create_org(session, "acme", SystemClock().now())
            key = await orgs.create_key(
                session, org, test=False, scopes=orgs.DEFAULT_SCOPES, now=SystemClock().now()
            )
            await session.commit()
            return key
    finally:
        await engine.dispose()


async def test_a_killed_server_ends_its_call_and_keeps_the_recording_when_it_starts_again(
    settings: Settings, server_env: dict[str, str], phones: Any, tmp_path: Path
) -> None:
    headers = {"X-API-Key": await live_key(settings)}
    far_end = phones(440)
    await far_end.wait_event(event="ready")
    async with (
        server(server_env, tmp_path) as (base, proc),
        httpx.AsyncClient(base_url=base, headers=headers) as api,
    ):
        trunk = {
            "name": "test phone",
            "termination_uri": f"sip:127.0.0.1:{far_end.port}",
            "origination_uris": ["sip:127.0.0.1"],
            "codecs": ["PCMU"],
            "encryption": "none",
        }
        assert (await api.post("/v1/voice/sip-trunks", json=trunk)).status_code == 201
        assert (await api.post("/v1/voice/numbers", json={"number": CALLER_ID})).status_code == 201
        body = {"to": "+14155552671", "from": CALLER_ID, "record": True}
        clock = asyncio.get_running_loop().time
        dialled = clock()
        r = await api.post("/v1/voice/calls", json=body)
        assert r.status_code == 201, r.text
        call_id = r.json()["data"]["id"]
        await wait_status(api, call_id, "in_progress")
        answered = clock()  # the recorder started in between (with the answer)
        await asyncio.sleep(3)  # the phone's 440 Hz tone is recorded
        proc.kill()  # SIGKILL: nothing is shut down, no BYE, no file closed
        killed = clock()
        proc.wait(5)

    async with (
        server(server_env, tmp_path) as (base, _),
        httpx.AsyncClient(base_url=base, headers=headers) as api,
    ):
        call = (await api.get(f"/v1/voice/calls/{call_id}")).json()["data"]
        assert (call["status"], call["end_reason"]) == ("completed", "server_restart")
        rec = (await api.get(f"/v1/voice/calls/{call_id}/recording")).json()["data"]
        assert (rec["status"], rec["format"], rec["channels"]) == ("completed", "mp3", 2)
        # Up to 8 KB per file may still have sat in the recorder's buffers (0.5 s at 8 kHz).
        assert killed - answered - 0.75 < rec["duration_seconds"] <= killed - dialled, rec
        audio = await api.get(rec["signed_url"])
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    (left, right), rate = decode_mp3(audio.content, 2)
    assert tone_amplitude(left[rate // 2 :], rate, 440) > PRESENT  # the far end, on the left
    assert tone_amplitude(right, rate, 440) < ABSENT
