"""The dossier writes of one transaction (``tx.dossiers``): new and changed dossiers at their
office's next feed version, the reads a write decides on, conflicts, and a push's batch.

A write bumps its office's feed counter with an ``UPDATE ... RETURNING``, which locks that
office's row until the transaction ends (see feed.py for why a reader then never passes a
version that commits later). A push batch takes the same row with ``SELECT ... FOR UPDATE``
at its start instead (the newest committed version, read once the lock is granted), numbers
its writes from there in memory (batch.py) and stores the last number with one ``UPDATE``
before commit: the same lock, held as long. Whoever writes, the office a write may touch is
checked here, in the statement.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from counter_tui.central.db.batch import Batch, Known
from counter_tui.central.schema import conflicts, dossiers, offices

if TYPE_CHECKING:
    from counter_tui.central.db.transaction import Tx

# The hot paths' statements, built once (see transaction.py).
GET_DOSSIER = sa.select(
    dossiers.c.doc, dossiers.c.version, dossiers.c.office, dossiers.c.handling_office
).where(dossiers.c.uid == sa.bindparam("uid"))
NEXT_VERSION = (
    offices.update()
    .where(offices.c.code == sa.bindparam("office"))
    .values(version=offices.c.version + 1)
    .returning(offices.c.version)
)
UPDATE_DOSSIER = (
    dossiers.update()
    .where(dossiers.c.uid == sa.bindparam("b_uid"), dossiers.c.office == sa.bindparam("b_office"))
    .values(
        version=sa.bindparam("version"),
        doc=sa.bindparam("doc"),
        citizen_id=sa.bindparam("citizen_id"),
        handling_version=sa.func.coalesce(
            sa.bindparam("handling_version", type_=sa.BigInteger), dossiers.c.handling_version
        ),
    )
)
INSERT_DOSSIER = {
    name: dialect.insert(dossiers)
    .values({c.name: sa.bindparam(c.name) for c in dossiers.columns})
    .on_conflict_do_nothing()
    .returning(dossiers.c.uid)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
SET_VERSION = (
    offices.update().where(offices.c.code == sa.bindparam("c")).values(version=sa.bindparam("v"))
)
LOCK_FEEDS = (
    sa.select(offices.c.code, offices.c.version)
    .where(offices.c.code.in_(sa.bindparam("codes", expanding=True)))
    .order_by(offices.c.code)
    .with_for_update()
)
PREFETCH = sa.select(
    dossiers.c.uid,
    dossiers.c.code,
    dossiers.c.doc,
    dossiers.c.version,
    dossiers.c.office,
    dossiers.c.handling_office,
).where(
    sa.or_(
        dossiers.c.uid.in_(sa.bindparam("uids", expanding=True)),
        dossiers.c.code.in_(sa.bindparam("codes", expanding=True)),
    )
)
INSERT_DOSSIERS = dossiers.insert().values({c.name: sa.bindparam(c.name) for c in dossiers.columns})


class DossierWrites:
    """``tx.dossiers``: every write of a dossier there is, inside one transaction."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # --- a push's batch -----------------------------------------------------------------

    def begin_batch(self, offices_: set[str], uids: set[str], codes: set[str]) -> None:
        """Start a push's batch (see :class:`Batch`): lock the feed rows of ``offices_`` in
        code order (the same order as :meth:`lock_offices`) and read the dossiers named by
        uid or code. Its writes reach the database when the transaction ends."""
        conn = self._tx.conn
        locked = conn.execute(LOCK_FEEDS, {"codes": sorted(offices_)}).all()
        batch = Batch({str(r[0]): int(r[1]) for r in locked}, set(uids), set(codes))
        if uids or codes:
            for uid, code, doc, version, office, handling in conn.execute(
                PREFETCH, {"uids": sorted(uids), "codes": sorted(codes)}
            ):
                batch.taken.add(str(code))
                if uid in batch.asked:
                    batch.dossiers[str(uid)] = Known(
                        str(code), bytes(doc), int(version), str(office), handling
                    )
        self._tx.batch = batch

    def write_batch(self, b: Batch) -> None:
        """Write what the batch decided of dossiers: the feed counters, new and changed
        dossiers; one statement each (executemany)."""
        bumped = [{"c": c, "v": v} for c, v in b.versions.items() if v != b.start[c]]
        if bumped:
            self._tx.run_many(SET_VERSION, bumped)
        if b.new:
            self._tx.run_many(INSERT_DOSSIERS, list(b.new.values()))
        if b.changed:
            self._tx.run_many(UPDATE_DOSSIER, list(b.changed.values()))

    # --- what a write decides on --------------------------------------------------------

    def get(self, uid: str) -> tuple[dict[str, Any], int, str] | None:
        """A dossier with its version and office, whichever office (the caller compares the
        office with the client's and refuses, saying so)."""
        found = self.get_routed(uid)
        return found[:3] if found else None

    def get_routed(self, uid: str) -> tuple[dict[str, Any], int, str, str | None] | None:
        """:meth:`get` with the office that handles the dossier when another office
        received it (``None``: the receiving office handles it)."""
        b = self._tx.batch
        if b is not None and uid in b.asked:
            found = b.dossiers.get(uid)
            if found is None:
                return None
            # A copy: the caller changes the document it gets before writing it back.
            return orjson.loads(found.doc), found.version, found.office, found.handling
        row = self._tx.run(GET_DOSSIER, {"uid": uid}).fetchone()
        if row is None:
            return None
        return orjson.loads(row[0]), int(row[1]), str(row[2]), row[3]

    def routes_of(self, uids: list[str]) -> set[str]:
        """The handling offices of these dossiers (the ones routed to another office)."""
        if not uids:
            return set()
        rows = self._tx.conn.execute(
            sa.select(dossiers.c.handling_office)
            .where(dossiers.c.uid.in_(uids), dossiers.c.handling_office.is_not(None))
            .distinct()
        )
        return {str(r[0]) for r in rows}

    def lock_offices(self, codes: set[str]) -> None:
        """Lock these offices' feed counters now, in one order (by code): a write that bumps
        two offices' counters (a routed dossier) and another doing the same the other way
        round would otherwise wait for each other (a deadlock on PostgreSQL)."""
        if len(codes) < 2:
            return
        self._tx.conn.execute(
            sa.select(offices.c.code)
            .where(offices.c.code.in_(sorted(codes)))
            .order_by(offices.c.code)
            .with_for_update()
        ).all()

    def code_for(self, uid: str, office: str) -> str | None:
        """The code of a dossier this office received or handles; None for any other (an
        attempt on another office's dossier is audited by its uid, never its code)."""
        b = self._tx.batch
        if b is not None and uid in b.asked:
            found = b.dossiers.get(uid)
            if found is None or office not in (found.office, found.handling):
                return None
            return found.code
        row = self._tx.conn.execute(
            sa.select(dossiers.c.code).where(
                dossiers.c.uid == uid,
                sa.or_(dossiers.c.office == office, dossiers.c.handling_office == office),
            )
        ).first()
        return str(row[0]) if row else None

    def find(self, office: str, key: str) -> str | None:
        """The uid of the dossier whose uid or code is ``key`` that this office's back office
        handles: its own (unless routed to another office registered here), or one another
        office received for it."""
        row = self._tx.conn.execute(
            sa.select(dossiers.c.uid).where(
                sa.or_(dossiers.c.uid == key, dossiers.c.code == key),
                sa.or_(
                    sa.and_(dossiers.c.office == office, dossiers.c.handling_version.is_(None)),
                    sa.and_(
                        dossiers.c.handling_office == office,
                        dossiers.c.handling_version.is_not(None),
                    ),
                ),
            )
        ).first()
        return str(row[0]) if row else None

    # --- the writes ---------------------------------------------------------------------

    def _next_version(self, office: str) -> int:
        # The UPDATE locks the office's row until commit: see the module's docstring.
        return int(self._tx.run(NEXT_VERSION, {"office": office}).fetchone()[0])

    def _handling_version(self, handling: str | None) -> int | None:
        """The next version of the handling office's feed (``None``: not routed, or that
        office is not registered here yet; :meth:`enter_feed` catches up)."""
        if not handling:
            return None
        row = self._tx.run(NEXT_VERSION, {"office": handling}).fetchone()
        return int(row[0]) if row else None

    def insert(self, doc: dict[str, Any], office: str, handling: str | None = None) -> int | None:
        """A new dossier at the office's next version (and in the feed of ``handling``, the
        office another office received it for); ``None`` when its uid or code is taken
        (nothing written, and the transaction goes on: no error aborts it on PostgreSQL)."""
        if self._tx.batch is not None:
            return self._tx.batch.insert(doc, office, handling)
        version = self._next_version(office)
        handling_version = self._handling_version(handling)
        row = self._tx.run(
            INSERT_DOSSIER[self._tx.conn.dialect.name],
            {
                "uid": doc["uid"],
                "office": office,
                "code": doc["code"],
                "citizen_id": (doc.get("applicant") or {}).get("citizen_id"),
                "version": version,
                "doc": orjson.dumps(doc),
                "received_at_server": time.time(),
                "handling_office": handling or None,
                "handling_version": handling_version,
            },
        ).fetchone()
        return version if row is not None else None

    def update(self, doc: dict[str, Any], office: str, handling: str | None = None) -> int:
        """Write a changed dossier at the office's next version, and (routed) at the next
        version of the handling office's feed: both offices' counters get the change."""
        if self._tx.batch is not None:
            return self._tx.batch.update(doc, office, handling)
        version = self._next_version(office)
        self._tx.run(
            UPDATE_DOSSIER,
            {
                "b_uid": doc["uid"],
                "b_office": office,
                "version": version,
                "doc": orjson.dumps(doc),
                "citizen_id": (doc.get("applicant") or {}).get("citizen_id"),
                "handling_version": self._handling_version(handling),
            },
        )
        return version

    def enter_feed(self, office: str) -> int:
        """Put into ``office``'s feed the dossiers other offices received for it before it
        was registered here, oldest first; how many there were."""
        conn = self._tx.conn
        waiting = conn.execute(
            sa.select(dossiers.c.uid)
            .where(dossiers.c.handling_office == office, dossiers.c.handling_version.is_(None))
            .order_by(dossiers.c.received_at_server)
        ).all()
        for (uid,) in waiting:
            conn.execute(
                dossiers.update()
                .where(dossiers.c.uid == uid)
                .values(handling_version=self._handling_version(office))
            )
        return len(waiting)

    def add_conflict(
        self, office: str, uid: str, client_id: int, seq: int, reason: str, op: dict[str, Any]
    ) -> None:
        """Keep a counter's operation the centre's state refused, with the reason."""
        self._tx.conn.execute(
            conflicts.insert().values(
                office=office,
                uid=uid,
                client_id=client_id,
                seq=seq,
                reason=reason,
                op=orjson.dumps(op),
                at=time.time(),
            )
        )
