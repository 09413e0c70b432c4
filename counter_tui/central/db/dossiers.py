"""Dossiers as an office sees them, and the conflicts recorded on them at push time.

Whatever a token's holder may read is selected by office here, in the query, not filtered
afterwards: an office sees the dossiers it received and those other offices received for it
(receipt regardless of boundary), each by its own feed's number. The writes are in
dossier_writes.py (``tx.dossiers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from counter_tui.central.schema import conflicts, dossiers

if TYPE_CHECKING:
    from counter_tui.central.db.transaction import Reads


def _seen_by(office: str) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[Any]]:
    """Which dossiers an office sees (its own, and those routed to it) and the version it
    knows each by (its own feed's number)."""
    routed = sa.and_(dossiers.c.handling_office == office, dossiers.c.handling_version.is_not(None))
    version = sa.case(
        (dossiers.c.office == office, dossiers.c.version), else_=dossiers.c.handling_version
    )
    return sa.or_(dossiers.c.office == office, routed), version


class Dossiers:
    """``db.dossiers``: one office's dossiers by code, uid or citizen; counts; conflicts."""

    def __init__(self, reads: Reads) -> None:
        self._reads = reads

    def by_code(self, office: str, code: str) -> tuple[dict[str, Any], int] | None:
        seen, version = _seen_by(office)
        row = self._reads.one(
            sa.select(dossiers.c.doc, version).where(seen, dossiers.c.code == code)
        )
        return (orjson.loads(row[0]), int(row[1])) if row else None

    def by_uid(self, office: str, uid: str) -> tuple[dict[str, Any], int] | None:
        seen, version = _seen_by(office)
        row = self._reads.one(sa.select(dossiers.c.doc, version).where(seen, dossiers.c.uid == uid))
        return (orjson.loads(row[0]), int(row[1])) if row else None

    def of_citizen(self, office: str, citizen_id: str) -> list[tuple[dict[str, Any], int]]:
        seen, version = _seen_by(office)
        rows = self._reads.all(
            sa.select(dossiers.c.doc, version)
            .where(seen, dossiers.c.citizen_id == citizen_id)
            .order_by(dossiers.c.received_at_server)
        )
        return [(orjson.loads(r[0]), int(r[1])) for r in rows]

    def count(self, office: str | None = None) -> int:
        """How many dossiers an office received (every office's: ``None``)."""
        q = sa.select(sa.func.count()).select_from(dossiers)
        if office is not None:
            q = q.where(dossiers.c.office == office)
        return int(self._reads.one(q)[0])

    def conflicts(self, uid: str | None = None, *, office: str) -> list[dict[str, Any]]:
        """Conflicts recorded at push time, of one office only (a conflict holds the
        operation's personal data)."""
        q = sa.select(
            conflicts.c.uid,
            conflicts.c.client_id,
            conflicts.c.seq,
            conflicts.c.reason,
            conflicts.c.op,
        ).order_by(conflicts.c.id)
        q = q.where(conflicts.c.office == office)
        if uid:
            q = q.where(conflicts.c.uid == uid)
        return [
            {"uid": r[0], "client_id": r[1], "seq": r[2], "reason": r[3], "op": orjson.loads(r[4])}
            for r in self._reads.all(q)
        ]
