"""In-process API benchmark: prints ratios against a baseline measured in the same run.

Run with ``.venv/bin/python bench/bench_api.py`` (``make bench``). Absolute numbers depend on
the machine; only the ratios are meant to be compared between runs. Nothing is asserted.

* baseline: ``GET /healthz`` requests/s (routing, middleware, JSON; no database)
* ``POST /v1/voice/calls`` requests/s on the simulator, as a ratio to the baseline
* keyset pagination over N calls: the page at depth ~N-100 (via cursors) vs the first page,
  and the same deep page as a raw keyset query vs a raw ``OFFSET`` query
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import and_, insert, or_, select

from orbit_voice.app import create_app
from orbit_voice.calls.models import Call
from orbit_voice.config import Settings
from orbit_voice.kit.clock import FakeClock
from orbit_voice.kit.ids import new_id
from orbit_voice.migrate import upgrade
from orbit_voice.orgs import service as orgs

HEALTHZ_REQUESTS = 3000
CALL_REQUESTS = 1000
N_CALLS = 5000
PAGE = 100
DEPTH = N_CALLS - PAGE  # rows before the deep page
REPEATS = 50
CALLER_ID = "+12025551234"

Timed = Callable[[], Awaitable[Any]]


async def rate(fn: Timed, n: int, drain: Timed | None = None, warmup: int = 20) -> float:
    """Requests per second of ``n`` sequential awaits of ``fn``, plus a final ``drain``."""
    for _ in range(warmup):
        await fn()
    if drain is not None:
        await drain()
    start = time.perf_counter()
    for _ in range(n):
        await fn()
    if drain is not None:
        await drain()
    return n / (time.perf_counter() - start)


async def median_ms(*fns: Timed, repeats: int = REPEATS) -> list[float]:
    """Median milliseconds of each of ``fns``, run interleaved so load drift hits all alike."""
    samples: list[list[float]] = [[] for _ in fns]
    for rep in range(repeats + 1):  # the first round is a warm-up
        for fn, out in zip(fns, samples, strict=True):
            start = time.perf_counter()
            await fn()
            if rep:
                out.append((time.perf_counter() - start) * 1000)
    return [statistics.median(out) for out in samples]


def expect(r: httpx.Response, status: int) -> httpx.Response:
    if r.status_code != status:
        raise RuntimeError(f"{r.request.method} {r.request.url}: {r.status_code} {r.text}")
    return r


async def make_key(app: Any, clock: FakeClock, org: str) -> tuple[str, str]:
    async with app.state.sessionmaker() as session:
        record = await orgs.get_or_create_org(session, org, clock.now())
        raw = await orgs.create_key(
            session, record, test=True, scopes=orgs.DEFAULT_SCOPES, now=clock.now()
        )
        await session.commit()
        return record.id, raw


async def insert_calls(app: Any, clock: FakeClock, org_id: str, n: int) -> None:
    """N finished calls, one second apart, straight into the table (no API, no events)."""
    common: dict[str, Any] = {"org_id": org_id, "direction": "outbound", "to": "+14155552671"}
    common |= {"from_": CALLER_ID, "status": "completed", "backend": "sim", "metadata_": {}}
    common |= {"record": False, "max_duration": 3600, "muted": False, "on_hold": False}
    times = [clock.now() - timedelta(seconds=i) for i in range(n)]
    rows = [{**common, "id": new_id("call"), "created_at": t, "updated_at": t} for t in times]
    async with app.state.sessionmaker() as session:
        await session.execute(insert(Call), rows)
        await session.commit()


Row = tuple[str, float, str, float, str]  # name, value, unit, ratio, ratio's reference


async def run(settings: Settings) -> list[Row]:
    clock = FakeClock()  # simulated calls never progress past "ringing" on their own
    app = create_app(settings, clock=clock, run_workers=False)
    rows: list[Row] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as api:
            _, key = await make_key(app, clock, "bench-calls")
            api.headers["X-API-Key"] = key
            body = {"number": CALLER_ID, "label": "main"}
            expect(await api.post("/v1/voice/numbers", json=body), 201)

            async def healthz() -> None:
                expect(await api.get("/healthz"), 200)

            async def create_call() -> None:
                call = {"to": "+14155552671", "from": CALLER_ID}
                expect(await api.post("/v1/voice/calls", json=call), 201)

            base = await rate(healthz, HEALTHZ_REQUESTS)
            rows.append(("GET /healthz", base, "req/s", 1.0, "baseline"))
            # drain: the simulator's background "ringing" writes count towards the calls
            calls = await rate(create_call, CALL_REQUESTS, drain=clock.settle)
            rows.append(("POST /v1/voice/calls", calls, "req/s", calls / base, "/healthz"))

            # A second org holding exactly N_CALLS rows, inserted directly.
            org_id, key = await make_key(app, clock, "bench-pages")
            api.headers["X-API-Key"] = key
            await insert_calls(app, clock, org_id, N_CALLS)
            params: dict[str, Any] = {"limit": PAGE}
            for _ in range(DEPTH // PAGE):  # walk the cursors down to the deep page
                got = expect(await api.get("/v1/voice/calls", params=params), 200).json()
                params = {"limit": PAGE, "cursor": got["meta"]["pagination"]["cursor"]}
            deep = expect(await api.get("/v1/voice/calls", params=params), 200).json()
            if len(deep["data"]) != PAGE or deep["meta"]["pagination"]["has_more"]:
                raise RuntimeError("the deep page is not the last full page")

            async def first_page() -> None:
                expect(await api.get("/v1/voice/calls", params={"limit": PAGE}), 200)

            async def deep_page() -> None:
                expect(await api.get("/v1/voice/calls", params=params), 200)

            first, at_depth = await median_ms(first_page, deep_page)
            rows.append((f"API first page (limit {PAGE})", first, "ms", 1.0, "baseline"))
            rows.append(
                (f"API keyset page, depth {DEPTH}", at_depth, "ms", at_depth / first, "API first")
            )

        # The same pages in raw SQLAlchemy: keyset predicate vs OFFSET.
        order = (Call.created_at.desc(), Call.id.desc())
        stmt = select(Call).where(Call.org_id == org_id)
        async with app.state.sessionmaker() as session:
            prev_q = stmt.order_by(*order).offset(DEPTH - 1).limit(1)
            prev = (await session.execute(prev_q)).scalar_one()  # last row before the page
            after = or_(
                Call.created_at < prev.created_at,
                and_(Call.created_at == prev.created_at, Call.id < prev.id),
            )
            keyset_q = stmt.where(after).order_by(*order).limit(PAGE)
            offset_q = stmt.order_by(*order).offset(DEPTH).limit(PAGE)
            first_q = stmt.order_by(*order).limit(PAGE)

            async def fetch(q: Any) -> list[str]:
                ids = [c.id for c in (await session.execute(q)).scalars().all()]
                session.expunge_all()
                return ids

            api_ids = [c["id"] for c in deep["data"]]
            if not api_ids == await fetch(keyset_q) == await fetch(offset_q):
                raise RuntimeError("API, keyset and OFFSET pages disagree")
            sql_first, keyset, offset = await median_ms(
                lambda: fetch(first_q), lambda: fetch(keyset_q), lambda: fetch(offset_q)
            )
        rows.append(("SQL first page", sql_first, "ms", 1.0, "baseline"))
        rows.append((f"SQL keyset, depth {DEPTH}", keyset, "ms", keyset / sql_first, "SQL first"))
        rows.append((f"SQL OFFSET {DEPTH}", offset, "ms", offset / sql_first, "SQL first"))
        rows.append(
            (f"SQL keyset vs OFFSET, depth {DEPTH}", keyset, "ms", keyset / offset, "SQL OFFSET")
        )
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="orbit-bench-") as tmp:
        url = "sqlite+aiosqlite:///" + str(Path(tmp) / "bench.db")
        upgrade(url)  # runs its own event loop: before asyncio.run
        settings = Settings(
            _env_file=None,  # ignore a developer's .env: the run is self-contained
            environment="test",
            database_url=url,
            data_dir=Path(tmp) / "data",
            webhooks_enabled=False,
            webhooks_allow_private=True,
            signing_secret="bench-signing-secret",
            encryption_key="bench-encryption-key",
            softphone_jwt_secret="bench-softphone-jwt-secret-0123456789",
            public_base_url="http://bench",
        )
        started = time.perf_counter()
        rows = asyncio.run(run(settings))
        elapsed = time.perf_counter() - started
    print(f"orbit-voice in-process benchmark (SQLite, {N_CALLS} calls, page {PAGE})")
    header = f"{'measurement':<32} {'value':>10} {'unit':<6} {'ratio':>7}  vs"
    print(header, "-" * len(header), sep="\n")
    for name, value, unit, ratio, ref in rows:
        print(f"{name:<32} {value:>10.2f} {unit:<6} {ratio:>7.3f}  {ref}")
    print(f"(ratios only are comparable across machines; took {elapsed:.1f}s)")


if __name__ == "__main__":
    main()
