"""Test fixtures: a migrated database (SQLite, or PostgreSQL when asked), the app on a
FakeClock, and API clients holding real keys."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from fake_dns import FakeDns, LocalHttp
from orbit_voice.app import create_app
from orbit_voice.config import Settings
from orbit_voice.db import make_engine
from orbit_voice.kit.clock import FakeClock
from orbit_voice.migrate import upgrade
from orbit_voice.models import Base
from orbit_voice.orgs import service as orgs

POSTGRES_URL = os.environ.get("ORBIT_TEST_POSTGRES_URL", "")
USE_POSTGRES = os.environ.get("ORBIT_TEST_DB", "sqlite") == "postgres"


def pytest_report_header() -> str:
    return f"orbit-voice database: {'postgresql' if USE_POSTGRES else 'sqlite'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if USE_POSTGRES:
        url = POSTGRES_URL or "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        import asyncio

        async def reset() -> None:
            engine = create_async_engine(url)
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await engine.dispose()

        asyncio.run(reset())
    else:
        template = tmp_path_factory.mktemp("db") / "template.db"
        url = "sqlite+aiosqlite:///" + str(template)
    upgrade(url)
    if not USE_POSTGRES:
        # Fold the WAL into the file so a plain copy is a complete, migrated database.
        with sqlite3.connect(template) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return url


@pytest.fixture
def test_database_url(database_url: str, tmp_path: Path) -> str:
    """PostgreSQL: the shared migrated database (emptied per test by ``app``).
    SQLite: a private copy of the migrated template, so no test can see, or be locked out
    by, a connection another test left behind."""
    if not database_url.startswith("sqlite"):
        return database_url
    template = Path(database_url.split(":///", 1)[1])
    copy = tmp_path / "orbit.db"
    shutil.copyfile(template, copy)
    return "sqlite+aiosqlite:///" + str(copy)


@pytest.fixture
def settings(test_database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=test_database_url,
        data_dir=tmp_path / "data",
        webhooks_allow_private=True,
        webhooks_enabled=False,
        # No SIP engine per test app; tests/media/sip start their own on private ports.
        live_media_backend="none",
        signing_secret="test-signing-secret",
        encryption_key="test-encryption-key",
        softphone_jwt_secret="test-softphone-jwt-secret-0123456789",
        public_base_url="http://test",
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def _truncate(url: str) -> None:
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
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[Any]:
    if settings.database_url.startswith("postgresql"):
        await _truncate(settings.database_url)
    application = create_app(settings, clock=clock, run_workers=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


KeyMaker = Callable[..., Awaitable[str]]


@pytest.fixture
def make_key(app: Any, clock: FakeClock) -> KeyMaker:
    async def _make(
        org: str = "acme", *, test: bool = True, scopes: list[str] | None = None
    ) -> str:
        async with app.state.sessionmaker() as session:
            record = await orgs.get_or_create_org(session, org, clock.now())
            raw = await orgs.create_key(
                session, record, test=test, scopes=scopes or orgs.DEFAULT_SCOPES, now=clock.now()
            )
            await session.commit()
            return raw

    return _make


@pytest.fixture
async def api(client: httpx.AsyncClient, make_key: KeyMaker) -> httpx.AsyncClient:
    """The client, authenticated as org 'acme' with a test key holding every scope."""
    client.headers["X-API-Key"] = await make_key("acme")
    return client


@pytest.fixture
async def other_api(app: Any, make_key: KeyMaker) -> AsyncIterator[httpx.AsyncClient]:
    """A second tenant, 'globex', on its own client."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://test",
        headers={"X-API-Key": await make_key("globex")},
    ) as c:
        yield c


@pytest.fixture
def sessionmaker(app: Any) -> Any:
    return app.state.sessionmaker


@pytest.fixture
def data_dir(settings: Settings) -> Iterator[Path]:
    yield settings.data_dir


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    """Scripted DNS answers for chosen names (see tests/fake_dns.py)."""
    return FakeDns(monkeypatch)


@pytest.fixture
async def local_http() -> AsyncIterator[LocalHttp]:
    """A plain HTTP server on 127.0.0.1 that counts the connections it gets."""
    server = await LocalHttp().start()
    yield server
    await server.close()
