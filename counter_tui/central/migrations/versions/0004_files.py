"""The table of files each office holds (issue 14: scanned documents synced whole).

Revision ID: 0004_files
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from counter_tui.central import schema

revision = "0004_files"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("files"):
        schema.files.create(bind)


def downgrade() -> None:
    raise NotImplementedError("the centre's data is never migrated down")
