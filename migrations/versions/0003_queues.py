"""queues, agent presence and ring groups

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orbit_voice.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_ENTRY = "status IN ('waiting', 'connected')"


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wrap_up_seconds", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("calls_handled", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("current_call_id", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("last_call_ended_at", orbit_voice.db.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("wrap_up_until", orbit_voice.db.UTCDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_agents_current_call_id"), ["current_call_id"], unique=False
        )

    op.create_table(
        "queues",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("max_wait_seconds", sa.Integer(), nullable=False),
        sa.Column("overflow_action", sa.String(length=32), nullable=False),
        sa.Column("overflow_target", sa.String(length=40), nullable=True),
        sa.Column("hold_music_url", sa.String(length=2048), nullable=True),
        sa.Column("agent_ids", _json(), nullable=False),
        sa.Column("wrap_up_seconds", sa.Integer(), nullable=False),
        sa.Column("rr_last_agent_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_queues_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queues")),
    )
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queues_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_queues_org_id"), ["org_id"], unique=False)

    op.create_table(
        "queue_entries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("queue_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=True),
        sa.Column("agent_leg_id", sa.String(length=40), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("enqueued_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("connected_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.Column("ended_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_queue_entries_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_queue_entries_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["queues.id"],
            name=op.f("fk_queue_entries_queue_id_queues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_entries")),
    )
    with op.batch_alter_table("queue_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queue_entries_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_queue_entries_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_queue_entries_enqueued_at"), ["enqueued_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_queue_entries_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_queue_entries_queue_id"), ["queue_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_queue_entries_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_queue_entries_active_call",
            ["call_id"],
            unique=True,
            sqlite_where=sa.text(ACTIVE_ENTRY),
            postgresql_where=sa.text(ACTIVE_ENTRY),
        )

    op.create_table(
        "ring_groups",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("members", _json(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("fallback_action", sa.String(length=32), nullable=False),
        sa.Column("fallback_target", sa.String(length=40), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_ring_groups_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ring_groups")),
    )
    with op.batch_alter_table("ring_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ring_groups_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ring_groups_org_id"), ["org_id"], unique=False)

    op.create_table(
        "ring_group_calls",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("ring_group_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("destinations", _json(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answered_leg_id", sa.String(length=40), nullable=True),
        sa.Column("fallback_action", sa.String(length=32), nullable=False),
        sa.Column("fallback_target", sa.String(length=40), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_ring_group_calls_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_ring_group_calls_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ring_group_calls")),
    )
    with op.batch_alter_table("ring_group_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ring_group_calls_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ring_group_calls_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ring_group_calls_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ring_group_calls_ring_group_id"), ["ring_group_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ring_group_calls_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ring_group_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ring_group_calls_status"))
        batch_op.drop_index(batch_op.f("ix_ring_group_calls_ring_group_id"))
        batch_op.drop_index(batch_op.f("ix_ring_group_calls_org_id"))
        batch_op.drop_index(batch_op.f("ix_ring_group_calls_created_at"))
        batch_op.drop_index(batch_op.f("ix_ring_group_calls_call_id"))
    op.drop_table("ring_group_calls")

    with op.batch_alter_table("ring_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ring_groups_org_id"))
        batch_op.drop_index(batch_op.f("ix_ring_groups_created_at"))
    op.drop_table("ring_groups")

    with op.batch_alter_table("queue_entries", schema=None) as batch_op:
        batch_op.drop_index("uq_queue_entries_active_call")
        batch_op.drop_index(batch_op.f("ix_queue_entries_status"))
        batch_op.drop_index(batch_op.f("ix_queue_entries_queue_id"))
        batch_op.drop_index(batch_op.f("ix_queue_entries_org_id"))
        batch_op.drop_index(batch_op.f("ix_queue_entries_enqueued_at"))
        batch_op.drop_index(batch_op.f("ix_queue_entries_call_id"))
        batch_op.drop_index(batch_op.f("ix_queue_entries_agent_id"))
    op.drop_table("queue_entries")

    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queues_org_id"))
        batch_op.drop_index(batch_op.f("ix_queues_created_at"))
    op.drop_table("queues")

    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_current_call_id"))
        batch_op.drop_column("wrap_up_until")
        batch_op.drop_column("last_call_ended_at")
        batch_op.drop_column("current_call_id")
        batch_op.drop_column("calls_handled")
        batch_op.drop_column("wrap_up_seconds")
