"""The audit log (``a/NNNNNN``): every entry chained by hash to the one before it.

The chain itself (how an entry is hashed, how a chain is checked) is the domain's
(:mod:`counter_tui.domain.audit_chain`); here it is stored, 512 entries a shard,
with its head (``audit_seq``, ``audit_hash``) in meta.
"""

from __future__ import annotations

from typing import Any

from counter_tui.domain.audit_chain import chain, verify_chain
from counter_tui.store.engine.core import Store
from counter_tui.store.meta import Meta

ENTRIES_PER_SHARD = 512  # the shard names on disk depend on it


class AuditLog:
    """The ``events`` tables of the audit shards."""

    def __init__(self, store: Store, meta: Meta) -> None:
        self._store = store
        self._meta = meta

    def append(self, entry: dict[str, Any]) -> int:
        """Append an audit entry chained by hash to the previous one (inside the caller's txn)."""
        with self._store.transaction():
            seq = int(self._meta.get("audit_seq", 0)) + 1
            record = chain(self._meta.get("audit_hash", ""), seq, entry)
            self._store.shard(f"a/{seq // ENTRIES_PER_SHARD:06d}").table("events").insert(record)
            self._meta.set("audit_seq", seq)
            self._meta.set("audit_hash", record["hash"])
            return seq

    def verify(self) -> tuple[int, str | None]:
        """Check the audit chain: (entries checked, None) or the first broken link, described."""
        return verify_chain(self.entries(), self._meta.get("audit_hash"))

    def entries(self) -> list[dict[str, Any]]:
        with self._store.lock:
            out: list[dict[str, Any]] = []
            for name in self._store.shard_names("a/"):
                out.extend(self._store.shard(name).table("events").all())
        return sorted(out, key=lambda e: e["seq"])
