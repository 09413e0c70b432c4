"""The base schema, on a new database or on a SQLite file made before migrations existed.

Every step checks what is there first: a file from an older version already has most tables,
without ``clients.expires_at``, ``offices.version`` or ``conflicts.office``. The tables are
created from :mod:`counter_tui.central.schema` as it stood at this revision; a later revision
that changes one of these tables must check before it alters (so running on a new database,
where this revision already created the newest shape, stays safe).

Revision ID: 0001
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from counter_tui.central import schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BASE_TABLES = (
    "meta",
    "offices",
    "clients",
    "dossiers",
    "ops",
    "conflicts",
    "catalog",
    "clerks",
    "audit",
)

PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
DROP TRIGGER IF EXISTS audit_append_only_u ON audit;
DROP TRIGGER IF EXISTS audit_append_only_d ON audit;
DROP TRIGGER IF EXISTS audit_append_only_t ON audit;
CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_append_only_t BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
"""
SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER IF NOT EXISTS audit_append_only_u BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_append_only_d BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]


def _columns(bind: sa.Connection, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(bind).get_columns(table)}


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    for name in BASE_TABLES:
        if name not in existing:
            schema.metadata.tables[name].create(bind)
            continue
        # A SQLite file from before migrations: bring its columns up to this revision.
        have = _columns(bind, name)
        if name == "clients" and "expires_at" not in have:
            op.add_column("clients", sa.Column("expires_at", sa.Float))
        if name == "offices" and "version" not in have:
            op.add_column(
                "offices", sa.Column("version", sa.BigInteger, nullable=False, server_default="0")
            )
            # The feed counter was one for all offices: each office carries on from it, so
            # every cursor a counter holds stays below its office's next version.
            op.execute(
                "UPDATE offices SET version = COALESCE("
                "(SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'version'), 0)"
            )
        if name == "conflicts" and "office" not in have:
            op.add_column("conflicts", sa.Column("office", sa.Text))
            op.execute(
                "UPDATE conflicts SET office = "
                "(SELECT office FROM clients WHERE clients.id = conflicts.client_id)"
            )
    if bind.dialect.name == "postgresql":
        op.execute(PG_APPEND_ONLY)
    else:
        for statement in SQLITE_APPEND_ONLY:
            op.execute(statement)
    meta = schema.meta
    if bind.execute(sa.select(meta.c.v).where(meta.c.k == "epoch")).first() is None:
        bind.execute(meta.insert().values(k="epoch", v=uuid.uuid4().hex[:12]))
    # The chain's head row exists from the start: appenders lock it (see db.Tx).
    if bind.execute(sa.select(meta.c.v).where(meta.c.k == "audit_head")).first() is None:
        bind.execute(meta.insert().values(k="audit_head", v=""))


def downgrade() -> None:
    raise NotImplementedError("the centre's data is never migrated down")
