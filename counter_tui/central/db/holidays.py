"""The centre's table of holiday decisions as the repository that reads and edits it.

An operator edits it (``counter-tui central holidays``); every edit bumps a revision kept in
``meta``, which the service checks on each use of its calendar and which is part of the
catalog's ETag, so counters and workers see the edit without a restart. The rows' meaning
(and the value counters read) is in ``central/holidays.py``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from counter_tui.central.holidays import decisions_of
from counter_tui.central.schema import holidays, meta
from counter_tui.domain.calendar import HolidayDecisions

if TYPE_CHECKING:
    from counter_tui.central.db.transaction import Reads, Tx, Writer


class Holidays:
    """``db.holidays``: the decisions as rows and as a value, their revision, and edits."""

    def __init__(self, reads: Reads, write: Writer) -> None:
        self._reads, self._write = reads, write

    def rows(self, year: int | None = None) -> list[dict[str, Any]]:
        q = sa.select(holidays).order_by(holidays.c.day, holidays.c.kind)
        if year is not None:
            q = q.where(holidays.c.year == year)
        return [dict(r._mapping) for r in self._reads.all(q)]

    def decisions(self) -> HolidayDecisions:
        return decisions_of(self.rows())

    def revision(self) -> int:
        row = self._reads.one(sa.select(meta.c.v).where(meta.c.k == "holidays_rev"))
        return int(row[0]) if row else 0

    @staticmethod
    def _bump(tx: Tx) -> None:
        done = tx.conn.execute(
            meta.update()
            .where(meta.c.k == "holidays_rev")
            .values(v=sa.cast(sa.cast(meta.c.v, sa.Integer) + 1, sa.Text))
        )
        if done.rowcount == 0:
            tx.conn.execute(meta.insert().values(k="holidays_rev", v="1"))

    def add(self, row: dict[str, Any]) -> None:
        """Add or replace a decision (a day of one kind; a year's Tết break), audited. The
        whole table is checked as counters will read it before it is committed."""
        with self._write() as tx:
            if row["kind"] == "tet":
                tx.conn.execute(
                    holidays.delete().where(
                        holidays.c.kind == "tet", holidays.c.year == row["year"]
                    )
                )
            tx.upsert(
                holidays,
                ["kind", "day"],
                row,
                ["last", "year", "reason", "source", "added_at"],
            )
            rows = [dict(r._mapping) for r in tx.conn.execute(sa.select(holidays))]
            decisions = decisions_of(rows)
            if row["kind"] != "tet":
                other = "work" if row["kind"] == "off" else "off"
                if date.fromisoformat(row["day"]) in getattr(decisions, other):
                    raise ValueError(f"{row['day']} is already a decided '{other}' day")
            self._bump(tx)
            tx.audit.record(
                "",
                "operator",
                "holidays.add",
                f"{row['kind']} {row['day']}",
                detail={"source": row["source"], "reason": row["reason"], "last": row["last"]},
            )

    def remove(self, kind: str, key: str) -> int:
        """Remove a decision: a day of ``kind``, or a Tết break by its year or first day."""
        with self._write() as tx:
            q = holidays.delete().where(holidays.c.kind == kind)
            if kind == "tet" and key.isdigit():
                q = q.where(holidays.c.year == int(key))
            else:
                q = q.where(holidays.c.day == key)
            gone = int(tx.conn.execute(q).rowcount)
            if gone:
                self._bump(tx)
                tx.audit.record("", "operator", "holidays.remove", f"{kind} {key}")
            return gone
