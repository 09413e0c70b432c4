"""The heads of the counters' audit chains, as each push reported them (issue 11.11).

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("audit_anchors"):
        return
    op.create_table(
        "audit_anchors",
        sa.Column("client_id", sa.Integer, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("head", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("client_id", "seq"),
    )


def downgrade() -> None:
    raise NotImplementedError("the centre's data is never migrated down")
