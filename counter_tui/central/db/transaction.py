"""The one write transaction every repository writes through, the reads beside it, and the
runner of the prebuilt statements both use.

A write is one :class:`Tx`: one connection in one transaction (``BEGIN IMMEDIATE`` on SQLite),
which hands out each aggregate's writes (``tx.clients``, ``tx.dossiers``, ``tx.audit``). A push
batch's dossiers, its operations' results, its counter's sequence number and its audit entries
therefore commit together or not at all, whichever repositories wrote them. What is held until
the end (the batch's rows, the audit entries) is written by :meth:`Tx.finish`.

The hot paths' statements are built once, at import, by the repository that owns them: building
a Core statement costs more than running it (measured; see docs/operations.md). They run here,
compiled once per dialect, straight on the driver's connection.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from counter_tui.central.db.audit import AuditWrites
from counter_tui.central.db.batch import Batch
from counter_tui.central.db.clients import ClientWrites
from counter_tui.central.db.dossier_writes import DossierWrites

_COMPILED: dict[tuple[str, int], Any] = {}


def _compiled(dialect: sa.Dialect, stmt: Any) -> Any:
    key = (dialect.name, id(stmt))
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = stmt.compile(dialect=dialect)
    return compiled


def run_compiled(dbapi_conn: Any, dialect: sa.Dialect, stmt: Any, params: dict[str, Any]) -> Any:
    """Run a prebuilt statement on the driver's own connection: SQLAlchemy wrote the SQL for
    this dialect once; the per-call work of its Connection (several times the cost of the
    query on SQLite, see docs/operations.md) is skipped. Returns the driver's cursor."""
    compiled = _compiled(dialect, stmt)
    values = dict(compiled.construct_params(params) or {})  # with defaults (OFFSET 0)
    names = getattr(compiled, "positiontup", None)
    cur = dbapi_conn.cursor()
    cur.execute(compiled.string, tuple(values[n] for n in names) if names else values)
    return cur


def run_compiled_many(
    dbapi_conn: Any, dialect: sa.Dialect, stmt: Any, rows: list[dict[str, Any]]
) -> None:
    """:func:`run_compiled` for many rows at once (the driver's ``executemany``): each row
    names every parameter of the statement. The per-row work of SQLAlchemy's executemany
    (parameters rebuilt and processed row by row) was about 5 % of the centre's time in a
    push (docs/benchmarks.md)."""
    compiled = _compiled(dialect, stmt)
    names = getattr(compiled, "positiontup", None)
    if names:
        params: list[Any] = [tuple(row[n] for n in names) for row in rows]
    else:
        keys = list(compiled.binds)
        params = [{k: row[k] for k in keys} for row in rows]
    cur = dbapi_conn.cursor()
    try:
        cur.executemany(compiled.string, params)
    except dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy raises it (a taken key is its IntegrityError, which the push retries).
        raise sa.exc.DBAPIError.instance(
            compiled.string, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True
        ) from exc
    finally:
        cur.close()


def dialect_insert(dialect: sa.Dialect, table: sa.Table) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_update`` on both engines."""
    return (postgresql if dialect.name == "postgresql" else sqlite).insert(table)


class Reads:
    """The read side: autocommit connections of the read engine, and the raw path for the two
    reads every request makes (the token, the feed page)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def raw(self, stmt: sa.ClauseElement, params: dict[str, Any]) -> list[Any]:
        """Run a prebuilt statement straight on a pooled driver connection: where
        SQLAlchemy's Connection costs several times the query itself (figures in
        docs/operations.md). SQLAlchemy still writes the SQL for the dialect; only the
        per-call bookkeeping is skipped."""
        conn = self.engine.raw_connection()
        try:
            cur = run_compiled(conn, self.engine.dialect, stmt, params)
            rows = list(cur.fetchall())
            cur.close()
            return rows
        finally:
            conn.close()

    def one(self, stmt: sa.Executable, params: dict[str, Any] | None = None) -> Any:
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_autocommit=True)
            return conn.execute(stmt, params).first()

    def all(self, stmt: sa.Executable, params: dict[str, Any] | None = None) -> list[Any]:
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_autocommit=True)
            return list(conn.execute(stmt, params).all())


class Tx:
    """One write transaction: the writes the service may make, nothing else, each under the
    aggregate it belongs to."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self._dbapi = conn.connection  # the same driver connection, in the same transaction
        self.batch: Batch | None = None  # a push's writes, decided in memory (batch.py)
        self.clients = ClientWrites(self)
        self.dossiers = DossierWrites(self)
        self.audit = AuditWrites(self)

    def run(self, stmt: Any, params: dict[str, Any] | None = None) -> Any:
        """A prebuilt statement in this transaction (:func:`run_compiled`); the driver's cursor."""
        return run_compiled(self._dbapi, self.conn.dialect, stmt, params or {})

    def run_many(self, stmt: Any, rows: list[dict[str, Any]]) -> None:
        run_compiled_many(self._dbapi, self.conn.dialect, stmt, rows)

    def upsert(
        self, table: sa.Table, keys: list[str], values: dict[str, Any], update: list[str]
    ) -> None:
        """Insert a row, or set ``update`` of the row already under ``keys``."""
        stmt = dialect_insert(self.conn.dialect, table).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={k: getattr(stmt.excluded, k) for k in update}
        )
        self.conn.execute(stmt)

    def insert_new(self, table: sa.Table, values: dict[str, Any]) -> bool:
        """Insert a row unless its key is taken; whether it was."""
        stmt = dialect_insert(self.conn.dialect, table).values(**values).on_conflict_do_nothing()
        return bool(self.conn.execute(stmt).rowcount)

    def finish(self) -> None:
        """What waited for the end of the transaction: the batch's rows (feed counters, new and
        changed dossiers, the operations' results: one statement each), then the audit entries,
        whose chain lock is taken last so that it is held only for the commit."""
        batch, self.batch = self.batch, None
        if batch is not None:
            self.dossiers.write_batch(batch)
            self.clients.write_ops(batch.ops)
        self.audit.append_pending()


Writer = Callable[[], AbstractContextManager[Tx]]
"""How a repository opens its own write (:meth:`CentralDB.write`) for an operator's change."""
