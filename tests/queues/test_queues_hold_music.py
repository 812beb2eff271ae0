"""Hold music: fetched once from a real local HTTP server, converted to WAV, played on a
loop while the caller waits, stopped on connect; failures fall back to silence."""

from __future__ import annotations

import array
import io
import math
import threading
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import lameenc
import pytest
from queue_helpers import (
    agent,
    agent_of,
    answered_calls,
    enqueue,
    events,
    queue,
    set_status,
    setup_number,
)

from fake_dns import FakeDns, LocalHttp
from orbit_voice.app import create_app
from orbit_voice.kit.clock import FakeClock
from orbit_voice.queues import hold_music
from orbit_voice.queues.service import HOLD_ANNOUNCEMENT


def _mp3(seconds: float = 2.0, rate: int = 44100) -> bytes:
    pcm = array.array(
        "h",
        (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(rate * seconds))),
    )
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(64)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(5)
    return bytes(encoder.encode(pcm.tobytes()) + encoder.flush())


class MusicServer:
    def __init__(self) -> None:
        self.hits: list[str] = []
        files = {"/hold.mp3": ("audio/mpeg", _mp3()), "/text": ("text/plain", b"hello " * 100)}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append(self.path)
                if self.path == "/moved":
                    self.send_response(302)
                    self.send_header("location", "/hold.mp3")
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                if self.path == "/huge":
                    self.send_response(200)
                    self.send_header("content-length", str(50 * 1024 * 1024))
                    self.end_headers()
                    return
                if self.path == "/chunked":
                    self.send_response(200)
                    self.send_header("transfer-encoding", "chunked")
                    self.end_headers()
                    for _ in range(20):
                        chunk = b"x" * 4096
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if self.path not in files:
                    self.send_response(404)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                kind, body = files[self.path]
                self.send_response(200)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def music() -> Iterator[MusicServer]:
    server = MusicServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
async def _number(api: httpx.AsyncClient) -> None:
    await setup_number(api)


async def test_hold_music_loops_while_waiting_and_stops_on_connect(
    api: httpx.AsyncClient, clock: FakeClock, app: Any, music: MusicServer
) -> None:
    bot = await agent(api, "Bot", presence="offline")
    queue_id = await queue(api, [bot], hold_music_url=music.url("/moved"))
    first, second = await answered_calls(api, clock, 2)
    await enqueue(api, queue_id, first)
    await clock.advance(1)
    await enqueue(api, queue_id, second)
    # Fetched once (one redirect, then the file), whatever the number of callers.
    assert music.hits == ["/moved", "/hold.mp3"]
    sim = app.state.runtime.media.get("sim")
    # Each caller is told they are waiting; the music plays on after it.
    assert sim.legs[first].played == [HOLD_ANNOUNCEMENT]
    path, loop = sim.legs[first].audio
    assert loop is True
    assert sim.legs[second].audio == (path, True)
    assert Path(path).is_relative_to(app.state.settings.data_dir)
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert abs(w.getnframes() / 8000 - 2.0) < 0.1
    await set_status(api, bot, "available")
    assert await agent_of(api, first) == bot
    assert sim.legs[first].audio is None
    assert sim.legs[second].audio == (path, True)


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/missing", "http_error"), ("/text", "not_audio"), ("/huge", "too_large")],
)
async def test_unusable_hold_music_means_silence_and_a_call_event(
    api: httpx.AsyncClient,
    clock: FakeClock,
    app: Any,
    music: MusicServer,
    path: str,
    reason: str,
) -> None:
    queue_id = await queue(api, [], hold_music_url=music.url(path))
    [call_id] = await answered_calls(api, clock)
    entry = await enqueue(api, queue_id, call_id)
    assert entry["status"] == "waiting"
    failed = [e for e in await events(api, call_id) if e["type"] == "queue.hold_music_failed"]
    assert failed[0]["data"]["reason"] == reason
    assert failed[0]["data"]["url"] == music.url(path)
    assert app.state.runtime.media.get("sim").legs[call_id].audio is None


async def test_a_download_growing_past_the_limit_is_cut_off(
    api: httpx.AsyncClient,
    clock: FakeClock,
    music: MusicServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hold_music, "MAX_BYTES", 32 * 1024)
    queue_id = await queue(api, [], hold_music_url=music.url("/chunked"))
    [call_id] = await answered_calls(api, clock)
    await enqueue(api, queue_id, call_id)
    failed = [e for e in await events(api, call_id) if e["type"] == "queue.hold_music_failed"]
    assert failed[0]["data"]["reason"] == "too_large"


async def test_wav_hold_music_is_kept_playable() -> None:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x10\x00" * 2 * 16000)
    with wave.open(io.BytesIO(hold_music.to_wav(buf.getvalue()))) as out:
        assert (out.getframerate(), out.getnchannels(), out.getnframes()) == (8000, 1, 8000)


async def test_private_hold_music_urls_are_refused_unless_allowed(
    settings: Any, clock: FakeClock
) -> None:
    strict = settings.model_copy(update={"webhooks_allow_private": False})
    app = create_app(strict, clock=clock, run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            async with app.state.sessionmaker() as session:
                from orbit_voice.orgs import service as orgs

                org = await orgs.get_or_create_org(session, "strict", clock.now())
                key = await orgs.create_key(
                    session, org, test=True, scopes=orgs.DEFAULT_SCOPES, now=clock.now()
                )
                await session.commit()
            client.headers["X-API-Key"] = key
            for url in ["http://127.0.0.1:9/hold.mp3", "http://10.0.0.8/hold.mp3"]:
                r = await client.post("/v1/voice/queues", json={"name": "Q", "hold_music_url": url})
                assert r.status_code == 422, url
                assert r.json()["error"]["param"] == "hold_music_url"
                assert r.json()["error"]["code"] == "url_not_allowed"


async def test_hold_music_rebound_to_loopback_after_the_checks_is_refused(
    api: httpx.AsyncClient,
    clock: FakeClock,
    app: Any,
    fake_dns: FakeDns,
    local_http: LocalHttp,
) -> None:
    # Public when the queue is saved and when the fetch checks it; loopback at connect.
    fake_dns.script("music.test", ["93.184.216.34"], ["93.184.216.34"], ["127.0.0.1"])
    app.state.runtime.settings.webhooks_allow_private = False
    url = f"http://music.test:{local_http.port}/hold.mp3"
    queue_id = await queue(api, [], hold_music_url=url)
    [call_id] = await answered_calls(api, clock)
    assert (await enqueue(api, queue_id, call_id))["status"] == "waiting"
    failed = [e for e in await events(api, call_id) if e["type"] == "queue.hold_music_failed"]
    assert failed[0]["data"]["reason"] == "url_not_allowed"
    assert "non-public address (127.0.0.1)" in failed[0]["data"]["message"]
    assert fake_dns.lookups == ["music.test"] * 3
    assert local_http.connections == 0
