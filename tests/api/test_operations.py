"""Operations: metrics, logs that carry context and never a secret, settings guard, CLI."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from helpers import create_call, create_number
from orbit_voice.config import Settings
from orbit_voice.kit.clock import FakeClock
from orbit_voice.logs import ContextFilter, JsonFormatter


async def test_metrics_report_latency_calls_and_backends(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    await create_number(api)
    await create_call(api)
    await clock.advance(2)
    text = (await api.get("/metrics")).text
    assert 'orbit_calls{status="in_progress"} 1.0' in text
    assert 'orbit_media_active_calls{backend="sim"} 1.0' in text
    assert 'method="POST",route="/v1/voice/calls",status="201"' in text
    assert "orbit_http_request_duration_seconds_bucket" in text


def test_placeholder_secret_refused_outside_development() -> None:
    with pytest.raises(ValueError, match="ORBIT_SIGNING_SECRET"):
        Settings(environment="production")
    Settings(environment="development")  # fine for local work


def test_sip_tls_settings() -> None:
    with pytest.raises(ValueError, match="ORBIT_SIP_TLS_CERT_FILE and ORBIT_SIP_TLS_KEY_FILE"):
        Settings(sip_tls_cert_file="/etc/orbit/sip.pem")
    defaults = Settings(sip_tls_ca_file="")
    # Trunks' certificates are verified unless told otherwise; empty CA file = the default.
    assert defaults.sip_tls_verify_server is True and defaults.sip_tls_ca_file is None


def test_json_logs_carry_context() -> None:
    record = logging.LogRecord("orbit_voice.test", logging.INFO, __file__, 1, "hello", (), None)
    record.call_id = "call_x"
    ContextFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello" and entry["call_id"] == "call_x"


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ORBIT_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    return subprocess.run(
        [sys.executable, "-m", "orbit_voice.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_keys_create_and_revoke(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert _cli("migrate", db=db).returncode == 0
    created = _cli("keys", "create", "--org", "acme", "--test", "--scope", "voice:read", db=db)
    assert created.returncode == 0, created.stderr
    lines = created.stdout.strip().splitlines()
    key = lines[-1]
    assert key.startswith("dv_test_sk_") and " " not in key
    assert key not in created.stderr
    revoked = _cli("keys", "revoke", key[:19], db=db)
    assert revoked.returncode == 0 and "revoked 1" in revoked.stdout
    again = _cli("keys", "revoke", key[:19], db=db)
    assert again.returncode == 1
    assert "No active key" in again.stderr


async def test_bootstrap_prints_a_key_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orbit_voice import cli
    from orbit_voice.config import get_settings
    from orbit_voice.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'boot.db'}"
    import asyncio

    await asyncio.to_thread(upgrade, url)
    monkeypatch.setenv("ORBIT_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        first = await cli._bootstrap()
        second = await cli._bootstrap()
    finally:
        get_settings.cache_clear()
    assert first is not None and first.startswith("dv_test_sk_")
    assert second is None
