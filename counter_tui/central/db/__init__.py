"""The centre's data layer: every SQL statement of the centre, on SQLite or PostgreSQL, in one
repository per aggregate.

:class:`CentralDB` opens the database (migrating it), closes it, and hands out the
repositories: ``db.offices``, ``db.clients`` (and their tokens), ``db.feed``, ``db.dossiers``
(and their conflicts), ``db.catalog``, ``db.holidays``, ``db.clerks``, ``db.audit`` (the chain
and the counters' anchors) and ``db.files``. Each owns its queries, and whatever a token's
holder may read is selected by office there, in the query, not filtered afterwards.

Writes run inside :meth:`CentralDB.write`, one transaction that hands out each aggregate's
writes (``tx.dossiers``, ``tx.clients``, ``tx.audit``; transaction.py): a push batch is one
transaction whichever repositories it writes through. The concurrency argument is in
docs/sync-protocol.md and, piece by piece, in the modules that take each lock: the feed
counters (feed.py, dossier_writes.py), the client row (clients.py), the audit head (audit.py).
On SQLite ``BEGIN IMMEDIATE`` serialises writers and those locks cost nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from counter_tui.central import migrate as migrations
from counter_tui.central.db.audit import Audit
from counter_tui.central.db.batch import BatchMiss
from counter_tui.central.db.catalog import Catalog
from counter_tui.central.db.clerks import Clerks
from counter_tui.central.db.clients import TOKEN_DAYS, AuthFailed, Client, Clients, hash_token
from counter_tui.central.db.dossiers import Dossiers
from counter_tui.central.db.feed import Feed
from counter_tui.central.db.files import Files
from counter_tui.central.db.holidays import Holidays
from counter_tui.central.db.offices import Offices
from counter_tui.central.db.transaction import Reads, Tx
from counter_tui.central.engines import display, make_engine, make_read_engine
from counter_tui.central.schema import (
    audit,
    clerks,
    clients,
    conflicts,
    dossiers,
    holidays,
    meta,
    offices,
    ops,
)

__all__ = ["TOKEN_DAYS", "AuthFailed", "BatchMiss", "CentralDB", "Client", "Tx", "hash_token"]


class CentralDB:
    """The centre's database on either engine (``target``: a file path or a postgresql:// URL)."""

    def __init__(self, target: str | Path, *, migrate: bool = True) -> None:
        self.target = str(target)
        self.path = self.target  # the name callers printed before PostgreSQL
        self.engine = make_engine(target)
        self.read_engine = make_read_engine(target, self.engine)
        if migrate:
            migrations.upgrade(self.engine)
        reads = Reads(self.read_engine)
        self.offices = Offices(reads, self.write)
        self.clients = Clients(reads, self.write)
        self.feed = Feed(reads)
        self.dossiers = Dossiers(reads)
        self.holidays = Holidays(reads, self.write)
        self.catalog = Catalog(reads, self.write, self.holidays)
        self.clerks = Clerks(reads, self.write)
        self.audit = Audit(reads)
        self.files = Files(reads, self.write)
        self._reads = reads

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __repr__(self) -> str:
        return f"CentralDB({display(self.target)!r})"

    def close(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction; what it held back is written just before it commits."""
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                tx = Tx(conn)
                yield tx
                tx.finish()

    # --- the database as a whole --------------------------------------------------------

    @property
    def epoch(self) -> str:
        """This database's identity: the first part of every cursor it hands out."""
        return str(self._reads.one(sa.select(meta.c.v).where(meta.c.k == "epoch"))[0])

    def totals(self) -> dict[str, int]:
        """What an operator compares after a copy or a refused request: row counts and the
        highest feed version."""
        out: dict[str, int] = {}
        with self.engine.connect() as conn:
            for t in (offices, clients, dossiers, ops, conflicts, clerks, audit, holidays):
                out[t.name] = int(
                    conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                )
            out["max_version"] = int(
                conn.execute(
                    sa.select(sa.func.coalesce(sa.func.max(dossiers.c.version), 0))
                ).scalar_one()
            )
            out["sum_last_seq"] = int(
                conn.execute(
                    sa.select(sa.func.coalesce(sa.func.sum(clients.c.last_seq), 0))
                ).scalar_one()
            )
        return out
