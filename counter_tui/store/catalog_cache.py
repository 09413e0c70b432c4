"""The procedure catalog as last downloaded from the centre (``m/catalog``), and its version.

So the counter opens with the catalog it had when the network is down, and the next
sync asks the centre only whether its version changed.
"""

from __future__ import annotations

from typing import Any

from counter_tui.store.engine.core import Store
from counter_tui.store.meta import Meta


class CatalogCache:
    """The ``procedures`` table of ``m/catalog``; its version is ``catalog_etag`` in meta."""

    def __init__(self, store: Store, meta: Meta) -> None:
        self._store = store
        self._meta = meta

    def save(self, procedures: list[dict[str, Any]], etag: str) -> None:
        with self._store.transaction():
            table = self._store.shard("m/catalog").table("procedures")
            table.truncate()
            table.insert_multiple(procedures)
            self._meta.set("catalog_etag", etag)

    def cached(self) -> tuple[list[dict[str, Any]], str | None]:
        with self._store.lock:
            docs = self._store.shard("m/catalog").table("procedures").all()
        # No procedures (a new cache, or a lost catalog file): no version either, so the
        # next sync downloads the catalog instead of being told it has it already.
        return [dict(d) for d in docs], self._meta.get("catalog_etag") if docs else None
