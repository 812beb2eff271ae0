"""Every query the SIP credentials domain runs (all filtered by org)."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.sip_credentials.models import Extension, SipCredential


async def get_credential(
    session: AsyncSession, org_id: str, credential_id: str
) -> SipCredential | None:
    return (
        await session.execute(
            select(SipCredential).where(
                SipCredential.id == credential_id, SipCredential.org_id == org_id
            )
        )
    ).scalar_one_or_none()


async def credential_by_username(
    session: AsyncSession, org_id: str, username: str
) -> SipCredential | None:
    return (
        await session.execute(
            select(SipCredential).where(
                SipCredential.org_id == org_id, SipCredential.username == username
            )
        )
    ).scalar_one_or_none()


def list_credentials(org_id: str) -> Select[SipCredential]:
    return select(SipCredential).where(SipCredential.org_id == org_id)


async def extension_of(session: AsyncSession, org_id: str, credential_id: str) -> Extension | None:
    return (
        await session.execute(
            select(Extension).where(
                Extension.org_id == org_id, Extension.credential_id == credential_id
            )
        )
    ).scalar_one_or_none()


async def extensions_of(
    session: AsyncSession, org_id: str, credential_ids: list[str]
) -> dict[str, Extension]:
    if not credential_ids:
        return {}
    rows = await session.execute(
        select(Extension).where(
            Extension.org_id == org_id, Extension.credential_id.in_(credential_ids)
        )
    )
    return {e.credential_id: e for e in rows.scalars().all()}


async def get_extension(session: AsyncSession, org_id: str, extension_id: str) -> Extension | None:
    return (
        await session.execute(
            select(Extension).where(Extension.id == extension_id, Extension.org_id == org_id)
        )
    ).scalar_one_or_none()


async def extension_by_number(session: AsyncSession, org_id: str, number: str) -> Extension | None:
    return (
        await session.execute(
            select(Extension).where(Extension.org_id == org_id, Extension.extension == number)
        )
    ).scalar_one_or_none()
