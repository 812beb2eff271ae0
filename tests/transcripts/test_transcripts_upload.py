"""POST /transcribe: audio fetched from a URL (SSRF-guarded, size-limited), decoded, read."""

from __future__ import annotations

import subprocess
import threading
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_dns import FakeDns, LocalHttp
from orbit_voice.kit.clock import FakeClock
from orbit_voice.speech.tts import speak_pcm
from speech_helpers import _stop_sse_watcher, run_jobs, wer

__all__ = ["_stop_sse_watcher"]

SENTENCE = "The technician will call you back tomorrow morning."


class AudioServer:
    """Serves files from a folder; ``fail_next`` answers 500 that many times first."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fail_next = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = server.root / self.path.lstrip("/")
                if server.fail_next:
                    server.fail_next -= 1
                    self.send_response(500)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                if not path.is_file():
                    self.send_response(404)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                body = path.read_bytes()
                self.send_response(200)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{name}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def audio_server(tmp_path: Path) -> Iterator[AudioServer]:
    root = tmp_path / "www"
    root.mkdir()
    server = AudioServer(root)
    yield server
    server.close()


async def put_speech(root: Path, name: str = "speech.wav") -> Path:
    path = root / "speech.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(await speak_pcm(SENTENCE))
    if name != "speech.wav":
        subprocess.run(["sox", str(path), str(root / name)], check=True)
        path = root / name
    return path


async def submit(api: httpx.AsyncClient, url: str, **extra: Any) -> str:
    r = await api.post("/v1/voice/transcribe", json={"audio_url": url, **extra})
    assert r.status_code == 202, r.text
    data = r.json()["data"]
    assert data["status"] == "queued" and data["language"] == extra.get("language", "en-US")
    return str(data["transcript_id"])


async def result(api: httpx.AsyncClient, transcript_id: str) -> dict[str, Any]:
    r = await api.get(f"/v1/voice/transcriptions/{transcript_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


@pytest.mark.parametrize("name", ["speech.wav", "speech.flac"])
async def test_transcribes_wav_and_flac(
    api: httpx.AsyncClient, app: Any, audio_server: AudioServer, name: str
) -> None:
    await put_speech(audio_server.root, name)
    transcript_id = await submit(api, audio_server.url(name))
    assert transcript_id.startswith("tr_")
    assert (await result(api, transcript_id))["status"] == "queued"
    assert await run_jobs(app) == 1
    done = await result(api, transcript_id)
    assert done["status"] == "completed" and done["source"] == "upload"
    assert done["error"] is None and done["call_id"] is None
    assert wer(SENTENCE, done["text"]) <= 0.35, done["text"]
    assert 2 < done["duration_seconds"] < 6
    assert done["segments"][0]["start"] >= 0 and done["segments"][0]["speaker"] is None
    assert not list((app.state.settings.data_dir / "transcribe").rglob("*.audio"))


async def test_not_audio_fails_with_a_clear_error(
    api: httpx.AsyncClient, app: Any, audio_server: AudioServer
) -> None:
    (audio_server.root / "notes.txt").write_text("this is not audio at all\n" * 50)
    transcript_id = await submit(api, audio_server.url("notes.txt"))
    await run_jobs(app)
    failed = await result(api, transcript_id)
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "unsupported_audio"
    assert "WAV, MP3, FLAC or Ogg" in failed["error"]["message"]


async def test_missing_file_too_large_and_unsupported_language(
    api: httpx.AsyncClient, app: Any, audio_server: AudioServer
) -> None:
    await put_speech(audio_server.root)
    missing = await submit(api, audio_server.url("nope.wav"))
    french = await submit(api, audio_server.url("speech.wav"), language="fr-FR")
    await run_jobs(app)
    assert (await result(api, missing))["error"]["code"] == "audio_fetch_failed"
    assert "404" in (await result(api, missing))["error"]["message"]
    assert (await result(api, french))["error"]["code"] == "unsupported_language"
    app.state.speech.settings.transcribe_max_bytes = 1000
    big = await submit(api, audio_server.url("speech.wav"))
    await run_jobs(app)
    assert (await result(api, big))["error"]["code"] == "audio_too_large"


async def test_a_failed_fetch_is_retried_and_a_dead_worker_is_taken_over(
    api: httpx.AsyncClient, app: Any, clock: FakeClock, audio_server: AudioServer
) -> None:
    await put_speech(audio_server.root)
    audio_server.fail_next = 1
    transcript_id = await submit(api, audio_server.url("speech.wav"))
    assert await run_jobs(app) == 1  # 500: retried in 10 s
    assert (await result(api, transcript_id))["status"] == "processing"
    await clock.advance(10)
    await run_jobs(app)
    assert (await result(api, transcript_id))["status"] == "completed"

    # A worker claims a job and dies: once the lease runs out another one does it.
    second = await submit(api, audio_server.url("speech.wav"))
    worker = app.state.speech.worker
    assert await worker._claim() is not None
    assert await run_jobs(app) == 0  # leased to the dead worker
    await clock.advance(15 * 60)
    assert await run_jobs(app) == 1
    assert (await result(api, second))["status"] == "completed"


async def test_validation_ssrf_and_tenancy(
    api: httpx.AsyncClient, other_api: httpx.AsyncClient, app: Any, audio_server: AudioServer
) -> None:
    r = await api.post("/v1/voice/transcribe", json={"audio_url": "ftp://example.com/a.wav"})
    assert r.status_code == 422 and r.json()["error"]["param"] == "audio_url"
    r = await api.post(
        "/v1/voice/transcribe", json={"audio_url": audio_server.url("a.wav"), "language": "??"}
    )
    assert r.status_code == 422 and r.json()["error"]["param"] == "language"
    app.state.speech.settings.webhooks_allow_private = False
    r = await api.post("/v1/voice/transcribe", json={"audio_url": audio_server.url("a.wav")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "url_not_allowed"
    app.state.speech.settings.webhooks_allow_private = True
    transcript_id = await submit(api, audio_server.url("a.wav"))
    r = await other_api.get(f"/v1/voice/transcriptions/{transcript_id}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "transcript_not_found"


async def test_audio_url_rebound_to_loopback_after_the_checks_fails_the_job(
    api: httpx.AsyncClient, app: Any, fake_dns: FakeDns, local_http: LocalHttp
) -> None:
    # Public when submitted and when the job checks it; loopback at the fetch's connect.
    fake_dns.script("audio.test", ["93.184.216.34"], ["93.184.216.34"], ["127.0.0.1"])
    app.state.speech.settings.webhooks_allow_private = False
    transcript_id = await submit(api, f"http://audio.test:{local_http.port}/a.wav")
    assert await run_jobs(app) == 1
    failed = await result(api, transcript_id)
    assert failed["status"] == "failed"
    assert failed["error"] == {
        "code": "url_not_allowed",
        "message": "audio_url resolves to a non-public address (127.0.0.1).",
    }
    assert fake_dns.lookups == ["audio.test"] * 3
    assert local_http.connections == 0
