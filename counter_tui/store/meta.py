"""Settings and counters of the cache (``m/meta``): one key, one JSON value.

The other repositories keep their counters here (the outbox's sequence and
acknowledged mark, the audit head, the daily code numbers) and so do the use cases
(the sync cursor, the catalog's version). Thread-safe: every call holds the store lock.
"""

from __future__ import annotations

from typing import Any

from tinydb import Query

from counter_tui.store.engine.core import SafeTable, Store

Q = Query()


class Meta:
    """The ``kv`` table of ``m/meta``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _kv(self) -> SafeTable:
        return self._store.shard("m/meta").table("kv")

    def get(self, key: str, default: Any = None) -> Any:
        with self._store.lock:
            doc = self._kv().get(Q.k == key)
            return doc["v"] if doc is not None else default

    def set(self, key: str, value: Any) -> None:
        with self._store.transaction():
            self._kv().replace({"k": key, "v": value}, Q.k == key)
