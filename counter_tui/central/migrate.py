"""Bring a centre's database to the current schema (Alembic), safely twice and from several
processes at once.

On PostgreSQL the upgrade runs under a transaction-scoped advisory lock, so workers starting
together queue up and the later ones find nothing to do; on SQLite the write lock of the
transaction does the same. A database already at the head costs one query.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

LOCK_KEY = 0x636F756E  # any fixed number: the advisory lock of this schema's migrations
MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    """The newest revision the code knows."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None
    return found


def current(engine: sa.Engine) -> str | None:
    """The revision the database is at (``None``: never migrated, or not a centre yet)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def upgrade(engine: sa.Engine) -> str:
    """Migrate to the head; returns it."""
    target = head()
    if current(engine) == target:
        return target
    cfg = _config()
    with engine.connect() as conn:
        conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return target
