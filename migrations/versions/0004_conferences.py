"""conferences and monitoring

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import orbit_voice.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conferences",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pin", sa.String(length=6), nullable=False),
        sa.Column("max_participants", sa.Integer(), nullable=False),
        sa.Column("record", sa.Boolean(), nullable=False),
        sa.Column("mute_on_join", sa.Boolean(), nullable=False),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("all_muted", sa.Boolean(), nullable=False),
        sa.Column("backend", sa.String(length=8), nullable=False),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("started_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.Column("ended_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_conferences_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conferences")),
    )
    with op.batch_alter_table("conferences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conferences_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_conferences_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conferences_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_conferences_active_pin",
            ["org_id", "pin"],
            unique=True,
            sqlite_where=sa.text("status != 'ended'"),
            postgresql_where=sa.text("status != 'ended'"),
        )

    op.create_table(
        "conference_participants",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("conference_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("muted_by_all", sa.Boolean(), nullable=False),
        sa.Column("on_hold", sa.Boolean(), nullable=False),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("joined_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.Column("left_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_conference_participants_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conferences.id"],
            name=op.f("fk_conference_participants_conference_id_conferences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_conference_participants_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_participants")),
    )
    with op.batch_alter_table("conference_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conference_participants_call_id"), ["call_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_participants_conference_id"), ["conference_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_participants_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_participants_org_id"), ["org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_participants_status"), ["status"], unique=False
        )

    op.create_table(
        "conference_recordings",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("conference_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=True),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=1024), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("completed_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conferences.id"],
            name=op.f("fk_conference_recordings_conference_id_conferences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_conference_recordings_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_recordings")),
    )
    with op.batch_alter_table("conference_recordings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conference_recordings_conference_id"), ["conference_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_recordings_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conference_recordings_org_id"), ["org_id"], unique=False
        )

    op.create_table(
        "call_monitors",
        sa.Column("supervisor_call_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("supervisor", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_monitors_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_call_monitors_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["supervisor_call_id"],
            ["calls.id"],
            name=op.f("fk_call_monitors_supervisor_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("supervisor_call_id", name=op.f("pk_call_monitors")),
    )
    with op.batch_alter_table("call_monitors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_monitors_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_call_monitors_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_call_monitors_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_monitors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_monitors_org_id"))
        batch_op.drop_index(batch_op.f("ix_call_monitors_created_at"))
        batch_op.drop_index(batch_op.f("ix_call_monitors_call_id"))
    op.drop_table("call_monitors")

    with op.batch_alter_table("conference_recordings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conference_recordings_org_id"))
        batch_op.drop_index(batch_op.f("ix_conference_recordings_created_at"))
        batch_op.drop_index(batch_op.f("ix_conference_recordings_conference_id"))
    op.drop_table("conference_recordings")

    with op.batch_alter_table("conference_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conference_participants_status"))
        batch_op.drop_index(batch_op.f("ix_conference_participants_org_id"))
        batch_op.drop_index(batch_op.f("ix_conference_participants_created_at"))
        batch_op.drop_index(batch_op.f("ix_conference_participants_conference_id"))
        batch_op.drop_index(batch_op.f("ix_conference_participants_call_id"))
    op.drop_table("conference_participants")

    with op.batch_alter_table("conferences", schema=None) as batch_op:
        batch_op.drop_index("uq_conferences_active_pin")
        batch_op.drop_index(batch_op.f("ix_conferences_status"))
        batch_op.drop_index(batch_op.f("ix_conferences_org_id"))
        batch_op.drop_index(batch_op.f("ix_conferences_created_at"))
    op.drop_table("conferences")
