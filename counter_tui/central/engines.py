"""The two engines of the centre: a SQLite file (the default) or a PostgreSQL server.

``--db`` takes a file path or a ``postgresql://`` URL. SQLite runs in WAL mode with full
fsync; a write transaction starts with ``BEGIN IMMEDIATE`` so writers queue at the start
instead of failing half-way. PostgreSQL is reached through psycopg 3 with a small pool per
process (several workers each have their own).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

# Per worker process and per pool (transactions, reads), plus half as many again at a burst:
# 4 workers x 2 pools x 6 = 48 connections at most, under PostgreSQL's default 100. More
# would not go faster on a few cores; a request waits for a free connection in the pool
# rather than as one more backend contending inside the server.
POOL_SIZE = int(os.environ.get("COUNTER_TUI_PG_POOL", "4"))
OVERFLOW = max(1, POOL_SIZE // 2)


def is_postgres(target: str | Path) -> bool:
    return str(target).startswith(("postgresql://", "postgresql+psycopg://", "postgres://"))


def display(target: str | Path) -> str:
    """The target as it may be printed or logged: a URL's password hidden."""
    if is_postgres(target):
        return sa.make_url(str(target)).render_as_string(hide_password=True)
    return str(target)


def owner_only(path: Path) -> None:
    """Create the database file (and a missing folder) readable by its owner only, before
    SQLite opens it: the WAL and shared-memory files SQLite makes beside it take the same
    mode. A file or WAL left readable by an older version is closed down too."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            if p.stat().st_mode & 0o077:
                p.chmod(0o600)


def make_read_engine(target: str | Path, engine: sa.Engine) -> sa.Engine:
    """The engine for single-statement reads. On PostgreSQL a second pool in autocommit: a
    read is then one round trip to the server, not BEGIN, SELECT, ROLLBACK and the pool's
    reset (measured: polling ran at a tenth of SQLite's rate before). One statement is its
    own consistent snapshot. On SQLite the same engine (its reads are in-process)."""
    if not is_postgres(target):
        return engine
    return sa.create_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_reset_on_return=None,
        pool_size=POOL_SIZE,
        max_overflow=OVERFLOW,
    )


def make_engine(target: str | Path) -> sa.Engine:
    if is_postgres(target):
        url = sa.make_url(str(target)).set(drivername="postgresql+psycopg")
        return sa.create_engine(url, pool_size=POOL_SIZE, max_overflow=OVERFLOW)
    path = Path(target)
    owner_only(path)
    engine = sa.create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": 30, "check_same_thread": False},
        pool_size=POOL_SIZE,
        max_overflow=POOL_SIZE,
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # Transactions are ours to begin (the driver's own implicit BEGIN would be deferred).
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=FULL")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        options = conn.get_execution_options()
        if options.get("sqlite_autocommit", False):
            return  # one SELECT: it is its own transaction, with its own consistent snapshot
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("sqlite_immediate") else "BEGIN")

    return engine
