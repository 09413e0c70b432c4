"""The centre's data layer: every SQL statement of the centre, on SQLite or PostgreSQL.

Reads are methods of :class:`CentralDB`; writes run inside :meth:`CentralDB.write`, which
hands out a :class:`Tx` whose methods are the only writes there are. Whatever a token's
holder may read is selected by office here, in the query, not filtered afterwards.

Concurrency (the argument is in docs/sync-protocol.md):

* Each office has its own feed counter, ``offices.version``, bumped by an ``UPDATE ...
  RETURNING`` in the transaction that writes the dossier. That row stays locked until the
  transaction ends, so version N+1 of an office is only handed out after the transaction
  holding N has committed (or rolled back), and is visible: a reader never sees N+1 without N.
  A push batch takes the same row with ``SELECT ... FOR UPDATE`` at its start instead (the
  newest committed version, read once the lock is granted), numbers its writes from there in
  memory and stores the last number with one ``UPDATE`` before commit: the same lock, held
  as long (:class:`_Batch`).
* A push locks its client row (``FOR UPDATE``) before reading ``last_seq``: two pushes of
  one counter (two workers, a retry) apply each sequence number once, the second waits and
  then sees the first's result.
* Audit entries are appended at the end of the transaction, under a lock on the chain's
  head row, so the chain never forks and the lock is held only for the commit.

On SQLite ``BEGIN IMMEDIATE`` serialises writers and the locks above cost nothing.
Tokens are stored as SHA-256 hashes; the token itself is shown once, at registration.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from counter_tui.central import migrate as migrations
from counter_tui.central.engines import display, make_engine, make_read_engine
from counter_tui.central.holidays import decisions_of
from counter_tui.central.schema import (
    audit,
    audit_anchors,
    catalog,
    clerks,
    clients,
    conflicts,
    dossiers,
    files,
    holidays,
    meta,
    offices,
    ops,
)
from counter_tui.domain.audit_chain import chain, verify_chain
from counter_tui.domain.calendar import HolidayDecisions
from counter_tui.domain.files import named_shas

TOKEN_DAYS = 365.0
CLIENT_COLUMNS = (
    clients.c.id,
    clients.c.office,
    clients.c.name,
    clients.c.role,
    clients.c.slot,
    clients.c.last_seq,
)


# The hot paths' statements are built once: building a Core statement costs more than
# running it (measured; see docs/operations.md), the compiled form is cached by SQLAlchemy.
AUTH = sa.select(*CLIENT_COLUMNS, clients.c.revoked, clients.c.expires_at).where(
    clients.c.token_hash == sa.bindparam("h")
)


def _feed(office: Any) -> sa.Select[Any]:
    """The feed page of ``office`` (a value or an expression): its own dossiers by their
    version, and the dossiers other offices received for it (receipt regardless of boundary)
    by their place in its feed. Both numbers come from the office's one counter, so the
    merged order is the order of its commits. Each part is ordered and limited on its own
    index, so a page reads ``limit`` rows of each at most."""
    own = (
        sa.select(dossiers.c.uid, dossiers.c.version.label("v"), dossiers.c.doc)
        .where(dossiers.c.office == office, dossiers.c.version > sa.bindparam("since"))
        .order_by(dossiers.c.version)
        .limit(sa.bindparam("limit"))
        .subquery("own")
    )
    routed = (
        sa.select(dossiers.c.uid, dossiers.c.handling_version.label("v"), dossiers.c.doc)
        .where(
            dossiers.c.handling_office == office,
            dossiers.c.handling_version > sa.bindparam("since"),
        )
        .order_by(dossiers.c.handling_version)
        .limit(sa.bindparam("limit"))
        .subquery("routed")
    )
    feed = sa.union_all(sa.select(own), sa.select(routed)).subquery("feed")
    return (
        sa.select(feed.c.uid, feed.c.v, feed.c.doc).order_by(feed.c.v).limit(sa.bindparam("limit"))
    )


CHANGES = _feed(sa.bindparam("office"))
# A poll in one statement: the token's client row, and the feed page of its office when it is
# a live counter (the office comes from the token inside the query, so a token that is not
# one reads no dossier). One round trip instead of two: on PostgreSQL a read is a trip to
# another process, during which this worker's event loop waits (the profile in
# docs/benchmarks.md).
_POLLER_OFFICE = (
    sa.select(clients.c.office)
    .where(
        clients.c.token_hash == sa.bindparam("h"),
        clients.c.role == "counter",
        clients.c.revoked == 0,
        sa.or_(clients.c.expires_at.is_(None), clients.c.expires_at >= sa.bindparam("now")),
    )
    .scalar_subquery()
)
_POLL_FEED = _feed(_POLLER_OFFICE).subquery("page")
POLL = (
    sa.select(*AUTH.selected_columns, _POLL_FEED.c.uid, _POLL_FEED.c.v, _POLL_FEED.c.doc)
    .select_from(clients.outerjoin(_POLL_FEED, sa.true()))
    .where(clients.c.token_hash == sa.bindparam("h"))
    .order_by(_POLL_FEED.c.v)
)
LOCK_CLIENT = (
    sa.select(clients.c.last_seq).where(clients.c.id == sa.bindparam("id")).with_for_update()
)
SET_LAST_SEQ = (
    clients.update()
    .where(clients.c.id == sa.bindparam("cid"))
    .values(last_seq=sa.bindparam("last_seq"))
)
OP_RESULT = sa.select(ops.c.op_id, ops.c.result).where(
    ops.c.client_id == sa.bindparam("cid"), ops.c.seq == sa.bindparam("seq")
)
RECORD_OP = ops.insert().values({c.name: sa.bindparam(c.name) for c in ops.columns})
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
AUDIT_HEAD_LOCK = sa.select(meta.c.v).where(meta.c.k == "audit_head").with_for_update()
AUDIT_LAST = sa.select(audit.c.seq, audit.c.hash).order_by(audit.c.seq.desc()).limit(1)
AUDIT_INSERT = audit.insert().values({c.name: sa.bindparam(c.name) for c in audit.columns})
AUDIT_HEAD_SET = meta.update().where(meta.c.k == "audit_head").values(v=sa.bindparam("v"))
INSERT_DOSSIERS = dossiers.insert().values({c.name: sa.bindparam(c.name) for c in dossiers.columns})
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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AuthFailed(Exception):
    """Why a token was refused: unknown, revoked or expired (said to the caller as such)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Client:
    id: int
    office: str
    name: str
    role: str
    slot: int | None
    last_seq: int


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_update`` on both engines."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _upsert(
    conn: sa.Connection, table: sa.Table, keys: list[str], values: dict[str, Any], update: list[str]
) -> None:
    stmt = _insert(conn, table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={k: getattr(stmt.excluded, k) for k in update}
    )
    conn.execute(stmt)


@dataclass
class _Entry:
    office: str
    actor: str
    action: str
    target: str
    client: str
    detail: dict[str, Any]
    at: float = field(default_factory=time.time)


@dataclass
class _Known:
    """A dossier as a batch sees it: as read at its start, then as the batch wrote it."""

    code: str
    doc: bytes
    version: int
    office: str
    handling: str | None


class BatchMiss(RuntimeError):
    """A batch was asked about a dossier it did not read at its start (a bug, never data)."""


class _Batch:
    """The dossier and operation writes of one push, decided one operation at a time in
    memory and written at the end in a few statements for the whole batch.

    It starts with the feed rows of every office the batch may write to locked (so nothing
    else writes those offices' dossiers until commit, and the versions read there are the
    last ones handed out) and every dossier the batch names read in one query: each
    operation then sees exactly what it would have read from the database, including the
    batch's own earlier writes. A dossier written several times is written once, in its
    last state at its last version: the versions between were never visible to anyone."""

    def __init__(self, versions: dict[str, int], uids: set[str], codes: set[str]) -> None:
        self.start = dict(versions)
        self.versions = dict(versions)
        self.asked, self.codes_asked = uids, codes
        self.dossiers: dict[str, _Known] = {}
        self.taken: set[str] = set()  # codes in use, among ``codes_asked`` and the batch's
        self.new: dict[str, dict[str, Any]] = {}
        self.changed: dict[str, dict[str, Any]] = {}
        self.ops: list[dict[str, Any]] = []

    def _next(self, office: str | None) -> int | None:
        if not office or office not in self.versions:
            return None  # not routed, or an office not registered here (caught up later)
        self.versions[office] += 1
        return self.versions[office]

    def _own(self, office: str) -> int:
        version = self._next(office)
        if version is None:
            raise BatchMiss(f"office {office} was not locked for this batch")
        return version

    def insert(self, doc: dict[str, Any], office: str, handling: str | None) -> int | None:
        uid, code = str(doc["uid"]), str(doc["code"])
        if uid not in self.asked or code not in self.codes_asked:
            raise BatchMiss(f"dossier {uid} was not read at the start of the batch")
        if uid in self.dossiers or code in self.taken:
            return None
        version = self._own(office)
        blob = orjson.dumps(doc)
        self.new[uid] = {
            "uid": uid,
            "office": office,
            "code": code,
            "citizen_id": (doc.get("applicant") or {}).get("citizen_id"),
            "version": version,
            "doc": blob,
            "received_at_server": time.time(),
            "handling_office": handling or None,
            "handling_version": self._next(handling),
        }
        self.dossiers[uid] = _Known(code, blob, version, office, handling or None)
        self.taken.add(code)
        return version

    def update(self, doc: dict[str, Any], office: str, handling: str | None) -> int:
        uid = str(doc["uid"])
        if uid not in self.asked:
            raise BatchMiss(f"dossier {uid} was not read at the start of the batch")
        version = self._own(office)
        handling_version = self._next(handling)
        blob = orjson.dumps(doc)
        citizen = (doc.get("applicant") or {}).get("citizen_id")
        known = self.dossiers.get(uid)
        if known is None or known.office != office:
            return version  # what the UPDATE did before: nothing matches, the number is used
        known.doc, known.version = blob, version
        row = self.new.get(uid)
        if row is not None:
            row.update(version=version, doc=blob, citizen_id=citizen)
            if handling_version is not None:
                row["handling_version"] = handling_version
            return version
        before = self.changed.get(uid)
        if handling_version is None and before is not None:
            handling_version = before["handling_version"]
        self.changed[uid] = {
            "b_uid": uid,
            "b_office": office,
            "version": version,
            "doc": blob,
            "citizen_id": citizen,
            "handling_version": handling_version,
        }
        return version


class Tx:
    """One write transaction: the writes the service may make, nothing else."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self._dbapi = conn.connection  # the same driver connection, in the same transaction
        self._audit: list[_Entry] = []
        self._batch: _Batch | None = None

    def _x(self, stmt: Any, params: dict[str, Any] | None = None) -> Any:
        return run_compiled(self._dbapi, self.conn.dialect, stmt, params or {})

    def _many(self, stmt: Any, rows: list[dict[str, Any]]) -> None:
        run_compiled_many(self._dbapi, self.conn.dialect, stmt, rows)

    # --- counters' operations -----------------------------------------------------------

    def begin_batch(self, offices_: set[str], uids: set[str], codes: set[str]) -> None:
        """Start a push's batch (see :class:`_Batch`): lock the feed rows of ``offices_`` in
        code order (the same order as :meth:`lock_offices`) and read the dossiers named by
        uid or code. Its writes reach the database at :meth:`flush` (at the latest when the
        transaction ends)."""
        locked = self.conn.execute(LOCK_FEEDS, {"codes": sorted(offices_)}).all()
        batch = _Batch({str(r[0]): int(r[1]) for r in locked}, set(uids), set(codes))
        if uids or codes:
            for uid, code, doc, version, office, handling in self.conn.execute(
                PREFETCH, {"uids": sorted(uids), "codes": sorted(codes)}
            ):
                batch.taken.add(str(code))
                if uid in batch.asked:
                    batch.dossiers[str(uid)] = _Known(
                        str(code), bytes(doc), int(version), str(office), handling
                    )
        self._batch = batch

    def flush(self) -> None:
        """Write what the batch decided: the feed counters, new and changed dossiers, the
        operations' results; one statement each (executemany)."""
        b, self._batch = self._batch, None
        if b is None:
            return
        bumped = [{"c": c, "v": v} for c, v in b.versions.items() if v != b.start[c]]
        if bumped:
            self._many(SET_VERSION, bumped)
        if b.new:
            self._many(INSERT_DOSSIERS, list(b.new.values()))
        if b.changed:
            self._many(UPDATE_DOSSIER, list(b.changed.values()))
        if b.ops:
            self._many(RECORD_OP, b.ops)

    def lock_client(self, client_id: int) -> int:
        """The client's last applied sequence number, its row locked until commit."""
        return int(self._x(LOCK_CLIENT, {"id": client_id}).fetchone()[0])

    def set_last_seq(self, client_id: int, last: int) -> None:
        self._x(SET_LAST_SEQ, {"cid": client_id, "last_seq": last})

    def op_result(self, client_id: int, seq: int) -> tuple[str, dict[str, Any]] | None:
        row = self._x(OP_RESULT, {"cid": client_id, "seq": seq}).fetchone()
        return (str(row[0]), orjson.loads(row[1])) if row else None

    def record_op(
        self, client_id: int, seq: int, op_id: str, uid: str | None, result: dict[str, Any]
    ) -> None:
        row = {
            "client_id": client_id,
            "seq": seq,
            "op_id": op_id,
            "uid": uid,
            "result": orjson.dumps(result),
            "received_at": time.time(),
        }
        if self._batch is not None:
            self._batch.ops.append(row)
        else:
            self._x(RECORD_OP, row)

    def add_conflict(
        self, office: str, uid: str, client_id: int, seq: int, reason: str, op: dict[str, Any]
    ) -> None:
        self.conn.execute(
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

    def anchor_counter_audit(self, client: Client, seq: int, head: str) -> None:
        """Keep the head a counter reports for its own audit chain. The first report of an
        entry count stands; a different head for a count already seen, or fewer entries than
        before, is recorded in the centre's own chain (someone rewrote the counter's log)."""
        if seq <= 0:
            return
        seen = self.conn.execute(
            sa.select(audit_anchors.c.head).where(
                audit_anchors.c.client_id == client.id, audit_anchors.c.seq == seq
            )
        ).first()
        if seen is not None:
            if seen[0] != head:
                self.audit(
                    client.office,
                    "counter",
                    "counter_audit.rewritten",
                    f"entry {seq}",
                    client=client.name,
                    detail={"seen": seen[0], "now": head},
                )
            return
        top = self.conn.execute(
            sa.select(sa.func.max(audit_anchors.c.seq)).where(
                audit_anchors.c.client_id == client.id
            )
        ).scalar()
        if top is not None and seq < int(top):
            self.audit(
                client.office,
                "counter",
                "counter_audit.shortened",
                f"{top} → {seq} entries",
                client=client.name,
            )
        stmt = (
            _insert(self.conn, audit_anchors)
            .values(client_id=client.id, seq=seq, head=head, at=time.time())
            .on_conflict_do_nothing()
        )
        self.conn.execute(stmt)

    # --- dossiers -----------------------------------------------------------------------

    def get_dossier(self, uid: str) -> tuple[dict[str, Any], int, str] | None:
        """A dossier with its version and office, whichever office (the caller compares the
        office with the client's and refuses, saying so)."""
        found = self.get_routed_dossier(uid)
        return found[:3] if found else None

    def get_routed_dossier(self, uid: str) -> tuple[dict[str, Any], int, str, str | None] | None:
        """:meth:`get_dossier` with the office that handles the dossier when another office
        received it (``None``: the receiving office handles it)."""
        b = self._batch
        if b is not None and uid in b.asked:
            found = b.dossiers.get(uid)
            if found is None:
                return None
            # A copy: the caller changes the document it gets before writing it back.
            return orjson.loads(found.doc), found.version, found.office, found.handling
        row = self._x(GET_DOSSIER, {"uid": uid}).fetchone()
        if row is None:
            return None
        return orjson.loads(row[0]), int(row[1]), str(row[2]), row[3]

    def routes_of(self, uids: list[str]) -> set[str]:
        """The handling offices of these dossiers (the ones routed to another office)."""
        if not uids:
            return set()
        rows = self.conn.execute(
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
        self.conn.execute(
            sa.select(offices.c.code)
            .where(offices.c.code.in_(sorted(codes)))
            .order_by(offices.c.code)
            .with_for_update()
        ).all()

    def dossier_code(self, uid: str, office: str) -> str | None:
        """The code of a dossier this office received or handles; None for any other (an
        attempt on another office's dossier is audited by its uid, never its code)."""
        b = self._batch
        if b is not None and uid in b.asked:
            found = b.dossiers.get(uid)
            if found is None or office not in (found.office, found.handling):
                return None
            return found.code
        row = self.conn.execute(
            sa.select(dossiers.c.code).where(
                dossiers.c.uid == uid,
                sa.or_(dossiers.c.office == office, dossiers.c.handling_office == office),
            )
        ).first()
        return str(row[0]) if row else None

    def find_dossier(self, office: str, key: str) -> str | None:
        """The uid of the dossier whose uid or code is ``key`` that this office's back office
        handles: its own (unless routed to another office registered here), or one another
        office received for it."""
        row = self.conn.execute(
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

    def _next_version(self, office: str) -> int:
        # The UPDATE locks the office's row until commit: see the module's docstring.
        return int(self._x(NEXT_VERSION, {"office": office}).fetchone()[0])

    def _handling_version(self, handling: str | None) -> int | None:
        """The next version of the handling office's feed (``None``: not routed, or that
        office is not registered here yet; :meth:`CentralDB.add_office` catches up)."""
        if not handling:
            return None
        row = self._x(NEXT_VERSION, {"office": handling}).fetchone()
        return int(row[0]) if row else None

    def insert_dossier(
        self, doc: dict[str, Any], office: str, handling: str | None = None
    ) -> int | None:
        """A new dossier at the office's next version (and in the feed of ``handling``, the
        office another office received it for); ``None`` when its uid or code is taken
        (nothing written, and the transaction goes on: no error aborts it on PostgreSQL)."""
        if self._batch is not None:
            return self._batch.insert(doc, office, handling)
        version = self._next_version(office)
        handling_version = self._handling_version(handling)
        row = self._x(
            INSERT_DOSSIER[self.conn.dialect.name],
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

    def update_dossier(self, doc: dict[str, Any], office: str, handling: str | None = None) -> int:
        """Write a changed dossier at the office's next version, and (routed) at the next
        version of the handling office's feed: both offices' counters get the change."""
        if self._batch is not None:
            return self._batch.update(doc, office, handling)
        version = self._next_version(office)
        self._x(
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

    # --- audit --------------------------------------------------------------------------

    def audit(
        self,
        office: str,
        actor: str,
        action: str,
        target: str = "",
        *,
        client: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record an entry; it is chained at commit, with the change it records, or not at all."""
        self._audit.append(_Entry(office, actor, action, target, client, detail or {}))

    def _append_audit(self) -> None:
        if not self._audit:
            return
        # The head row is the chain's lock: one appender at a time, held until commit.
        head = self._x(AUDIT_HEAD_LOCK).fetchone()
        if head is None:
            # First entry ever: two first appenders collide on the key and one retries.
            self.conn.execute(meta.insert().values(k="audit_head", v=""))
        last = self._x(AUDIT_LAST).fetchone()
        seq, prev = (int(last[0]), str(last[1])) if last else (0, "")
        rows = []
        for e in self._audit:
            seq += 1
            record = chain(
                prev,
                seq,
                {
                    "at": round(e.at, 3),
                    "office": e.office,
                    "client": e.client,
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "detail": e.detail,
                },
            )
            rows.append(
                {"seq": seq, "body": orjson.dumps(record).decode("utf-8"), "hash": record["hash"]}
            )
            prev = record["hash"]
        self._many(AUDIT_INSERT, rows)  # one statement for all (executemany)
        # The head is kept apart too: entries cut off the end show as a mismatch.
        self._x(AUDIT_HEAD_SET, {"v": prev})
        self._audit.clear()


class CentralDB:
    """The centre's database on either engine (``target``: a file path or a postgresql:// URL)."""

    def __init__(self, target: str | Path, *, migrate: bool = True) -> None:
        self.target = str(target)
        self.path = self.target  # the name callers printed before PostgreSQL
        self.engine = make_engine(target)
        self.reads = make_read_engine(target, self.engine)
        if migrate:
            migrations.upgrade(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __repr__(self) -> str:
        return f"CentralDB({display(self.target)!r})"

    def close(self) -> None:
        self.engine.dispose()
        self.reads.dispose()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                tx = Tx(conn)
                yield tx
                tx.flush()
                tx._append_audit()

    def _raw(self, stmt: sa.ClauseElement, params: dict[str, Any]) -> list[Any]:
        """Run a prebuilt statement straight on a pooled driver connection: for the two reads
        every request makes (the token, the feed page), where SQLAlchemy's Connection costs
        several times the query itself (figures in docs/operations.md). SQLAlchemy still
        writes the SQL for the dialect; only the per-call bookkeeping is skipped."""
        conn = self.reads.raw_connection()
        try:
            cur = run_compiled(conn, self.reads.dialect, stmt, params)
            rows = list(cur.fetchall())
            cur.close()
            return rows
        finally:
            conn.close()

    def _one(self, stmt: sa.Executable, params: dict[str, Any] | None = None) -> Any:
        with self.reads.connect() as conn:
            conn.execution_options(sqlite_autocommit=True)
            return conn.execute(stmt, params).first()

    def _all(self, stmt: sa.Executable, params: dict[str, Any] | None = None) -> list[Any]:
        with self.reads.connect() as conn:
            conn.execution_options(sqlite_autocommit=True)
            return list(conn.execute(stmt, params).all())

    # --- identity -------------------------------------------------------------------------

    @property
    def epoch(self) -> str:
        return str(self._one(sa.select(meta.c.v).where(meta.c.k == "epoch"))[0])

    def add_office(self, code: str, name: str) -> None:
        with self.write() as tx:
            _upsert(tx.conn, offices, ["code"], {"code": code, "name": name}, ["name"])
            tx.audit(code, "operator", "office.set", name)
            # Dossiers other offices received for this one before it was registered here
            # enter its feed now.
            waiting = tx.conn.execute(
                sa.select(dossiers.c.uid)
                .where(dossiers.c.handling_office == code, dossiers.c.handling_version.is_(None))
                .order_by(dossiers.c.received_at_server)
            ).all()
            for (uid,) in waiting:
                tx.conn.execute(
                    dossiers.update()
                    .where(dossiers.c.uid == uid)
                    .values(handling_version=tx._handling_version(code))
                )
            if waiting:
                tx.audit(code, "operator", "route.catch_up", f"{len(waiting)} dossiers")

    def office(self, code: str) -> dict[str, Any] | None:
        row = self._one(sa.select(offices.c.code, offices.c.name).where(offices.c.code == code))
        return {"code": row[0], "name": row[1]} if row else None

    def offices(self) -> list[str]:
        return [str(r[0]) for r in self._all(sa.select(offices.c.code).order_by(offices.c.code))]

    def add_client(
        self, office: str, name: str, role: str = "counter", days: float | None = TOKEN_DAYS
    ) -> tuple[Client, str]:
        """Register a counter (or a back-office user); returns it and its token (shown once).
        The token expires after ``days`` (``None``: never)."""
        token = secrets.token_urlsafe(32)
        expires = time.time() + days * 86400 if days else None
        with self.write() as tx:
            row = tx.conn.execute(
                sa.select(offices.c.next_slot).where(offices.c.code == office).with_for_update()
            ).first()
            if row is None:
                raise KeyError(office)
            slot = None
            if role == "counter":
                slot = int(row[0])
                if slot > 99:
                    raise ValueError("an office has at most 99 counters")
                tx.conn.execute(
                    offices.update().where(offices.c.code == office).values(next_slot=slot + 1)
                )
            new_id = tx.conn.execute(
                clients.insert()
                .values(
                    office=office,
                    name=name,
                    role=role,
                    slot=slot,
                    token_hash=hash_token(token),
                    created_at=time.time(),
                    expires_at=expires,
                )
                .returning(clients.c.id)
            ).scalar_one()
            client = Client(int(new_id), office, name, role, slot, 0)
            tx.audit(office, "operator", "client.add", f"{role} {name} (id {client.id})")
        return client, token

    def _client_row(self, tx: Tx, client_id: int) -> Any:
        row = tx.conn.execute(
            sa.select(clients.c.office, clients.c.name).where(clients.c.id == client_id)
        ).first()
        if row is None:
            raise KeyError(client_id)
        return row

    def rotate_token(self, client_id: int, days: float | None = TOKEN_DAYS) -> str:
        """A new token for the client; the old one stops working at once."""
        token = secrets.token_urlsafe(32)
        expires = time.time() + days * 86400 if days else None
        with self.write() as tx:
            row = self._client_row(tx, client_id)
            tx.conn.execute(
                clients.update()
                .where(clients.c.id == client_id)
                .values(token_hash=hash_token(token), expires_at=expires)
            )
            tx.audit(row[0], "operator", "client.rotate", f"{row[1]} (id {client_id})")
        return token

    def revoke(self, client_id: int) -> None:
        with self.write() as tx:
            row = self._client_row(tx, client_id)
            tx.conn.execute(clients.update().where(clients.c.id == client_id).values(revoked=1))
            tx.audit(row[0], "operator", "client.revoke", f"{row[1]} (id {client_id})")

    def expire_now(self, client_id: int) -> None:
        """Make a token expired (for an operator ending access on a date, and for tests)."""
        with self.write() as tx:
            tx.conn.execute(
                clients.update().where(clients.c.id == client_id).values(expires_at=time.time() - 1)
            )

    def authenticate(self, token: str) -> Client:
        """The client holding ``token``, or :class:`AuthFailed` saying why not."""
        found = self._raw(AUTH, {"h": hash_token(token)})
        row = found[0] if found else None
        if row is None:
            raise AuthFailed("unknown")
        return self._client_of(row)

    @staticmethod
    def _client_of(row: Any) -> Client:
        if row[6]:
            raise AuthFailed("revoked")
        if row[7] is not None and row[7] < time.time():
            raise AuthFailed("expired")
        return Client(int(row[0]), str(row[1]), str(row[2]), str(row[3]), row[4], int(row[5]))

    def poll(
        self, token: str, since: int, limit: int
    ) -> tuple[Client, list[tuple[str, int, bytes]]]:
        """:meth:`authenticate` and, for a counter, :meth:`changes` of its office, in one
        statement (:data:`POLL`); another role gets its client and no rows."""
        found = self._raw(
            POLL, {"h": hash_token(token), "now": time.time(), "since": since, "limit": limit}
        )
        if not found:
            raise AuthFailed("unknown")
        client = self._client_of(found[0])
        return client, [(str(r[8]), int(r[9]), bytes(r[10])) for r in found if r[8] is not None]

    def client_by_token(self, token: str) -> Client | None:
        try:
            return self.authenticate(token)
        except AuthFailed:
            return None

    def clients(self) -> list[dict[str, Any]]:
        rows = self._all(
            sa.select(*CLIENT_COLUMNS, clients.c.revoked, clients.c.expires_at).order_by(
                clients.c.id
            )
        )
        keys = ("id", "office", "name", "role", "slot", "last_seq", "revoked", "expires_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # --- dossiers and the feed (one office at a time) -------------------------------------

    @staticmethod
    def _seen_by(office: str) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[Any]]:
        """Which dossiers an office sees (its own, and those routed to it) and the version
        it knows each by (its own feed's number)."""
        routed = sa.and_(
            dossiers.c.handling_office == office, dossiers.c.handling_version.is_not(None)
        )
        version = sa.case(
            (dossiers.c.office == office, dossiers.c.version), else_=dossiers.c.handling_version
        )
        return sa.or_(dossiers.c.office == office, routed), version

    def dossier_by_code(self, office: str, code: str) -> tuple[dict[str, Any], int] | None:
        seen, version = self._seen_by(office)
        row = self._one(sa.select(dossiers.c.doc, version).where(seen, dossiers.c.code == code))
        return (orjson.loads(row[0]), int(row[1])) if row else None

    def dossier_by_uid(self, office: str, uid: str) -> tuple[dict[str, Any], int] | None:
        seen, version = self._seen_by(office)
        row = self._one(sa.select(dossiers.c.doc, version).where(seen, dossiers.c.uid == uid))
        return (orjson.loads(row[0]), int(row[1])) if row else None

    def dossiers_by_citizen(self, office: str, citizen_id: str) -> list[tuple[dict[str, Any], int]]:
        seen, version = self._seen_by(office)
        rows = self._all(
            sa.select(dossiers.c.doc, version)
            .where(seen, dossiers.c.citizen_id == citizen_id)
            .order_by(dossiers.c.received_at_server)
        )
        return [(orjson.loads(r[0]), int(r[1])) for r in rows]

    def changes(self, office: str, since: int, limit: int) -> list[tuple[str, int, bytes]]:
        rows = self._raw(CHANGES, {"office": office, "since": since, "limit": limit})
        return [(str(r[0]), int(r[1]), bytes(r[2])) for r in rows]

    def count_dossiers(self, office: str | None = None) -> int:
        q = sa.select(sa.func.count()).select_from(dossiers)
        if office is not None:
            q = q.where(dossiers.c.office == office)
        return int(self._one(q)[0])

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
            for r in self._all(q)
        ]

    # --- catalog --------------------------------------------------------------------------

    def set_catalog(self, body: bytes) -> str:
        etag = hashlib.sha256(body).hexdigest()[:32]
        if (found := self.catalog()) is not None and found[0] == etag:
            return etag  # unchanged: several workers starting need not queue on a write
        with self.write() as tx:
            _upsert(
                tx.conn, catalog, ["id"], {"id": 1, "etag": etag, "body": body}, ["etag", "body"]
            )
        return etag

    def catalog(self) -> tuple[str, bytes] | None:
        row = self._one(sa.select(catalog.c.etag, catalog.c.body).where(catalog.c.id == 1))
        return (str(row[0]), bytes(row[1])) if row else None

    def served_catalog_tag(self) -> str | None:
        """The ETag of what counters get as the catalog: the procedures file's tag and the
        holiday table's revision (an edit of either makes counters fetch it again)."""
        row = self._one(
            sa.select(catalog.c.etag, meta.c.v)
            .select_from(catalog.outerjoin(meta, meta.c.k == "holidays_rev"))
            .where(catalog.c.id == 1)
        )
        return f"{row[0]}-h{row[1] or 0}" if row else None

    def served_catalog(self) -> tuple[str, bytes] | None:
        """The catalog document counters get: the procedures file with the holiday table
        added under ``"holidays"`` (the form :class:`HolidayDecisions` reads)."""
        tag, found = self.served_catalog_tag(), self.catalog()
        if tag is None or found is None:
            return None
        doc = orjson.loads(found[1])
        doc["holidays"] = self.holiday_decisions().to_dict()
        return tag, orjson.dumps(doc)

    # --- holiday decisions --------------------------------------------------------------------

    def holiday_rows(self, year: int | None = None) -> list[dict[str, Any]]:
        q = sa.select(holidays).order_by(holidays.c.day, holidays.c.kind)
        if year is not None:
            q = q.where(holidays.c.year == year)
        return [dict(r._mapping) for r in self._all(q)]

    def holiday_decisions(self) -> HolidayDecisions:
        return decisions_of(self.holiday_rows())

    def holidays_rev(self) -> int:
        row = self._one(sa.select(meta.c.v).where(meta.c.k == "holidays_rev"))
        return int(row[0]) if row else 0

    def _bump_holidays(self, tx: Tx) -> None:
        done = tx.conn.execute(
            meta.update()
            .where(meta.c.k == "holidays_rev")
            .values(v=sa.cast(sa.cast(meta.c.v, sa.Integer) + 1, sa.Text))
        )
        if done.rowcount == 0:
            tx.conn.execute(meta.insert().values(k="holidays_rev", v="1"))

    def add_holiday(self, row: dict[str, Any]) -> None:
        """Add or replace a decision (a day of one kind; a year's Tết break), audited. The
        whole table is checked as counters will read it before it is committed."""
        with self.write() as tx:
            if row["kind"] == "tet":
                tx.conn.execute(
                    holidays.delete().where(
                        holidays.c.kind == "tet", holidays.c.year == row["year"]
                    )
                )
            _upsert(
                tx.conn,
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
            self._bump_holidays(tx)
            tx.audit(
                "",
                "operator",
                "holidays.add",
                f"{row['kind']} {row['day']}",
                detail={"source": row["source"], "reason": row["reason"], "last": row["last"]},
            )

    def remove_holiday(self, kind: str, key: str) -> int:
        """Remove a decision: a day of ``kind``, or a Tết break by its year or first day."""
        with self.write() as tx:
            q = holidays.delete().where(holidays.c.kind == kind)
            if kind == "tet" and key.isdigit():
                q = q.where(holidays.c.year == int(key))
            else:
                q = q.where(holidays.c.day == key)
            gone = int(tx.conn.execute(q).rowcount)
            if gone:
                self._bump_holidays(tx)
                tx.audit("", "operator", "holidays.remove", f"{kind} {key}")
            return gone

    # --- clerks -----------------------------------------------------------------------------

    def set_clerk(self, office: str, username: str, name: str, pin_hash: str) -> None:
        """Add a clerk or change their name or PIN (the hash only: the PIN never arrives here)."""
        with self.write() as tx:
            if (
                tx.conn.execute(sa.select(offices.c.code).where(offices.c.code == office)).first()
                is None
            ):
                raise KeyError(office)
            _upsert(
                tx.conn,
                clerks,
                ["office", "username"],
                {
                    "office": office,
                    "username": username,
                    "name": name,
                    "pin_hash": pin_hash,
                    "active": 1,
                    "updated_at": time.time(),
                },
                ["name", "pin_hash", "active", "updated_at"],
            )
            tx.audit(office, "operator", "clerk.set", username)

    def disable_clerk(self, office: str, username: str) -> None:
        with self.write() as tx:
            done = tx.conn.execute(
                clerks.update()
                .where(clerks.c.office == office, clerks.c.username == username)
                .values(active=0, updated_at=time.time())
            )
            if done.rowcount == 0:
                raise KeyError(username)
            tx.audit(office, "operator", "clerk.disable", username)

    def clerks(self, office: str) -> list[dict[str, Any]]:
        rows = self._all(
            sa.select(
                clerks.c.username,
                clerks.c.name,
                clerks.c.pin_hash,
                clerks.c.active,
                clerks.c.updated_at,
            )
            .where(clerks.c.office == office)
            .order_by(clerks.c.username)
        )
        keys = ("username", "name", "pin_hash", "active", "updated_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # --- audit ------------------------------------------------------------------------------

    def audit_anchors(self, client_id: int) -> list[dict[str, Any]]:
        """The heads one counter reported for its own chain, oldest first."""
        rows = self._all(
            sa.select(audit_anchors.c.seq, audit_anchors.c.head, audit_anchors.c.at)
            .where(audit_anchors.c.client_id == client_id)
            .order_by(audit_anchors.c.seq)
        )
        return [{"seq": int(r[0]), "head": str(r[1]), "at": float(r[2])} for r in rows]

    def latest_anchors(self) -> list[dict[str, Any]]:
        """Each counter's latest reported head (for the operator's daily export)."""
        top = (
            sa.select(audit_anchors.c.client_id, sa.func.max(audit_anchors.c.seq).label("seq"))
            .group_by(audit_anchors.c.client_id)
            .subquery()
        )
        rows = self._all(
            sa.select(
                clients.c.id,
                clients.c.office,
                clients.c.name,
                audit_anchors.c.seq,
                audit_anchors.c.head,
            )
            .join(top, top.c.client_id == clients.c.id)
            .join(
                audit_anchors,
                sa.and_(
                    audit_anchors.c.client_id == top.c.client_id, audit_anchors.c.seq == top.c.seq
                ),
            )
            .order_by(clients.c.id)
        )
        keys = ("client_id", "office", "name", "seq", "head")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def audit_entry_hash(self, seq: int) -> str | None:
        row = self._one(sa.select(audit.c.hash).where(audit.c.seq == seq))
        return str(row[0]) if row else None

    def audit_entries(self) -> list[dict[str, Any]]:
        return [
            orjson.loads(r[0]) for r in self._all(sa.select(audit.c.body).order_by(audit.c.seq))
        ]

    def verify_audit(self) -> tuple[int, str | None]:
        """The chain checked end to end; the head is the last row's own hash column, so an
        entry whose body was rewritten (with its hash recomputed) still breaks the link after."""
        entries = []
        for seq, body, digest in self._all(
            sa.select(audit.c.seq, audit.c.body, audit.c.hash).order_by(audit.c.seq)
        ):
            e = orjson.loads(body)
            if e.get("hash") != digest or e.get("seq") != seq:
                return int(seq) - 1, f"entry {seq}: its stored hash does not match its row"
            entries.append(e)
        head = self.audit_head()
        return verify_chain(entries, head or None)

    def audit_head(self) -> str:
        row = self._one(sa.select(meta.c.v).where(meta.c.k == "audit_head"))
        return str(row[0]) if row else ""

    # --- files (issue 14): which office holds which file; the bytes are in filestore.py --

    def office_file_size(self, office: str, sha: str) -> int | None:
        """The size of ``sha`` if ``office`` holds it whole, else ``None`` (another office's
        file and an unknown one are the same answer)."""
        row = self._one(sa.select(files.c.size).where(files.c.office == office, files.c.sha == sha))
        return int(row[0]) if row else None

    def add_office_file(self, office: str, sha: str, size: int, client_id: int) -> bool:
        """Record that ``office`` holds ``sha``; ``False`` if it already did (a retry)."""
        with self.write() as tx:
            stmt = (
                _insert(tx.conn, files)
                .values(
                    office=office,
                    sha=sha,
                    size=size,
                    client_id=client_id,
                    received_at=time.time(),
                )
                .on_conflict_do_nothing()
            )
            return bool(tx.conn.execute(stmt).rowcount)

    def office_files(self, office: str) -> list[dict[str, Any]]:
        """The files ``office`` holds, oldest first (operators and tests)."""
        rows = self._all(
            sa.select(files.c.sha, files.c.size, files.c.client_id, files.c.received_at)
            .where(files.c.office == office)
            .order_by(files.c.received_at)
        )
        return [dict(r._mapping) for r in rows]

    def routed_file_size(self, office: str, sha: str) -> int | None:
        """The size of ``sha`` if ``office`` may read it as the handling office of a dossier
        received for it elsewhere (receipt regardless of boundary): a dossier routed to
        ``office`` lists the file, and its receiving office holds it. ``None`` otherwise."""
        rows = self._all(
            sa.select(dossiers.c.doc, files.c.size)
            .select_from(dossiers.join(files, files.c.office == dossiers.c.office))
            .where(
                files.c.sha == sha,
                dossiers.c.handling_office == office,
                dossiers.c.handling_version.is_not(None),
            )
        )
        for doc, size in rows:
            if sha in named_shas(orjson.loads(doc)):
                return int(size)
        return None
