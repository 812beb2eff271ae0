"""The sync SDK against the app served by a real uvicorn on a free loopback port."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from conftest import _truncate
from orbit_voice.app import create_app
from orbit_voice.client import (
    APIConnectionError,
    NotFoundError,
    OrbitClient,
    UnprocessableEntityError,
)
from orbit_voice.config import Settings
from orbit_voice.db import make_engine, make_sessionmaker
from orbit_voice.orgs import service as orgs

CALLER_ID = "+18005551234"


async def _key(url: str) -> str:
    from datetime import UTC, datetime

    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        now = datetime.now(UTC)
        org = await orgs.get_or_create_org(session, "sdk-sync", now)
        raw = await orgs.create_key(session, org, test=True, scopes=orgs.DEFAULT_SCOPES, now=now)
        await session.commit()
    await engine.dispose()
    return raw


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, str]]:
    asyncio.run(_truncate(settings.database_url))
    key = asyncio.run(_key(settings.database_url))
    # Calls stay ringing for the whole test, so what it sees does not depend on timing; test
    # keys only, so no live (SIP) engine is started.
    served_settings = settings.model_copy(
        update={"sim_ring_seconds": 3600.0, "live_media_backend": "sim"}
    )
    app = create_app(served_settings, run_workers=False)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", key
    finally:
        server.should_exit = True
        thread.join(20)


def test_spec_python_example_runs_unchanged(served: tuple[str, str]) -> None:
    base_url, key = served
    setup = OrbitClient(api_key=key, base_url=base_url)
    setup.voice.numbers.create(number=CALLER_ID)
    agent_support = setup.voice.agents.create(name="Support", kind="ai").data.id

    # The spec's example, with this server's key, base URL and agent id.
    orbit = OrbitClient(api_key=key, base_url=base_url)

    call = orbit.voice.calls.create(
        to="+14155552671",
        from_number="+18005551234",
        agent_id=agent_support,
        record=True,
    )

    assert call.data.id.startswith("call_")
    got = orbit.voice.calls.get(call.data.id).data
    assert got.to == "+14155552671" and got.from_ == CALLER_ID and got.record is True
    assert got.status in {"initiating", "ringing"}
    setup.close()
    orbit.close()


def test_sync_resources_iteration_and_errors(served: tuple[str, str]) -> None:
    base_url, key = served
    with OrbitClient(api_key=key, base_url=base_url) as orbit:
        orbit.voice.numbers.create(number=CALLER_ID)
        ids = [
            orbit.voice.calls.create(to=f"+1415555{i:04d}", from_number=CALLER_ID).data.id
            for i in range(5)
        ]
        seen = [c.id for c in orbit.voice.calls.iter(limit=2)]
        assert sorted(seen) == sorted(ids) and len(seen) == 5
        page = orbit.voice.calls.list(limit=2)
        assert page.meta.pagination.has_more and page.meta.pagination.total == 5
        cancelled = orbit.voice.calls.hangup(ids[0])
        assert cancelled.data.status == "cancelled"
        assert next(e.type for e in orbit.voice.calls.iter_events(ids[0])) == "call.cancelled"
        trunk = orbit.voice.sip_trunks.create(name="t", termination_uri="sip:t.example.com")
        assert orbit.voice.sip_trunks.get(trunk.data.id).data.status == "active"
        cred = orbit.voice.sip_credentials.create(
            username="bob", extension="2001", caller_id=CALLER_ID
        )
        token = orbit.voice.softphone.create_token(extension_id=cred.data.extension_id)
        dialled = orbit.voice.softphone.dial(to="+14155550000", token=token.data.token)
        assert dialled.data.from_ == CALLER_ID
        with pytest.raises(NotFoundError) as missing:
            orbit.voice.calls.get("call_missing")
        assert missing.value.code == "call_not_found" and missing.value.request_id
        with pytest.raises(UnprocessableEntityError) as invalid:
            orbit.voice.calls.create(to="4155552671", from_number=CALLER_ID)
        assert invalid.value.param == "to"


def test_connection_errors(served: tuple[str, str]) -> None:
    _, key = served
    with (
        OrbitClient(api_key=key, base_url=f"http://127.0.0.1:{_free_port()}") as orbit,
        pytest.raises(APIConnectionError),
    ):
        orbit.voice.calls.list()


def test_api_key_from_environment(monkeypatch: pytest.MonkeyPatch, served: Any) -> None:
    base_url, key = served
    monkeypatch.setenv("ORBIT_API_KEY", key)
    monkeypatch.setenv("ORBIT_BASE_URL", base_url)
    with OrbitClient() as orbit:
        assert orbit.voice.numbers.list().data == []
