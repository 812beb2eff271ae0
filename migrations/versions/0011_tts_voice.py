"""agents.tts_voice_id and ivr_flows.tts_voice_id: the voice clone an AI agent or an IVR
speaks with

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("agents", "ivr_flows"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("tts_voice_id", sa.String(40), nullable=True))


def downgrade() -> None:
    for table in ("ivr_flows", "agents"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("tts_voice_id")
