"""Real SIP peers for the engine's tests: sipp as a carrier or caller, and a running app whose
live keys use the SIP engine on private loopback ports.

SIP runs in real time (the network does not follow a FakeClock), so every wait here has a
deadline and every peer process is killed when its test ends.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import datetime
import hashlib
import ipaddress
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
from dataclasses import dataclass
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
        "sip_tls_port": free_port(),
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


@contextlib.asynccontextmanager
async def running_sip_app(settings: Settings, **extra: Any) -> AsyncIterator[Any]:
    """The app with the SIP engine for live keys (``sip_settings`` plus ``extra``), on the
    system clock, on an emptied database."""
    await truncate(settings.database_url)
    application = create_app(
        sip_settings(settings, **extra), clock=SystemClock(), run_workers=False
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def sip_app(settings: Settings) -> AsyncIterator[Any]:
    """The app with the SIP engine for live keys, on the system clock."""
    async with running_sip_app(settings) as application:
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


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: a test CA (certificate and key) and a server certificate it issued."""

    ca: Path
    ca_key: Path
    cert: Path
    key: Path


def make_tls_files(
    folder: Path,
    name: str,
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
    issuer: TlsFiles | None = None,
) -> TlsFiles:
    """A server certificate for ``hosts`` (IP addresses or DNS names) with its key, issued by
    ``issuer``'s CA or by a fresh CA of its own; valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)

    def pem_key(key: Any) -> bytes:
        return bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )

    if issuer is None:
        ca_key: Any = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"orbit test CA {name}")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        ca_path, ca_key_path = folder / f"{name}-ca.pem", folder / f"{name}-ca.key"
        ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        ca_key_path.write_bytes(pem_key(ca_key))
    else:
        ca_path, ca_key_path = issuer.ca, issuer.ca_key
        ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName([_general_name(host) for host in hosts]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(ca_path, ca_key_path, folder / f"{name}.pem", folder / f"{name}.key")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(pem_key(key))
    return files


class TlsAnswerer:
    """A bare SIP-over-TLS carrier (Python's ssl module; sipp here has no TLS) that answers
    every INVITE 200 OK with a plain ``RTP/AVP`` SDP, whatever was offered, and every BYE
    200 OK. It records each request's first line in ``requests``."""

    def __init__(self, files: TlsFiles) -> None:
        import ssl

        self.port = free_port()
        self.requests: list[str] = []
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(files.cert, files.key)
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(5)
        self._server.close()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                raw, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with (
                contextlib.suppress(OSError),
                self._context.wrap_socket(raw, server_side=True) as conn,
            ):
                conn.settimeout(0.2)
                self._talk(conn)

    def _talk(self, conn: Any) -> None:
        buffer = b""
        while not self._closed.is_set():
            message = _next_message(buffer)
            if message is None:
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    return
                buffer += chunk
                continue
            head, buffer = message
            self.requests.append(head.split("\r\n", 1)[0])
            reply = self._reply(head)
            if reply:
                conn.sendall(reply.encode())

    def _reply(self, head: str) -> str:
        method = head.split(" ", 1)[0]
        if method not in ("INVITE", "BYE", "CANCEL"):
            return ""  # ACK
        keep = {"via", "v", "from", "f", "call-id", "i", "cseq"}
        lines = head.split("\r\n")[1:]
        copied = [line for line in lines if line.partition(":")[0].strip().lower() in keep]
        to = [line for line in lines if line.partition(":")[0].strip().lower() in ("to", "t")]
        body = ""
        extra: list[str] = []
        if method == "INVITE":
            to = [f"{line};tag=tlsanswerer" for line in to]
            body = (
                "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                "m=audio 45000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
            )
            extra = [
                f"Contact: <sip:carrier@127.0.0.1:{self.port};transport=tls>",
                "Content-Type: application/sdp",
            ]
        return "\r\n".join(
            ["SIP/2.0 200 OK", *copied, *to, *extra, f"Content-Length: {len(body)}", "", body]
        )


def _next_message(buffer: bytes) -> tuple[str, bytes] | None:
    """The head of the first whole SIP message in ``buffer`` (its body skipped) and what
    follows it, or None until the message is complete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buffer[:end].decode()
    length = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() in ("content-length", "l"):
            length = int(value)
    if len(buffer) < end + 4 + length:
        return None
    return head, buffer[end + 4 + length :]


def _general_name(host: str) -> Any:
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


class TestPhone:
    """A PJSUA endpoint in its own process that plays a tone (or a WAV file: ``play``, once
    or looped) and records what it hears.

    With ``tls`` it also listens for SIP over TLS (on ``tls_port``) with that certificate;
    ``srtp`` is its SRTP policy: disabled (PJSUA's default), optional or mandatory; ``sips``
    gives it a sips: Contact, which dialogs to a sips: URI need."""

    __test__ = False  # a peer, not a test class

    def __init__(
        self,
        tone: int,
        record: Path,
        *,
        answer: bool = True,
        user: str = "phone",
        tls: TlsFiles | None = None,
        srtp: str = "disabled",
        sips: bool = False,
        play: Path | None = None,
        loop: bool = False,
    ) -> None:
        self.port = free_port()
        self.tls_port = free_port() if tls is not None else 0
        self.record = record
        self.events: list[dict[str, Any]] = []
        rtp = rtp_range()[0]
        tls_args = (
            [
                "--tls-port",
                str(self.tls_port),
                "--cert",
                str(tls.cert),
                "--key",
                str(tls.key),
                "--ca",
                str(tls.ca),
            ]
            if tls is not None
            else []
        )
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
                "--user",
                user,
                *tls_args,
                "--srtp",
                srtp,
                *(["--sips"] if sips else []),
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

    @property
    def invites(self) -> list[dict[str, Any]]:
        """What the phone saw of each INVITE it took (see ``sip_phone.describe_invite``)."""
        return [e for e in self.events if e.get("event") == "invite"]

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

    async def segment(self, name: str) -> Path:
        """Record what the phone hears from now on into a file of its own (one phase of a
        call); the file is complete once the phone has quit."""
        path = self.record.with_name(f"{self.record.stem}-{name}.wav")
        self.send(cmd="record", path=str(path))
        await self.wait_event(event="recording", path=str(path))
        return path

    def saw(self, **match: Any) -> bool:
        return any(all(e.get(k) == v for k, v in match.items()) for e in self.events)

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
        tone: int,
        *,
        answer: bool = True,
        play: Path | None = None,
        loop: bool = False,
        **options: Any,
    ) -> TestPhone:
        record = tmp_path / f"heard-{len(started)}-{tone}.wav"
        phone = TestPhone(tone, record, answer=answer, play=play, loop=loop, **options)
        started.append(phone)
        return phone

    yield make
    for phone in started:
        phone.kill()


async def point_trunk(api: httpx.AsyncClient, phone: TestPhone) -> None:
    """Send the next leg dialled through the org's trunk to ``phone``."""
    trunk = (await api.get("/v1/voice/sip-trunks")).json()["data"][0]
    r = await api.put(f"/v1/voice/sip-trunks/{trunk['id']}", json={"termination_uri": phone.uri})
    assert r.status_code == 200, r.text


PRESENT = 800.0  # Goertzel amplitude of a tone that is there (the phones send ~6000 peak)
ABSENT = 150.0


def tones_heard(path: Path, *freqs: float) -> dict[float, float]:
    """Goertzel amplitude of each of ``freqs`` in a phone's recording."""
    (samples,), rate = read_wav(path)
    return {freq: tone_amplitude(samples, rate, freq) for freq in freqs}


SETTLE = 0.4  # after a change, before measuring: the bridge and jitter buffers catch up
PHASE = 1.5  # seconds of audio measured per phase


async def measure(*phones: TestPhone, name: str) -> list[Path]:
    """Let the audio settle, then record one phase on each phone, each into a file of its
    own (read them once the phones have quit)."""
    await asyncio.sleep(SETTLE)
    paths = [await phone.segment(name) for phone in phones]
    await asyncio.sleep(PHASE)
    for phone in phones:
        await phone.segment(f"{name}-done")
    return paths


async def call_phone(
    api: httpx.AsyncClient, app: Any, phone: TestPhone, our_tone: Path | None = None
) -> str:
    """A live outbound call answered by ``phone`` (through the org's trunk); with
    ``our_tone``, our side of the call (the operator: an app, an AI agent) plays it."""
    r = await api.post("/v1/voice/calls", json={"to": "+14155552671", "from": CALLER_ID})
    assert r.status_code == 201, r.text
    call_id = str(r.json()["data"]["id"])
    await wait_status(api, call_id, "in_progress")
    await phone.wait_event(event="state", state="CONFIRMED")
    if our_tone is not None:
        await app.state.runtime.media.get("sip").play_audio(call_id, our_tone, loop=True)
    return call_id


async def call_events(api: httpx.AsyncClient, call_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/voice/calls/{call_id}/events", params={"limit": 100})
    assert r.status_code == 200, r.text
    return sorted(r.json()["data"], key=lambda e: e["seq"])


async def wait_call_event(
    api: httpx.AsyncClient, call_id: str, type_: str, count: int = 1
) -> dict[str, Any]:
    """The ``count``-th event of ``type_`` on the call, once it is there."""

    async def find() -> dict[str, Any] | None:
        found = [e for e in await call_events(api, call_id) if e["type"] == type_]
        return found[count - 1] if len(found) >= count else None

    event: dict[str, Any] = await until(find, timeout=10)
    return event


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


# -- a carrier that routes by number -------------------------------------------------------


class NumberRouter:
    """A carrier in front of several test peers: a stateless SIP proxy on UDP (RFC 3261
    §16.11) that sends each INVITE, and its CANCEL and non-2xx ACK, to the peer owning the
    dialled number (the Request-URI user), as a carrier routes by number. It adds no
    Record-Route, so in-dialog requests (2xx ACK, BYE) go straight to the peer's Contact.
    One trunk pointed at the router reaches several phones at once."""

    def __init__(self, routes: dict[str, int]) -> None:
        self.routes = routes
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port: int = self.sock.getsockname()[1]
        self.uri = f"sip:127.0.0.1:{self.port}"
        self.forwarded: list[tuple[str, str]] = []  # (method, number) of requests passed on
        self._senders: dict[str, tuple[str, int]] = {}  # our Via branch -> who sent it
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, sender = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            head, sep, body = data.partition(b"\r\n\r\n")
            lines = head.decode("utf-8", "replace").split("\r\n")
            if lines[0].startswith("SIP/2.0"):
                self._response(lines, sep + body)
            else:
                self._request(lines, sep + body, sender)

    @staticmethod
    def _via_index(lines: list[str]) -> int:
        return next(i for i, line in enumerate(lines) if line.lower().startswith(("via:", "v:")))

    def _request(self, lines: list[str], rest: bytes, sender: tuple[str, int]) -> None:
        method, uri = lines[0].split(" ")[:2]
        number = uri.split(":", 1)[1].split("@", 1)[0] if "@" in uri else ""
        port = self.routes.get(number)
        if port is None:
            return  # nobody owns the number: the INVITE times out at the engine
        top = lines[self._via_index(lines)]
        theirs = top.split("branch=", 1)[1].split(";")[0].split(",")[0].strip()
        # Derived from the caller's branch, so a CANCEL or ACK lands in its INVITE's
        # transaction at the peer.
        ours = "z9hG4bK" + hashlib.sha1(theirs.encode()).hexdigest()[:20]
        self._senders[ours] = sender
        via = f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={ours}"
        out = [*lines[: self._via_index(lines)], via, *lines[self._via_index(lines) :]]
        self.forwarded.append((method, number))
        self.sock.sendto("\r\n".join(out).encode() + rest, ("127.0.0.1", port))

    def _response(self, lines: list[str], rest: bytes) -> None:
        i = self._via_index(lines)
        name, _, values = lines[i].partition(":")
        first, _, others = values.partition(",")
        branch = first.split("branch=", 1)[1].split(";")[0].strip() if "branch=" in first else ""
        sender = self._senders.get(branch)
        if sender is None:
            return
        if others.strip():  # several Vias in one header: drop only ours
            lines[i] = f"{name}: {others.strip()}"
        else:
            del lines[i]
        self.sock.sendto("\r\n".join(lines).encode() + rest, sender)


@pytest.fixture
def number_router() -> Iterator[Callable[[dict[str, int]], NumberRouter]]:
    started: list[NumberRouter] = []

    def make(routes: dict[str, int]) -> NumberRouter:
        router = NumberRouter(routes)
        started.append(router)
        return router

    yield make
    for router in started:
        router.close()
