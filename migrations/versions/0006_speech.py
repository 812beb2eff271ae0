"""speech jobs, transcripts, intelligence, call quality

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orbit_voice.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "speech_jobs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.String(length=40), nullable=False),
        sa.Column("audio_path", sa.String(length=1024), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("locked_until", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_speech_jobs_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speech_jobs")),
    )
    with op.batch_alter_table("speech_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_speech_jobs_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_speech_jobs_ref_id"), ["ref_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_speech_jobs_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_speech_jobs_run_at"), ["run_at"], unique=False)

    op.create_table(
        "transcripts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=True),
        sa.Column("recording_id", sa.String(length=40), nullable=True),
        sa.Column("audio_url", sa.String(length=2048), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("segments", _json(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.String(length=500), nullable=True),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("completed_at", orbit_voice.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_transcripts_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcripts")),
    )
    with op.batch_alter_table("transcripts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transcripts_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transcripts_call_id"), ["call_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_transcripts_created_at"), ["created_at"], unique=False)

    op.create_table(
        "transcript_chunks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ts", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("end_ts", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_transcript_chunks_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_chunks")),
        sa.UniqueConstraint("call_id", "seq", name="uq_transcript_chunks_call_seq"),
    )
    with op.batch_alter_table("transcript_chunks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transcript_chunks_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transcript_chunks_call_id"), ["call_id"], unique=False)

    op.create_table(
        "call_intelligence",
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("overall", sa.String(length=40), nullable=False),
        sa.Column("trajectory", sa.String(length=16), nullable=False),
        sa.Column("agent_score", sa.Float(), nullable=True),
        sa.Column("caller_score", sa.Float(), nullable=True),
        sa.Column("utterances", _json(), nullable=False),
        sa.Column("key_moments", _json(), nullable=False),
        sa.Column("action_items", _json(), nullable=False),
        sa.Column("customer_effort_score", sa.Float(), nullable=False),
        sa.Column("effort_factors", _json(), nullable=False),
        sa.Column("compliance_flags", _json(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("processed_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_intelligence_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_call_intelligence_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_intelligence")),
    )
    with op.batch_alter_table("call_intelligence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_intelligence_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_call_intelligence_agent_id"), ["agent_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_call_intelligence_overall"), ["overall"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_call_intelligence_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "intelligence_settings",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("intents", _json(), nullable=False),
        sa.Column("required_phrases", _json(), nullable=False),
        sa.Column("forbidden_phrases", _json(), nullable=False),
        sa.Column("updated_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["orgs.id"],
            name=op.f("fk_intelligence_settings_org_id_orgs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_intelligence_settings")),
    )

    op.create_table(
        "call_quality",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("call_id", sa.String(length=40), nullable=False),
        sa.Column("leg", sa.String(length=16), nullable=False),
        sa.Column("trunk_id", sa.String(length=40), nullable=True),
        sa.Column("codec", sa.String(length=16), nullable=False),
        sa.Column("jitter_ms", sa.Float(), nullable=False),
        sa.Column("max_jitter_ms", sa.Float(), nullable=False),
        sa.Column("packet_loss_pct", sa.Float(), nullable=False),
        sa.Column("rtt_ms", sa.Float(), nullable=False),
        sa.Column("r_factor", sa.Float(), nullable=False),
        sa.Column("mos", sa.Float(), nullable=False),
        sa.Column("vaqi", sa.Float(), nullable=False),
        sa.Column("one_way_audio", sa.Boolean(), nullable=False),
        sa.Column("audio_gaps", sa.Integer(), nullable=False),
        sa.Column("packets", sa.Integer(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("sampled_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.Column("created_at", orbit_voice.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_quality_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_call_quality_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_quality")),
        sa.UniqueConstraint("call_id", "leg", name="uq_call_quality_call_leg"),
    )
    with op.batch_alter_table("call_quality", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_quality_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_quality_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_quality_trunk_id"), ["trunk_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_call_quality_sampled_at"), ["sampled_at"], unique=False
        )


def downgrade() -> None:
    for table, indexes in (
        ("call_quality", ["sampled_at", "trunk_id", "call_id", "org_id"]),
        ("call_intelligence", ["created_at", "overall", "agent_id", "org_id"]),
        ("transcript_chunks", ["call_id", "org_id"]),
        ("transcripts", ["created_at", "call_id", "org_id"]),
        ("speech_jobs", ["run_at", "status", "ref_id", "org_id"]),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in indexes:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
    op.drop_table("call_quality")
    op.drop_table("intelligence_settings")
    op.drop_table("call_intelligence")
    op.drop_table("transcript_chunks")
    op.drop_table("transcripts")
    op.drop_table("speech_jobs")
