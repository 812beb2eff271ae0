"""agents.sip_uri and agents.phone_number: where a live call rings a human agent

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("sip_uri", sa.String(512), nullable=True))
        batch.add_column(sa.Column("phone_number", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("phone_number")
        batch.drop_column("sip_uri")
