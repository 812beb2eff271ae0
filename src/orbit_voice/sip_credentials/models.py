from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orbit_voice.db import Base, UTCDateTime


class SipCredential(Base):
    """A SIP username/password pair. Only digest hashes are kept, never the password:
    HA1 = H(username:realm:password) with MD5 (RFC 2617) and SHA-256 (RFC 7616)."""

    __tablename__ = "sip_credentials"
    __table_args__ = (UniqueConstraint("org_id", "username", name="uq_sip_credentials_org_user"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    realm: Mapped[str] = mapped_column(String(255))
    ha1_md5: Mapped[str] = mapped_column(String(32))
    ha1_sha256: Mapped[str] = mapped_column(String(64))
    # Registration state, written by the SIP registrar (none runs yet: unregistered).
    contact: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(255), nullable=True)
    password_rotated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Extension(Base):
    """A dialable identity owned by one credential: a transfer target, a ring group member
    and a softphone identity. ``extension`` is the short number users dial (e.g. "1001")."""

    __tablename__ = "extensions"
    __table_args__ = (UniqueConstraint("org_id", "extension", name="uq_extensions_org_ext"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    extension: Mapped[str] = mapped_column(String(16))
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("sip_credentials.id", ondelete="CASCADE"), unique=True
    )
    # Caller id for calls this extension places (an org number, E.164); null: none set.
    caller_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
