"""Receipt regardless of boundary (the handling office of a dossier and its place in that
office's feed) and the table of holiday decisions, seeded from ``config/holidays.toml``
(issue 13, items 2 and 5).

Revision 0001 creates ``dossiers`` from the current schema on a new database, so the columns
are only added where they are missing; the table is seeded only when it is created.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from counter_tui.central import schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    inspect = sa.inspect(bind)
    have = {c["name"] for c in inspect.get_columns("dossiers")}
    if "handling_office" not in have:
        op.add_column("dossiers", sa.Column("handling_office", sa.Text))
    if "handling_version" not in have:
        op.add_column("dossiers", sa.Column("handling_version", sa.BigInteger))
    if "dossiers_routed" not in {i["name"] for i in inspect.get_indexes("dossiers")}:
        op.create_index("dossiers_routed", "dossiers", ["handling_office", "handling_version"])
    if not inspect.has_table("holidays"):
        schema.holidays.create(bind)
        from counter_tui.central.holidays import seed_rows

        rows = seed_rows()
        if rows:
            bind.execute(schema.holidays.insert(), rows)
    meta = schema.meta
    if bind.execute(sa.select(meta.c.v).where(meta.c.k == "holidays_rev")).first() is None:
        bind.execute(meta.insert().values(k="holidays_rev", v="1"))


def downgrade() -> None:
    raise NotImplementedError("the centre's data is never migrated down")
