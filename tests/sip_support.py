"""Real SIP peers for the engine's tests: sipp as a carrier or caller, and a running app whose
live keys use the SIP engine on private loopback ports.

SIP runs in real time (the network does not follow a FakeClock), so every wait here has a
deadline and every peer process is killed when its test ends.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import wave
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from orbit_voice.app import create_app
from orbit_voice.config import Settings
from orbit_voice.db import make_engine
from orbit_voice.kit.clock import SystemClock
from orbit_voice.models import Base
from orbit_voice.orgs import service as orgs

SCENARIOS = Path(__file__).parent / "media" / "sip" / "scenarios"
CALLER_ID = "+12025551234"
needs_sipp = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp (sip-tester) missing")


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (the engine listens on both)."""
    for _ in range(200):
        port = random.randint(20000, 29999)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, socket.socket() as t:
            try:
                u.bind(("127.0.0.1", port))
                t.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def rtp_range() -> tuple[int, int]:
    base = random.randrange(30000, 59000, 400)
    return base, base + 398


def sip_settings(settings: Settings, **extra: Any) -> Settings:
    rtp_min, rtp_max = rtp_range()
    values: dict[str, Any] = {
        "live_media_backend": "sip",
        "sip_listen_address": "127.0.0.1",
        "sip_port": free_port(),
        "sip_rtp_port_min": rtp_min,
        "sip_rtp_port_max": rtp_max,
        "sip_ring_timeout_seconds": 3.0,
        "sip_stats_interval_seconds": 1.0,
        "routing_ring_seconds": 0.0,
        **extra,
    }
    return settings.model_copy(update=values)


async def truncate(url: str) -> None:
    engine = make_engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if url.startswith("postgresql"):
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in tables:
                await conn.execute(text(f"DELETE FROM {name}"))
    await engine.dispose()


@pytest.fixture
async def sip_app(settings: Settings) -> AsyncIterator[Any]:
    """The app with the SIP engine for live keys, on the system clock."""
    await truncate(settings.database_url)
    application = create_app(sip_settings(settings), clock=SystemClock(), run_workers=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def live_api(sip_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding a live key of org 'acme', with a number and a trunk to sipp set up
    by ``carrier_trunk``."""
    async with sip_app.state.sessionmaker() as session:
        org = await orgs.get_or_create_org(session, "acme", SystemClock().now())
        key = await orgs.create_key(
            session, org, test=False, scopes=orgs.DEFAULT_SCOPES, now=SystemClock().now()
        )
        await session.commit()
    transport = httpx.ASGITransport(app=sip_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"X-API-Key": key}
    ) as client:
        yield client


async def carrier_trunk(api: httpx.AsyncClient, carrier_port: int, **extra: Any) -> str:
    """A trunk whose termination URI is sipp (or a test phone) on ``carrier_port``."""
    body = {
        "name": "sipp carrier",
        "termination_uri": f"sip:127.0.0.1:{carrier_port}",
        "origination_uris": ["sip:127.0.0.1"],
        "codecs": ["PCMU", "PCMA"],
        "encryption": "none",
        **extra,
    }
    r = await api.post("/v1/voice/sip-trunks", json=body)
    assert r.status_code == 201, r.text
    r = await api.post("/v1/voice/numbers", json={"number": CALLER_ID})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


class Sipp:
    """One sipp process; killed (if still running) when the test ends."""

    def __init__(self, args: list[str], port: int) -> None:
        self.port = port
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Sipp:
        self.proc = subprocess.Popen(
            ["sipp", *self.args, "-i", "127.0.0.1", "-p", str(self.port), "-nostdin"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return self

    async def wait(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        deadline = asyncio.get_running_loop().time() + timeout
        while self.proc.poll() is None:
            if asyncio.get_running_loop().time() > deadline:
                self.kill()
                raise TimeoutError(f"sipp {self.args} did not finish")
            await asyncio.sleep(0.05)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def sipp() -> Iterator[Callable[..., Sipp]]:
    started: list[Sipp] = []

    def run(*args: str, port: int | None = None) -> Sipp:
        peer = Sipp(list(args), port or free_port()).start()
        started.append(peer)
        return peer

    yield run
    for peer in started:
        peer.kill()


def uas(run: Callable[..., Sipp], scenario: str | None = None, calls: int = 1, **keys: str) -> Sipp:
    """sipp as a carrier playing ``scenarios/<scenario>.xml`` (default: answer, await BYE);
    ``keys`` fill the scenario's ``[name]`` keywords."""
    path = scenario_file(scenario or "answer", **keys)
    return run("-sf", path, "-m", str(calls), "-timeout", "20s", "-timeout_error")


def uac(
    run: Callable[..., Sipp], scenario: str, engine_port: int, number: str, **keys: str
) -> Sipp:
    """sipp as a caller: one call to ``number`` at the engine, playing ``scenario``."""
    path = scenario_file(scenario, **keys)
    return run(
        "-sf",
        path,
        f"127.0.0.1:{engine_port}",
        "-s",
        number,
        "-m",
        "1",
        "-timeout",
        "20s",
        "-timeout_error",
    )


def scenario_file(scenario: str, **keys: str) -> str:
    xml = (SCENARIOS / f"{scenario}.xml").read_text()
    for name, value in keys.items():  # sipp checks status codes before its own -key step
        xml = xml.replace(f"[{name}]", value)
    fd, path = tempfile.mkstemp(suffix=".xml", prefix="sipp-")
    with os.fdopen(fd, "w") as fh:
        fh.write(xml)
    return path


async def until(
    check: Callable[[], Awaitable[Any]], timeout: float = 8.0, interval: float = 0.05
) -> Any:
    """Poll ``check`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")
        await asyncio.sleep(interval)


async def call_status(api: httpx.AsyncClient, call_id: str) -> dict[str, Any]:
    r = await api.get(f"/v1/voice/calls/{call_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def wait_status(
    api: httpx.AsyncClient, call_id: str, *statuses: str, timeout: float = 8.0
) -> dict[str, Any]:
    seen: list[dict[str, Any]] = []

    async def check() -> dict[str, Any] | None:
        call = await call_status(api, call_id)
        seen[:] = [call]
        return call if call["status"] in statuses else None

    try:
        result: dict[str, Any] = await until(check, timeout)
    except AssertionError as exc:
        last = seen[0] if seen else {}
        raise AssertionError(
            f"call never became {statuses}: status {last.get('status')}, "
            f"sip_code {last.get('sip_code')}, end_reason {last.get('end_reason')}"
        ) from exc
    return result


async def event_types(api: httpx.AsyncClient, call_id: str) -> list[str]:
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    assert r.status_code == 200, r.text
    return [e["type"] for e in sorted(r.json()["data"], key=lambda e: e["seq"])]


# -- a test phone and audio measurements ------------------------------------------------

PHONE = Path(__file__).parent / "sip_phone.py"


class TestPhone:
    """A PJSUA endpoint in its own process that plays a tone (or a WAV file: ``play``, once
    or looped) and records what it hears."""

    def __init__(
        self,
        tone: int,
        record: Path,
        *,
        answer: bool = True,
        play: Path | None = None,
        loop: bool = False,
    ) -> None:
        self.port = free_port()
        self.record = record
        self.events: list[dict[str, Any]] = []
        rtp = rtp_range()[0]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(PHONE),
                "--port",
                str(self.port),
                "--rtp-port",
                str(rtp),
                "--tone",
                str(tone),
                "--record",
                str(record),
                *(["--answer"] if answer else []),
                *(["--play", str(play)] if play is not None else []),
                *(["--loop"] if loop else []),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with contextlib.suppress(json.JSONDecodeError):
                self.events.append(json.loads(line))

    @property
    def uri(self) -> str:
        return f"sip:127.0.0.1:{self.port}"

    def send(self, **cmd: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def play(self, path: Path, *, loop: bool = False) -> None:
        """From now on the call hears ``path`` (a WAV file) instead of the tone."""
        self.send(cmd="play", path=str(path), loop=loop)

    async def wait_event(self, timeout: float = 8.0, **match: Any) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            for event in self.events:
                if all(event.get(k) == v for k, v in match.items()):
                    return event
            return None

        found: dict[str, Any] = await until(check, timeout)
        return found

    async def quit(self) -> Path:
        """Hang up, stop, and return the recording of everything this phone heard."""
        if self.proc.poll() is None:
            self.send(cmd="quit")
            await self.wait_event(event="bye")
        await asyncio.to_thread(self.proc.wait, 5)
        return self.record

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def phones(tmp_path: Path) -> Iterator[Callable[..., TestPhone]]:
    started: list[TestPhone] = []

    def make(
        tone: int, *, answer: bool = True, play: Path | None = None, loop: bool = False
    ) -> TestPhone:
        record = tmp_path / f"heard-{len(started)}-{tone}.wav"
        phone = TestPhone(tone, record, answer=answer, play=play, loop=loop)
        started.append(phone)
        return phone

    yield make
    for phone in started:
        phone.kill()


def read_wav(path: Path) -> tuple[list[array.array[int]], int]:
    """Channels of a 16-bit WAV, and its rate."""
    with wave.open(str(path), "rb") as wav:
        channels, rate = wav.getnchannels(), wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    return [samples[c::channels] for c in range(channels)], rate


def decode_mp3(data: bytes, channels: int) -> tuple[list[array.array[int]], int]:
    import miniaudio

    decoded = miniaudio.decode(
        data, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=channels
    )
    samples = array.array("h", decoded.samples)
    return [samples[c::channels] for c in range(channels)], decoded.sample_rate


def tone_amplitude(samples: array.array[int], rate: int, freq: float) -> float:
    """Amplitude of ``freq`` in ``samples`` by a Goertzel filter (same unit as the samples)."""
    n = len(samples)
    if n == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / n


def rms(samples: array.array[int]) -> float:
    return math.sqrt(sum(x * x for x in samples) / len(samples)) if samples else 0.0


def write_tone(path: Path, freq: float, seconds: float = 2.0, rate: int = 8000) -> Path:
    samples = array.array(
        "h",
        (int(6000 * math.sin(2 * math.pi * freq * i / rate)) for i in range(int(rate * seconds))),
    )
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return path
