"""Organisations and API keys. A key is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.errors import NotFound
from orbit_voice.kit.ids import new_id, random_token
from orbit_voice.orgs.models import ApiKey, Org

SCOPES = ("voice:read", "voice:write", "voice:monitor")
DEFAULT_SCOPES = list(SCOPES)
PREFIX_LEN = 19  # "dv_test_sk_" plus 8 characters of the random part


@dataclass(frozen=True)
class AuthContext:
    org_id: str
    key_id: str
    mode: str  # "test" drives the simulator, "live" the configured live backend
    scopes: frozenset[str]

    @property
    def is_test(self) -> bool:
        return self.mode == "test"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def get_or_create_org(session: AsyncSession, name: str, now: datetime) -> Org:
    org = (await session.execute(select(Org).where(Org.name == name))).scalar_one_or_none()
    if org is None:
        org = Org(id=new_id("org"), name=name, webhook_secret=new_webhook_secret(), created_at=now)
        session.add(org)
        await session.flush()
    return org


async def create_key(
    session: AsyncSession, org: Org, *, test: bool, scopes: list[str], now: datetime
) -> str:
    mode = "test" if test else "live"
    # 43 base62 characters carry 256 bits: at least 32 random bytes.
    raw = f"dv_{mode}_sk_{random_token(43)}"
    session.add(
        ApiKey(
            id=new_id("key"),
            org_id=org.id,
            prefix=raw[:PREFIX_LEN],
            key_hash=hash_key(raw),
            mode=mode,
            scopes=sorted(set(scopes)),
            created_at=now,
        )
    )
    await session.flush()
    return raw


async def revoke_key(session: AsyncSession, prefix: str, now: datetime) -> int:
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.prefix.startswith(prefix), ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count == 0:
        raise NotFound(f"No active key starts with '{prefix}'.", code="key_not_found")
    return count


async def authenticate(session: AsyncSession, raw: str) -> AuthContext | None:
    key = (
        await session.execute(
            select(ApiKey).where(ApiKey.key_hash == hash_key(raw), ApiKey.revoked_at.is_(None))
        )
    ).scalar_one_or_none()
    if key is None:
        return None
    return AuthContext(
        org_id=key.org_id, key_id=key.id, mode=key.mode, scopes=frozenset(key.scopes)
    )


async def get_org(session: AsyncSession, org_id: str) -> Org:
    org = await session.get(Org, org_id)
    if org is None:
        raise NotFound("Organisation not found.", code="org_not_found")
    return org
