"""SIP trunks, SIP credentials and extensions, softphone, voice clones

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orbit_voice.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "trunks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("termination_uri", sa.String(length=512), nullable=False),
        sa.Column("origination_uris", _json(), nullable=False),
        sa.Column("auth_username", sa.String(length=255), nullable=True),
        sa.Column("auth_password_encrypted", sa.Text(), nullable=True),
        sa.Column("codecs", _json(), nullable=False),
        sa.Column("encryption", sa.String(length=16), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=200), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_trunks_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trunks")),
    )
    with op.batch_alter_table("trunks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trunks_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trunks_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trunk_id", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_numbers_trunk_id"), ["trunk_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_numbers_trunk_id_trunks"),
            "trunks",
            ["trunk_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "sip_credentials",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("realm", sa.String(length=255), nullable=False),
        sa.Column("ha1_md5", sa.String(length=32), nullable=False),
        sa.Column("ha1_sha256", sa.String(length=64), nullable=False),
        sa.Column("contact", sa.String(length=1024), nullable=True),
        sa.Column("expires_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("password_rotated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_sip_credentials_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sip_credentials")),
        sa.UniqueConstraint("org_id", "username", name="uq_sip_credentials_org_user"),
    )
    with op.batch_alter_table("sip_credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sip_credentials_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sip_credentials_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "extensions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("extension", sa.String(length=16), nullable=False),
        sa.Column("credential_id", sa.String(length=40), nullable=False),
        sa.Column("caller_id", sa.String(length=20), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_extensions_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["sip_credentials.id"],
            name=op.f("fk_extensions_credential_id_sip_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extensions")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_extensions_credential_id")),
        sa.UniqueConstraint("org_id", "extension", name="uq_extensions_org_ext"),
    )
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extensions_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_extensions_created_at"), ["created_at"], unique=False)

    op.create_table(
        "voice_clones",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("sample_path", sa.String(length=1024), nullable=False),
        sa.Column("sample_format", sa.String(length=8), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("speech_seconds", sa.Float(), nullable=False),
        sa.Column("pitch_hz", sa.Float(), nullable=True),
        sa.Column("speaking_rate", sa.Float(), nullable=True),
        sa.Column("voice", _json(), nullable=False),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_voice_clones_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_clones")),
    )
    with op.batch_alter_table("voice_clones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voice_clones_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_voice_clones_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("voice_clones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voice_clones_created_at"))
        batch_op.drop_index(batch_op.f("ix_voice_clones_org_id"))
    op.drop_table("voice_clones")

    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extensions_created_at"))
        batch_op.drop_index(batch_op.f("ix_extensions_org_id"))
    op.drop_table("extensions")

    with op.batch_alter_table("sip_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sip_credentials_created_at"))
        batch_op.drop_index(batch_op.f("ix_sip_credentials_org_id"))
    op.drop_table("sip_credentials")

    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_numbers_trunk_id_trunks"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_numbers_trunk_id"))
        batch_op.drop_column("trunk_id")

    with op.batch_alter_table("trunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trunks_created_at"))
        batch_op.drop_index(batch_op.f("ix_trunks_org_id"))
    op.drop_table("trunks")
