"""Move a centre from one database to another (a commune's SQLite file to PostgreSQL).

Everything is copied as it is, ids, versions and the epoch included, so the counters carry on
with their cursors and sequence numbers as if nothing had happened. The target must be a new
(migrated, empty) centre. The copy is verified before it is reported done: the same row
counts, the same highest feed version, and the same audit chain head, checked end to end.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from counter_tui.central import schema
from counter_tui.central.db import CentralDB

BATCH = 2000
# Parents before children (foreign keys); meta last but one, so the head matches the rows.
TABLES = [
    schema.offices,
    schema.clients,
    schema.clerks,
    schema.dossiers,
    schema.ops,
    schema.conflicts,
    schema.catalog,
    schema.audit,
    schema.audit_anchors,
    schema.holidays,
    schema.files,
    schema.meta,
]


class CopyRefused(Exception):
    pass


def copy_centre(source: CentralDB, target: CentralDB) -> dict[str, Any]:
    """Copy ``source`` into the empty ``target``; returns what was compared."""
    if target.totals()["offices"] or target.totals()["audit"]:
        raise CopyRefused("the target already holds a centre: copy only into a new database")
    checked, problem = source.audit.verify()
    if problem:
        raise CopyRefused(f"the source's audit chain is broken ({problem}): not copied")
    with source.engine.connect() as src, target.engine.connect() as dst:
        dst.execution_options(sqlite_immediate=True)
        with dst.begin():
            dst.execute(schema.meta.delete())  # the new centre's own epoch and empty head
            dst.execute(schema.holidays.delete())  # its seeded table: the source's replaces it
            for table in TABLES:
                rows = src.execution_options(yield_per=BATCH).execute(sa.select(table))
                for part in rows.partitions(BATCH):
                    dst.execute(table.insert(), [dict(r._mapping) for r in part])
            if dst.dialect.name == "postgresql":
                for table in (schema.clients, schema.conflicts):
                    dst.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                        )
                    )
    before, after = source.totals(), target.totals()
    if before != after:
        raise CopyRefused(f"the copy differs: {before} at the source, {after} at the target")
    copied, problem = target.audit.verify()
    if problem or copied != checked or target.audit.head() != source.audit.head():
        raise CopyRefused(f"the copy's audit chain differs ({problem or 'head'})")
    if target.epoch != source.epoch:
        raise CopyRefused("the copy's epoch differs")
    return {**after, "audit_head": target.audit.head(), "epoch": target.epoch}
