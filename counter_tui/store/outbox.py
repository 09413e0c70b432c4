"""The outbox (``o/NNNNNN``): operations waiting for the centre, and those it refused.

Each operation is numbered at the counter (``op_seq`` in meta) and stored under that
number as its document id, 512 a shard, so lookups and acknowledgements need no scan.
The centre's answers move ``acked_seq``; an operation it refused is copied to
``m/rejected``, the list the clerk must see. Log segments holding an operation above
``acked_seq`` are kept by the engine (the second copy of unsent work).
"""

from __future__ import annotations

import logging
from typing import Any

from tinydb import Query
from tinydb.table import Document

from counter_tui.store.engine.core import SafeTable, Store
from counter_tui.store.meta import Meta

OPS_PER_SHARD = 512
Q = Query()
log = logging.getLogger(__name__)


class Outbox:
    """The ``ops`` tables of the outbox shards and of ``m/rejected``."""

    def __init__(self, store: Store, meta: Meta) -> None:
        self._store = store
        self._meta = meta
        self._rejected_ok = False  # the refused list was refilled after damage

    def _ops_table(self, seq: int) -> SafeTable:
        return self._store.shard(f"o/{seq // OPS_PER_SHARD:06d}").table("ops")

    def raw(self, seq: int) -> dict[str, Any] | None:
        """An outbox operation as stored (no copy: read it, never change it)."""
        name = f"o/{seq // OPS_PER_SHARD:06d}"
        op: dict[str, Any] | None = self._store.shard(name).data.get("ops", {}).get(str(seq))
        return op

    def enqueue(self, op: dict[str, Any]) -> int:
        """Add ``op`` to the outbox with the next sequence number (inside the caller's txn)."""
        with self._store.transaction():
            seq = int(self._meta.get("op_seq", 0)) + 1
            while self._ops_table(seq).contains(doc_id=seq):
                seq += 1  # the counter fell behind the outbox (see open_checks): never reuse
            self._meta.set("op_seq", seq)
            # The document id is the sequence number: lookups and acks need no scan.
            self._ops_table(seq).insert(Document({**op, "seq": seq, "state": "pending"}, seq))
            return seq

    def last_seq(self) -> int:
        return int(self._meta.get("op_seq", 0))

    def acked_seq(self) -> int:
        return int(self._meta.get("acked_seq", 0))

    def pending_count(self) -> int:
        return self.last_seq() - self.acked_seq()

    def pending(
        self, limit: int = 100, after: int | None = None, copy: bool = True
    ) -> list[dict[str, Any]]:
        """The oldest operations the central service has not acknowledged, in order
        (those numbered above ``after`` if given). ``copy=False``: the stored documents
        themselves, read without a copy, for a caller that only reads them at once."""
        with self._store.lock:
            first = max(self.acked_seq(), after or 0) + 1
            last = min(self.last_seq(), first + limit - 1)
            out: list[dict[str, Any]] = []
            for seq in range(first, last + 1):
                if copy:
                    doc = self._ops_table(seq).get(doc_id=seq)
                else:
                    shard = self._store.shard(f"o/{seq // OPS_PER_SHARD:06d}")
                    doc = shard.data.get("ops", {}).get(str(seq))
                if doc is not None:
                    out.append(doc)
            return out

    def get(self, seq: int) -> dict[str, Any] | None:
        with self._store.lock:
            doc: dict[str, Any] | None = self._ops_table(seq).get(doc_id=seq)
            return doc

    def ack(self, results: list[dict[str, Any]]) -> None:
        """Record the service's answers; rejected ones go to the list the clerk must see."""
        with self._store.transaction():
            acked = self.acked_seq()
            fresh = sorted((r for r in results if int(r["seq"]) > acked), key=lambda r: r["seq"])
            by_shard: dict[int, dict[int, dict[str, Any]]] = {}
            for r in fresh:
                by_shard.setdefault(int(r["seq"]) // OPS_PER_SHARD, {})[int(r["seq"])] = r
            for part in by_shard.values():
                table = self._ops_table(next(iter(part)))

                def record(doc: dict[str, Any], part: dict[int, dict[str, Any]] = part) -> None:
                    r = part[doc["seq"]]
                    doc["state"] = r["status"]
                    doc["result"] = r

                # One table update a shard, not one an operation.
                shard = self._store.shard(f"o/{next(iter(part)) // OPS_PER_SHARD:06d}")
                live = shard.data.get("ops", {})
                table.update(record, doc_ids=[seq for seq in part if str(seq) in live])
            for r in fresh:
                if r["status"] != "applied":
                    op = self._ops_table(int(r["seq"])).get(doc_id=int(r["seq"]))
                    self._store.shard("m/rejected").table("ops").insert(
                        {**(op or {}), "state": r["status"], "result": r, "resolved": False}
                    )
            if fresh:
                self._meta.set("acked_seq", int(fresh[-1]["seq"]))

    def ack_through(self, last_seq: int) -> None:
        """The service says it has everything up to ``last_seq`` (its answers were lost)."""
        with self._store.transaction():
            if last_seq > self.acked_seq():
                for seq in range(self.acked_seq() + 1, last_seq + 1):
                    self._ops_table(seq).update({"state": "applied"}, doc_ids=[seq])
                self._meta.set("acked_seq", min(last_seq, self.last_seq()))

    def renumber_pending(self, first: int) -> tuple[list[int], list[tuple[int, int]]]:
        """An operator's repair of an outbox gap (``counter-tui sync repair``): the centre
        has everything up to ``first - 1`` and waits for ``first``; operations this store
        no longer holds cannot be sent, so the ones it holds after that are given
        consecutive numbers from ``first``, in their order. Returns the numbers that were
        missing and the (old, new) number of each moved operation. One transaction."""
        with self._store.transaction():
            last = self.last_seq()
            found = {seq: self.get(seq) for seq in range(first, last + 1)}
            held = [op for op in found.values() if op is not None]
            missing = [seq for seq, op in found.items() if op is None]
            moved: list[tuple[int, int]] = []
            for new, op in enumerate(held, start=first):
                old = int(op["seq"])
                if old == new:
                    continue
                # In increasing order a new number is always free: missing, or vacated.
                self._ops_table(old).remove(doc_ids=[old])
                self._ops_table(new).insert(
                    Document({**op, "seq": new, "seq_before_repair": old, "state": "pending"}, new)
                )
                moved.append((old, new))
            self._meta.set("acked_seq", first - 1)
            self._meta.set("op_seq", first - 1 + len(held))
            return missing, moved

    # --- the operations the centre refused (m/rejected) -------------------------------------

    def rejected(self, include_resolved: bool = False) -> list[dict[str, Any]]:
        with self._store.lock:
            self._store.shard("m/rejected")  # loaded (and verified) first
            if any(d.shard == "m/rejected" for d in self._store.damaged) and not self._rejected_ok:
                self._rejected_ok = True
                try:
                    self._restore_rejected()
                except Exception:
                    log.exception("could not refill the list of refused operations yet")
            docs = self._store.shard("m/rejected").table("ops").all()
        return [d for d in docs if include_resolved or not d.get("resolved")]

    def resolve_rejected(self, seq: int, note: str) -> None:
        with self._store.transaction():
            self._store.shard("m/rejected").table("ops").update(
                {"resolved": True, "resolution": note}, Q.seq == seq
            )

    def _restore_rejected(self) -> None:
        """Refill the list of refused operations from the outbox (its second copy)."""
        with self._store.transaction():
            table = self._store.shard("m/rejected").table("ops")
            have = {int(d["seq"]) for d in table.all() if "seq" in d}
            missing = []
            for name in self._store.shard_names("o/"):
                for op in self._store.read_shard_uncached(name).get("ops", {}).values():
                    if op.get("state") not in ("pending", "applied") and int(op["seq"]) not in have:
                        missing.append({**op, "resolved": False})
            if missing:
                table.insert_multiple(missing)
