"""SIP engine: call and leg details

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nothing to add: the engine keeps the SIP Call-ID and final response code in
    # calls.sip_call_id / calls.sip_code (0001) and its RTCP samples in call_quality (0006),
    # and a leg's live state lives in the engine, not in the database.
    pass


def downgrade() -> None:
    pass
