"""Citizens' records (read from the card or typed once), kept beside their dossiers.

A citizen's record lives in the data shard of their citizen ID, the shard that also
holds their dossiers (:mod:`counter_tui.store.dossiers`), so a lookup reads one shard.
"""

from __future__ import annotations

from typing import Any

from tinydb import Query

from counter_tui.store.dossiers import data_shard
from counter_tui.store.engine.core import Store

Q = Query()


class Citizens:
    """The ``citizens`` tables of the data shards."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def put(self, record: dict[str, Any]) -> None:
        with self._store.transaction():
            table = self._store.shard(data_shard(record["citizen_id"])).table("citizens")
            table.replace(record, Q.citizen_id == record["citizen_id"])

    def get(self, citizen_id: str) -> dict[str, Any] | None:
        with self._store.lock:
            table = self._store.shard(data_shard(citizen_id)).table("citizens")
            return table.get(Q.citizen_id == citizen_id)
