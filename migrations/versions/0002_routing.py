"""routing: calendars, voicemail, IVR, number handlers

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orbit_voice.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "calendars",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("weekday_windows", _json(), nullable=False),
        sa.Column("holidays", _json(), nullable=False),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_calendars_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendars")),
    )
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendars_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendars_org_id"), ["org_id"], unique=False)

    op.create_table(
        "ivr_flows",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("greeting", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("menu", _json(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("fallback_action", sa.String(length=32), nullable=False),
        sa.Column("fallback_target", sa.String(length=40), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_ivr_flows_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_flows")),
    )
    with op.batch_alter_table("ivr_flows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ivr_flows_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ivr_flows_org_id"), ["org_id"], unique=False)

    op.create_table(
        "voicemail_boxes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("greeting", sa.Text(), nullable=False),
        sa.Column("transcribe", sa.Boolean(), nullable=False),
        sa.Column("max_duration", sa.Integer(), nullable=False),
        sa.Column("notification_email", sa.String(length=320), nullable=True),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_voicemail_boxes_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voicemail_boxes")),
    )
    with op.batch_alter_table("voicemail_boxes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voicemail_boxes_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_voicemail_boxes_org_id"), ["org_id"], unique=False)

    op.create_table(
        "voicemail_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("voicemail_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=True),
        sa.Column("caller", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(length=8), nullable=True),
        sa.Column("path", sa.String(length=1024), nullable=True),
        sa.Column("transcription", sa.Text(), nullable=True),
        sa.Column("transcription_status", sa.String(length=16), nullable=False),
        sa.Column("listened", sa.Boolean(), nullable=False),
        sa.Column("listened_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.Column("notification_status", sa.String(length=16), nullable=False),
        sa.Column("notification_detail", sa.String(length=500), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("completed_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_voicemail_messages_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voicemail_id"],
            ["voicemail_boxes.id"],
            name=op.f("fk_voicemail_messages_voicemail_id_voicemail_boxes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voicemail_messages")),
    )
    with op.batch_alter_table("voicemail_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voicemail_messages_call_id"), ["call_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_voicemail_messages_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_voicemail_messages_listened"), ["listened"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_voicemail_messages_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_voicemail_messages_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_voicemail_messages_voicemail_id"), ["voicemail_id"], unique=False
        )

    op.create_table(
        "call_gathers",
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref_id", sa.String(length=40), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("state", _json(), nullable=False),
        sa.Column("started_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_gathers_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_gathers")),
    )
    with op.batch_alter_table("call_gathers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_gathers_org_id"), ["org_id"], unique=False)

    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handler", _json(), nullable=True))
        batch_op.add_column(sa.Column("calendar_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("off_hours_handler", _json(), nullable=True))
        batch_op.create_index(batch_op.f("ix_numbers_calendar_id"), ["calendar_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_numbers_calendar_id"))
        batch_op.drop_column("off_hours_handler")
        batch_op.drop_column("calendar_id")
        batch_op.drop_column("handler")

    with op.batch_alter_table("call_gathers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_gathers_org_id"))
    op.drop_table("call_gathers")

    with op.batch_alter_table("voicemail_messages", schema=None) as batch_op:
        for column in ("voicemail_id", "status", "org_id", "listened", "created_at", "call_id"):
            batch_op.drop_index(batch_op.f(f"ix_voicemail_messages_{column}"))
    op.drop_table("voicemail_messages")

    with op.batch_alter_table("voicemail_boxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voicemail_boxes_org_id"))
        batch_op.drop_index(batch_op.f("ix_voicemail_boxes_created_at"))
    op.drop_table("voicemail_boxes")

    with op.batch_alter_table("ivr_flows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ivr_flows_org_id"))
        batch_op.drop_index(batch_op.f("ix_ivr_flows_created_at"))
    op.drop_table("ivr_flows")

    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendars_org_id"))
        batch_op.drop_index(batch_op.f("ix_calendars_created_at"))
    op.drop_table("calendars")
