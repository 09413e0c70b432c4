"""The centre's audit chain, and the anchors: the heads counters report for their own chains.

Every write records who did what (``tx.audit.record``); the entries are chained at the end of
the transaction, with the change they record or not at all, under a lock on the chain's head
row, so the chain never forks and the lock is held only for the commit. The head is also kept
apart from the rows, so entries cut off the end show as a mismatch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from counter_tui.central.schema import audit, audit_anchors, clients, meta
from counter_tui.domain.audit_chain import chain, verify_chain

if TYPE_CHECKING:
    from counter_tui.central.db.clients import Client
    from counter_tui.central.db.transaction import Reads, Tx

AUDIT_HEAD_LOCK = sa.select(meta.c.v).where(meta.c.k == "audit_head").with_for_update()
AUDIT_LAST = sa.select(audit.c.seq, audit.c.hash).order_by(audit.c.seq.desc()).limit(1)
AUDIT_INSERT = audit.insert().values({c.name: sa.bindparam(c.name) for c in audit.columns})
AUDIT_HEAD_SET = meta.update().where(meta.c.k == "audit_head").values(v=sa.bindparam("v"))


@dataclass
class _Entry:
    office: str
    actor: str
    action: str
    target: str
    client: str
    detail: dict[str, Any]
    at: float = field(default_factory=time.time)


class Audit:
    """``db.audit``: the chain as stored, checked end to end, and the counters' anchors."""

    def __init__(self, reads: Reads) -> None:
        self._reads = reads

    def anchors(self, client_id: int) -> list[dict[str, Any]]:
        """The heads one counter reported for its own chain, oldest first."""
        rows = self._reads.all(
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
        rows = self._reads.all(
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

    def entry_hash(self, seq: int) -> str | None:
        row = self._reads.one(sa.select(audit.c.hash).where(audit.c.seq == seq))
        return str(row[0]) if row else None

    def entries(self) -> list[dict[str, Any]]:
        return [
            orjson.loads(r[0])
            for r in self._reads.all(sa.select(audit.c.body).order_by(audit.c.seq))
        ]

    def verify(self) -> tuple[int, str | None]:
        """The chain checked end to end; the head is the last row's own hash column, so an
        entry whose body was rewritten (with its hash recomputed) still breaks the link after."""
        entries = []
        for seq, body, digest in self._reads.all(
            sa.select(audit.c.seq, audit.c.body, audit.c.hash).order_by(audit.c.seq)
        ):
            e = orjson.loads(body)
            if e.get("hash") != digest or e.get("seq") != seq:
                return int(seq) - 1, f"entry {seq}: its stored hash does not match its row"
            entries.append(e)
        head = self.head()
        return verify_chain(entries, head or None)

    def head(self) -> str:
        row = self._reads.one(sa.select(meta.c.v).where(meta.c.k == "audit_head"))
        return str(row[0]) if row else ""


class AuditWrites:
    """``tx.audit``: entries recorded during a transaction, chained at its end; anchors."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._pending: list[_Entry] = []

    def record(
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
        self._pending.append(_Entry(office, actor, action, target, client, detail or {}))

    def anchor_counter(self, client: Client, seq: int, head: str) -> None:
        """Keep the head a counter reports for its own audit chain. The first report of an
        entry count stands; a different head for a count already seen, or fewer entries than
        before, is recorded in the centre's own chain (someone rewrote the counter's log)."""
        if seq <= 0:
            return
        conn = self._tx.conn
        seen = conn.execute(
            sa.select(audit_anchors.c.head).where(
                audit_anchors.c.client_id == client.id, audit_anchors.c.seq == seq
            )
        ).first()
        if seen is not None:
            if seen[0] != head:
                self.record(
                    client.office,
                    "counter",
                    "counter_audit.rewritten",
                    f"entry {seq}",
                    client=client.name,
                    detail={"seen": seen[0], "now": head},
                )
            return
        top = conn.execute(
            sa.select(sa.func.max(audit_anchors.c.seq)).where(
                audit_anchors.c.client_id == client.id
            )
        ).scalar()
        if top is not None and seq < int(top):
            self.record(
                client.office,
                "counter",
                "counter_audit.shortened",
                f"{top} → {seq} entries",
                client=client.name,
            )
        self._tx.insert_new(
            audit_anchors, {"client_id": client.id, "seq": seq, "head": head, "at": time.time()}
        )

    def append_pending(self) -> None:
        """Chain the transaction's entries onto the stored chain (at its end: the head row's
        lock is held only for the commit)."""
        if not self._pending:
            return
        tx = self._tx
        # The head row is the chain's lock: one appender at a time, held until commit.
        head = tx.run(AUDIT_HEAD_LOCK).fetchone()
        if head is None:
            # First entry ever: two first appenders collide on the key and one retries.
            tx.conn.execute(meta.insert().values(k="audit_head", v=""))
        last = tx.run(AUDIT_LAST).fetchone()
        seq, prev = (int(last[0]), str(last[1])) if last else (0, "")
        rows = []
        for e in self._pending:
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
        tx.run_many(AUDIT_INSERT, rows)  # one statement for all (executemany)
        # The head is kept apart too: entries cut off the end show as a mismatch.
        tx.run(AUDIT_HEAD_SET, {"v": prev})
        self._pending.clear()
