"""SIP load: sipp places calls into the engine at rising rates and we report what holds.

    .venv/bin/python bench/sip_load.py [--rates 0.25,0.35,0.4,0.5,1,2,5,10,20] [--hold 10]
                                       [--burst 20]

Each step sends ``rate * burst`` calls at ``rate`` calls per second (fractions allowed) to a
number whose handler is an IVR (the engine answers and speaks its greeting); each caller stays
``hold`` seconds and hangs up. A step passes with under 1% failed calls. Reported: the highest
passing rate, the peak of concurrent calls the engine held (sampled from the engine itself),
the server's CPU time per call and peak memory growth per concurrent call, and the same run's
sipp-to-sipp baseline (sipp's own UAS answering the same load) as a ratio. Only loopback
addresses are used; every step is bounded in calls and time.

Sustained rate x hold cannot exceed the engine's concurrent call limit, which the pjsua2 wheel
caps at its compile-time PJSUA_MAX_CALLS (4): with 10 s holds that is about 0.4 calls/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from orbit_voice.app import create_app  # noqa: E402
from orbit_voice.config import Settings  # noqa: E402
from orbit_voice.kit.clock import SystemClock  # noqa: E402
from orbit_voice.migrate import upgrade  # noqa: E402
from orbit_voice.orgs import service as orgs  # noqa: E402

CALLER = ROOT / "tests" / "media" / "sip" / "scenarios" / "caller.xml"
NUMBER = "+12025551234"


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def caller_scenario(hold: float) -> str:
    fd, path = tempfile.mkstemp(suffix=".xml", prefix="sipp-load-")
    with os.fdopen(fd, "w") as fh:
        fh.write(CALLER.read_text().replace("[pause_ms]", str(int(hold * 1000))))
    return path


async def run_sipp(target_port: int, rate: float, calls: int, hold: float) -> tuple[int, int, int]:
    """(successful, failed, peak open) calls of one sipp UAC run."""
    port = random.randint(20000, 29999)
    scenario = caller_scenario(hold)
    proc = await asyncio.create_subprocess_exec(
        "sipp",
        "-sf",
        scenario,
        f"127.0.0.1:{target_port}",
        "-s",
        NUMBER,
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-r",
        f"{rate:g}",
        "-m",
        str(calls),
        "-l",
        str(calls),
        "-nostdin",
        "-trace_err",
        "-timeout",
        f"{int(hold + calls / rate + 30)}s",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),  # sipp writes its error log (-trace_err) next to the scenario
    )
    out, _ = await proc.communicate()
    os.unlink(scenario)
    text = out.decode(errors="replace")

    def total(label: str) -> int:
        found = re.findall(rf"{label}\s*\|\s*\d+\s*\|\s*(\d+)", text)
        return int(found[-1]) if found else 0

    ok, failed = total("Successful call"), total("Failed call")
    peaks = re.findall(r"Peak was (\d+) calls", text)
    return ok, max(failed, calls - ok), int(peaks[-1]) if peaks else 0


async def step(
    target_port: int,
    rate: float,
    burst: float,
    hold: float,
    active_calls: Callable[[], Awaitable[int]] | None = None,
) -> dict[str, Any]:
    """One load step; ``active_calls`` (the engine's own count) is sampled while it runs."""
    calls = max(1, round(rate * burst))
    cpu0, rss0 = cpu_seconds(), rss_kib()
    peak = {"calls": 0, "rss": rss0}
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            if active_calls is not None:
                peak["calls"] = max(peak["calls"], await active_calls())
            peak["rss"] = max(peak["rss"], rss_kib())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 0.2)

    sampler = asyncio.create_task(sample())
    try:
        ok, failed, sipp_peak = await run_sipp(target_port, rate, calls, hold)
    finally:
        done.set()
        await sampler
    return {
        "rate": rate,
        "calls": calls,
        "ok": ok,
        "failed": failed,
        "passed": failed <= calls * 0.01,
        "concurrent": peak["calls"] if active_calls is not None else sipp_peak,
        "cpu_s": round(cpu_seconds() - cpu0, 2),
        "rss_kib": peak["rss"] - rss0,
    }


async def engine_run(
    rates: list[float], burst: float, hold: float, live_transcription: bool
) -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="orbit-sip-load-"))
    url = f"sqlite+aiosqlite:///{tmp / 'orbit.db'}"
    await asyncio.to_thread(upgrade, url)  # alembic runs its own event loop
    sip_port = random.randint(30000, 39999)
    settings = Settings(
        environment="test",
        database_url=url,
        data_dir=tmp / "data",
        signing_secret="bench-signing-secret-" + "x" * 32,
        encryption_key="bench-encryption-key-" + "x" * 32,
        softphone_jwt_secret="bench-softphone-jwt-secret-" + "x" * 32,
        webhooks_enabled=False,
        live_media_backend="sip",
        sip_listen_address="127.0.0.1",
        sip_port=sip_port,
        sip_tls_port=sip_port + 1,  # the engine always listens for TLS too
        sip_rtp_port_min=40000,
        sip_rtp_port_max=49998,
        sip_max_calls=1000,
        sip_ring_timeout_seconds=30,
        routing_ring_seconds=0,
        live_transcription=live_transcription,
    )
    app = create_app(settings, clock=SystemClock(), run_workers=False)
    results = []
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session:
            org = await orgs.get_or_create_org(session, "bench", SystemClock().now())
            key = await orgs.create_key(
                session, org, test=False, scopes=orgs.DEFAULT_SCOPES, now=SystemClock().now()
            )
            await session.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers={"X-API-Key": key}
        ) as api:
            trunk = {
                "name": "sipp",
                "termination_uri": "sip:127.0.0.1:5999",
                "origination_uris": ["sip:127.0.0.1"],
                "encryption": "none",
            }
            (await api.post("/v1/voice/sip-trunks", json=trunk)).raise_for_status()
            ivr = await api.post(
                "/v1/voice/ivr",
                json={
                    "name": "load",
                    "greeting": "Thank you for calling. Please hold.",
                    "menu": {"options": [{"key": "1", "action": "hangup"}]},
                    "timeout_seconds": 120,
                    "fallback_action": "hangup",
                },
            )
            ivr.raise_for_status()
            handler = {"type": "ivr", "target": ivr.json()["data"]["id"]}
            number = {"number": NUMBER, "handler": handler}
            (await api.post("/v1/voice/numbers", json=number)).raise_for_status()
            backend = app.state.runtime.media.backends["sip"]
            limit = (await backend.engine_snapshot())["max_calls"]
            print(f"engine holds at most {limit} concurrent calls", flush=True)

            async def active_calls() -> int:
                return int((await backend.engine_snapshot())["active_calls"])

            for rate in rates:
                result = await step(sip_port, rate, burst, hold, active_calls)
                result["max_calls"] = limit
                results.append(result)
                print("engine", result, flush=True)
                if not result["passed"]:
                    break
                await asyncio.sleep(2)
    shutil.rmtree(tmp, ignore_errors=True)
    return results


async def baseline_run(rates: list[float], burst: float, hold: float) -> list[dict[str, Any]]:
    port = random.randint(30000, 39999)
    uas = subprocess.Popen(
        ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-nostdin"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = []
    try:
        await asyncio.sleep(0.5)
        for rate in rates:
            result = await step(port, rate, burst, hold)
            results.append(result)
            print("baseline", result, flush=True)
            if not result["passed"]:
                break
    finally:
        uas.kill()
        uas.wait(5)
    return results


def best(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    passing = [r for r in results if r["passed"]]
    return max(passing, key=lambda r: r["rate"]) if passing else None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="0.25,0.35,0.4,0.5,1,2,5,10,20")
    parser.add_argument("--burst", type=float, default=20, help="seconds of arrivals per step")
    parser.add_argument("--hold", type=float, default=10.0)
    parser.add_argument(
        "--no-live-transcription",
        action="store_true",
        help="measure the engine without live transcripts (ORBIT_LIVE_TRANSCRIPTION=false)",
    )
    args = parser.parse_args()
    if shutil.which("sipp") is None:
        sys.exit("sipp is missing: apt-get install sip-tester")
    rates = [float(r) for r in args.rates.split(",")]
    live = not args.no_live_transcription
    engine = best(await engine_run(rates, args.burst, args.hold, live))
    baseline = best(await baseline_run(rates, args.burst, args.hold))
    print()
    if engine is None:
        print("engine: no rate passed with under 1% failures")
        return
    per_call_cpu = engine["cpu_s"] / max(engine["calls"], 1)
    per_call_kib = engine["rss_kib"] / max(engine["concurrent"], 1)
    print(
        f"command:  bench/sip_load.py --rates {args.rates} --burst {args.burst:g} "
        f"--hold {args.hold:g}" + ("" if live else " --no-live-transcription")
    )
    print(
        f"engine:   {engine['rate']:g} calls/s with <1% failures "
        f"({engine['ok']}/{engine['calls']} calls), {engine['concurrent']} concurrent held "
        f"(limit {engine['max_calls']})"
    )
    print(
        f"          {per_call_cpu * 1000:.1f} ms CPU per call, {per_call_kib:.0f} KiB RSS per "
        "concurrent call"
    )
    if baseline is not None:
        print(
            f"baseline: sipp->sipp {baseline['rate']:g} calls/s "
            f"({baseline['concurrent']} concurrent; highest rate tried: {max(rates):g})"
        )
        print(f"ratio:    engine/baseline = {engine['rate'] / baseline['rate']:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
