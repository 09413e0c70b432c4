"""The offices registered at the centre: every other kind of data belongs to one of them.

An office's row also holds its feed counter (``version``, bumped by the dossier writes) and
the next counter slot (taken when a counter registers): both are in the repositories that
use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from counter_tui.central.schema import offices

if TYPE_CHECKING:
    from counter_tui.central.db.transaction import Reads, Writer


class Offices:
    """``db.offices``: registering an office, and what is known of each."""

    def __init__(self, reads: Reads, write: Writer) -> None:
        self._reads, self._write = reads, write

    def add(self, code: str, name: str) -> None:
        """Register an office, or rename it. Dossiers other offices received for it before
        it was registered here enter its feed now."""
        with self._write() as tx:
            tx.upsert(offices, ["code"], {"code": code, "name": name}, ["name"])
            tx.audit.record(code, "operator", "office.set", name)
            waiting = tx.dossiers.enter_feed(code)
            if waiting:
                tx.audit.record(code, "operator", "route.catch_up", f"{waiting} dossiers")

    def get(self, code: str) -> dict[str, Any] | None:
        row = self._reads.one(
            sa.select(offices.c.code, offices.c.name).where(offices.c.code == code)
        )
        return {"code": row[0], "name": row[1]} if row else None

    def codes(self) -> list[str]:
        return [
            str(r[0]) for r in self._reads.all(sa.select(offices.c.code).order_by(offices.c.code))
        ]
