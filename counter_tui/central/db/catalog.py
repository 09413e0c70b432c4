"""The procedure catalog the centre serves to counters, with its holiday table inside.

Every worker stores the procedures file it was started with (unchanged: not written again).
What counters get is that file with the holiday decisions added, tagged by both, so that an
edit of either makes counters fetch it again.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import orjson
import sqlalchemy as sa

from counter_tui.central.schema import catalog, meta

if TYPE_CHECKING:
    from counter_tui.central.db.holidays import Holidays
    from counter_tui.central.db.transaction import Reads, Writer


class Catalog:
    """``db.catalog``: the stored procedures file, and the document served from it."""

    def __init__(self, reads: Reads, write: Writer, holidays: Holidays) -> None:
        self._reads, self._write, self._holidays = reads, write, holidays

    def set(self, body: bytes) -> str:
        """Store the procedures file; its ETag."""
        etag = hashlib.sha256(body).hexdigest()[:32]
        if (found := self.get()) is not None and found[0] == etag:
            return etag  # unchanged: several workers starting need not queue on a write
        with self._write() as tx:
            tx.upsert(catalog, ["id"], {"id": 1, "etag": etag, "body": body}, ["etag", "body"])
        return etag

    def get(self) -> tuple[str, bytes] | None:
        row = self._reads.one(sa.select(catalog.c.etag, catalog.c.body).where(catalog.c.id == 1))
        return (str(row[0]), bytes(row[1])) if row else None

    def served_tag(self) -> str | None:
        """The ETag of what counters get as the catalog: the procedures file's tag and the
        holiday table's revision (an edit of either makes counters fetch it again)."""
        row = self._reads.one(
            sa.select(catalog.c.etag, meta.c.v)
            .select_from(catalog.outerjoin(meta, meta.c.k == "holidays_rev"))
            .where(catalog.c.id == 1)
        )
        return f"{row[0]}-h{row[1] or 0}" if row else None

    def served(self) -> tuple[str, bytes] | None:
        """The catalog document counters get: the procedures file with the holiday table
        added under ``"holidays"`` (the form :class:`HolidayDecisions` reads)."""
        tag, found = self.served_tag(), self.get()
        if tag is None or found is None:
            return None
        doc = orjson.loads(found[1])
        doc["holidays"] = self._holidays.decisions().to_dict()
        return tag, orjson.dumps(doc)
