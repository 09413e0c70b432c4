"""TinyDB on a shard held in memory: tables that return copies and record every write.

TinyDB's ``Table`` gives callers its familiar document API. Underneath, each
shard is a small in-memory TinyDB (:class:`ShardStorage`); :class:`SafeTable`
overrides TinyDB's private ``_update_table`` so that every write notes the
documents it touches (and their state before) in the open transaction. This
is why TinyDB is pinned to 4.9.* in pyproject.toml, and why
``tests/store/test_tinydb_contract.py`` checks that every public write method
of ``Table`` and of ``TinyDB`` goes through that hook. ``TinyDB.drop_table``
and ``drop_tables`` wrote the storage directly; here they remove the documents
through the hook like any other write, and the storage refuses a write that
does not come through it, so a new write path in a TinyDB release fails loudly
instead of bypassing the commit log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from counter_tui.domain.messages import Msg
from counter_tui.store.engine.errors import StoreError


@dataclass
class Txn:
    # (shard, table) -> doc id -> serialized state before the transaction (None: absent)
    pre: dict[tuple[str, str], dict[str, bytes | None]] = field(default_factory=dict)
    hooks: list[Callable[[list[tuple[str, str, str, bytes | None]]], None]] = field(
        default_factory=list
    )


class TxnSource(Protocol):
    """What a shard needs from its store: the transaction open in this thread."""

    def _current_txn(self) -> Txn: ...


def _copy(doc: Any) -> Any:
    return orjson.loads(orjson.dumps(doc))


def _copy_in(document: Any) -> Any:
    # TinyDB's own check and message: dict() would accept a list of pairs, or fail with
    # a TypeError, where TinyDB's callers expect this ValueError.
    if not isinstance(document, Mapping):
        raise ValueError("Document is not a Mapping")
    if isinstance(document, Document):
        return CopiedDocument(document, document.doc_id)
    return _copy(dict(document))


class CopiedDocument(Document):
    """A TinyDB Document holding its own deep copy: mutating it never changes the store."""

    def __init__(self, value: Any, doc_id: int) -> None:
        super().__init__(_copy(value), doc_id)


class SafeTable(Table):
    """TinyDB's Table, returning copies and reporting every write to its shard.

    The query cache is off: it would hand out the same objects twice and goes
    stale across instances (TinyDB #179, #331).
    """

    document_class = CopiedDocument
    default_query_cache_capacity = 0

    # Writes copy their arguments too: TinyDB keeps a shallow copy, so nested lists
    # would stay shared with the caller's objects.
    def insert(self, document: Any) -> int:
        return super().insert(_copy_in(document))

    def insert_multiple(self, documents: Any) -> list[int]:
        return super().insert_multiple([_copy_in(d) for d in documents])

    def update(self, fields: Any, cond: Any = None, doc_ids: Any = None) -> list[int]:
        return super().update(fields if callable(fields) else _copy(fields), cond, doc_ids)

    def update_multiple(self, updates: Any) -> list[int]:
        return super().update_multiple(
            [(f if callable(f) else _copy(f), cond) for f, cond in updates]
        )

    def upsert(self, document: Any, cond: Any = None) -> list[int]:
        return super().upsert(_copy_in(document), cond)

    def replace(self, document: Any, cond: Any) -> int:
        """Replace the first document matching ``cond`` whole (insert if none)."""
        new = _copy(dict(document))
        found = super().get(cond)
        if found is None:
            return super().insert(new)

        def swap(doc: MutableMapping[Any, Any]) -> None:
            doc.clear()
            doc.update(new)

        super().update(swap, doc_ids=[found.doc_id])
        return found.doc_id

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        # TinyDB's own logic, with a dict that notes which documents the updater
        # touches (and their state before), so a commit serializes only those.
        storage: ShardStorage = self._storage  # type: ignore[assignment]
        pre = storage.shard.before_write(self.name)
        tables = storage.read()
        raw = tables.get(self.name, {})
        table = _Recording({self.document_id_class(k): v for k, v in raw.items()}, pre)
        updater(table)
        tables[self.name] = {str(k): v for k, v in dict.items(table)}
        storage.write_recorded(tables)
        self.clear_cache()


class _Recording(dict[Any, Any]):
    """A dict that records the serialized state of each entry before its first change."""

    def __init__(self, data: dict[int, Any], pre: dict[str, bytes | None]) -> None:
        super().__init__(data)
        self._pre = pre

    def _note(self, key: Any) -> None:
        k = str(key)
        if k not in self._pre:
            v = dict.get(self, key)
            self._pre[k] = orjson.dumps(v) if v is not None else None

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return dict.__getitem__(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._note(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        self._note(key)
        dict.__delitem__(self, key)

    def pop(self, key: Any, *default: Any) -> Any:
        self._note(key)
        return dict.pop(self, key, *default)

    def clear(self) -> None:
        for k in list(dict.keys(self)):
            self._note(k)
        dict.clear(self)


class ShardStorage(Storage):
    """The in-memory state of one shard; durability is the store's commit, not ``write``."""

    def __init__(self, shard: Shard) -> None:
        self.shard = shard

    def read(self) -> dict[str, dict[str, Any]]:
        return self.shard.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        # Every write TinyDB 4.9 makes comes through SafeTable._update_table (or the
        # drops below, rewritten to use it). A caller that reaches the storage itself
        # would change memory without a record in the transaction: lost after a crash.
        raise StoreError(
            Msg(
                "Ghi thẳng vào kho TinyDB, không qua bảng: không được ghi lại.",
                "A write straight to TinyDB's storage, not through a table, would not be "
                "recorded: write through a table inside `with store.transaction():`.",
            )
        )

    def write_recorded(self, data: dict[str, dict[str, Any]]) -> None:
        """Take the state a recorded table write left (SafeTable's hook only)."""
        self.shard.data = data

    def close(self) -> None:
        pass


class _TinyDB(TinyDB):
    """TinyDB whose table drops are recorded writes, refused outside a transaction."""

    table_class = SafeTable

    def drop_table(self, name: str) -> None:
        """Remove every document of table ``name`` in the open transaction, then the table."""
        self._tables.pop(name, None)
        storage: ShardStorage = self._storage  # type: ignore[assignment]
        if name not in storage.read():
            # TinyDB does nothing here either; joining the transaction still refuses a
            # drop outside one, the same whether the table exists or not.
            storage.shard.store._current_txn()
            return
        SafeTable(storage, name).truncate()
        # The documents' removal is recorded; the empty table left behind is no data.
        if not storage.read().get(name):
            storage.read().pop(name, None)

    def drop_tables(self) -> None:
        """Drop every table, each through :meth:`drop_table`."""
        storage: ShardStorage = self._storage  # type: ignore[assignment]
        storage.shard.store._current_txn()
        for name in sorted(storage.read()):
            self.drop_table(name)
        self._tables.clear()


class Shard:
    """One partition: a TinyDB over one JSON file, held in memory while cached."""

    def __init__(self, store: TxnSource, name: str, data: dict[str, dict[str, Any]]) -> None:
        self.store = store
        self.name = name
        self.data = data
        self.dirty = False  # changed since the last checkpoint
        self.in_txn = False  # touched by the open transaction: must not be evicted
        # Being written by a checkpoint: until the file is replaced, the file is older than
        # memory, so evicting (and later reloading) would go back in time.
        self.flushing = False
        self.db = _TinyDB(storage=ShardStorage, shard=self)
        # adopt()'s key -> doc id map and next id per table, kept between adopts (a pull
        # adopts into the same shards page after page) and dropped by any other write.
        self._adopted: dict[str, tuple[dict[Any, str], int]] = {}

    def table(self, name: str) -> SafeTable:
        return self.db.table(name)  # type: ignore[return-value]

    def before_write(self, table: str) -> dict[str, bytes | None]:
        """Join the open transaction; returns where to note documents' prior states."""
        txn = self.store._current_txn()
        self.in_txn = True
        self._adopted.pop(table, None)  # another kind of write may change keys or ids
        return txn.pre.setdefault((self.name, table), {})

    def diff(
        self, table: str, pre: dict[str, bytes | None]
    ) -> list[tuple[str, bytes | None, bytes | None]]:
        """(doc id, before, after) for each touched document that really changed."""
        live = self.data.get(table, {})
        out = []
        for k, before in pre.items():
            cur = live.get(k)
            after = orjson.dumps(cur) if cur is not None else None
            if after != before:
                out.append((k, before, after))
        return out

    def rollback(self, table: str, pre: dict[str, bytes | None]) -> None:
        self._adopted.pop(table, None)
        live = self.data.setdefault(table, {})
        for k, before in pre.items():
            if before is None:
                live.pop(k, None)
            else:
                live[k] = orjson.loads(before)
        if not live:
            self.data.pop(table, None)
        t = self.db._tables.get(table)
        if t is not None:
            t._next_id = None

    def release(self) -> None:
        """Break the shard <-> TinyDB reference cycle so an evicted shard is freed at once."""
        self.db._storage = None  # type: ignore[assignment]
        self.db._tables.clear()
        self.data = {}
        self._adopted.clear()

    def adopt(self, table: str, key: str, docs: list[dict[str, Any]]) -> None:
        """Insert or replace (matched on field ``key``) each of ``docs``, in one update.

        The shard takes the documents as they are, without a copy: the caller hands
        them over and must neither keep nor change them. Prior states are noted in
        the open transaction as any TinyDB write does, so the commit logs exactly
        these documents and a failure before it rolls them back.
        """
        known = self._adopted.pop(table, None)
        pre = self.before_write(table)
        live = self.data.setdefault(table, {})
        if known is not None:
            # Kept from this table's last adopt, with no other write since: scanning the
            # whole table on every page made a pull's cost grow with the cache.
            ids, next_id = known
        else:
            ids = {doc.get(key): doc_id for doc_id, doc in live.items()}
            next_id = max((int(k) for k in live), default=0) + 1
        for doc in docs:
            doc_id = ids.get(doc[key])
            if doc_id is None:
                doc_id = str(next_id)
                next_id += 1
                ids[doc[key]] = doc_id
            if doc_id not in pre:
                cur = live.get(doc_id)
                pre[doc_id] = orjson.dumps(cur) if cur is not None else None
            live[doc_id] = doc
        self._adopted[table] = (ids, next_id)
        tbl = self.db._tables.get(table)
        if tbl is not None:
            tbl._next_id = None  # TinyDB's cached next id predates these inserts
