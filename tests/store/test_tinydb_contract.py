"""The contract with TinyDB's private parts: every write goes through the recording hook.

The store overrides ``Table._update_table`` to note each document a write
touches, and only noted documents reach the commit log. If a TinyDB release
adds a write path that bypasses that method, acknowledged writes would
silently not be durable. These tests fail first: every public member of
``Table`` and of ``TinyDB`` must be classified here, and each write is checked
end to end (written in a transaction, the store killed before a checkpoint,
reopened; for the table drops, closed cleanly too). A write that reaches the
shard's storage without the hook is refused.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from tinydb import Query, TinyDB
from tinydb.table import Document, Table

from counter_tui.store.engine.core import Store, StoreError

Q = Query()

# What each write does to a table holding {1: a=1}, {2: a=2}, {3: a=3}.
WRITES: dict[str, Callable[[Table], Any]] = {
    "insert": lambda t: t.insert({"a": 9}),
    "insert_multiple": lambda t: t.insert_multiple([{"a": 9}, {"a": 10}]),
    "update": lambda t: t.update({"b": 1}, Q.a == 2),
    "update_multiple": lambda t: t.update_multiple([({"b": 1}, Q.a == 1), ({"b": 2}, Q.a == 3)]),
    "upsert": lambda t: t.upsert({"a": 2, "c": 1}, Q.a == 2),
    "remove": lambda t: t.remove(Q.a == 1),
    "truncate": lambda t: t.truncate(),
}
READS: dict[str, Callable[[Table], Any]] = {
    "all": lambda t: t.all(),
    "search": lambda t: t.search(Q.a > 1),
    "get": lambda t: t.get(Q.a == 2),
    "contains": lambda t: t.contains(Q.a == 2),
    "count": lambda t: t.count(Q.a > 0),
    "clear_cache": lambda t: t.clear_cache(),
}
# What each write of the database does to a shard holding table t (3 documents) and u (1).
DB_WRITES: dict[str, Callable[[TinyDB], Any]] = {
    "drop_table": lambda db: db.drop_table("t"),
    "drop_tables": lambda db: db.drop_tables(),
}
DB_READS: dict[str, Callable[[TinyDB], Any]] = {
    "tables": lambda db: db.tables(),
    # A table object: its own methods are classified above.
    "table": lambda db: db.table("t"),
    # The storage itself: its write is refused (test_a_write_straight_to_storage_is_refused).
    "storage": lambda db: db.storage,
    # Closes the in-memory storage, which holds nothing to flush.
    "close": lambda db: db.close(),
}
DB_NOT_OPERATIONS = {"default_storage_class", "default_table_name", "table_class"}
# Attributes that are not operations.
NOT_OPERATIONS = {
    "default_query_cache_capacity",
    "document_class",
    "document_id_class",
    "name",
    "query_cache_class",
    "storage",
}


def test_every_public_method_of_table_is_classified():
    public = {n for n, _ in inspect.getmembers(Table) if not n.startswith("_")}
    unknown = public - set(WRITES) - set(READS) - NOT_OPERATIONS
    assert unknown == set(), (
        f"TinyDB's Table has new public members {sorted(unknown)}: classify them here, and "
        "if one writes, make sure SafeTable records it before moving the pin"
    )


def test_every_method_that_reaches_storage_is_a_known_write():
    """Source-level check: whatever calls _update_table (or the storage) is listed as a write."""
    reaching = set()
    for n, f in inspect.getmembers(Table, inspect.isfunction):
        if n.startswith("_"):
            continue
        src = inspect.getsource(f)
        if "_update_table" in src or "storage.write" in src:
            reaching.add(n)
    assert reaching <= set(WRITES), reaching - set(WRITES)


def test_every_public_member_of_tinydb_is_classified():
    """TinyDB forwards unknown attributes to its default table (a SafeTable: see above)."""
    public = {n for n, _ in inspect.getmembers(TinyDB) if not n.startswith("_")}
    unknown = public - set(DB_WRITES) - set(DB_READS) - DB_NOT_OPERATIONS
    assert unknown == set(), (
        f"TinyDB has new public members {sorted(unknown)}: classify them here, and if one "
        "writes, make sure the shard's TinyDB records it before moving the pin"
    )


def test_every_method_of_tinydb_that_reaches_storage_is_a_known_write():
    reaching = set()
    for n, f in inspect.getmembers(TinyDB, inspect.isfunction):
        if n.startswith("_"):
            continue
        src = inspect.getsource(f)
        if "_update_table" in src or "storage.write" in src or ".truncate(" in src:
            reaching.add(n)
    assert reaching <= set(DB_WRITES), reaching - set(DB_WRITES)


def _seed(store: Store) -> None:
    with store.transaction():
        t = store.shard("x/1").table("t")
        for i in (1, 2, 3):
            t.insert(Document({"a": i}, i))
        store.shard("x/1").table("u").insert({"b": 1})


def _contents(store: Store) -> dict[str, dict[int, dict[str, Any]]]:
    db = store.shard("x/1").db
    return {
        name: {int(d.doc_id): dict(d) for d in db.table(name).all()} for name in sorted(db.tables())
    }


@pytest.mark.parametrize("method", sorted(WRITES))
def test_each_write_is_recorded_and_survives_a_crash(tmp_path, method):
    store = Store(tmp_path / "s")
    _seed(store)
    store.checkpoint()
    with store.transaction() as txn:
        table = store.shard("x/1").table("t")
        WRITES[method](table)
        assert txn.pre, f"{method} did not go through the recording hook"
        expected = {int(d.doc_id): dict(d) for d in table.all()}
    store.abandon()  # killed before a checkpoint: only the log has the write
    store = Store(tmp_path / "s")
    try:
        got = {int(d.doc_id): dict(d) for d in store.shard("x/1").table("t").all()}
        assert got == expected
    finally:
        store.close()


@pytest.mark.parametrize("method", sorted(READS))
def test_reads_write_nothing(tmp_path, method):
    store = Store(tmp_path / "s")
    _seed(store)
    try:
        with store.transaction() as txn:
            READS[method](store.shard("x/1").table("t"))
            assert txn.pre == {}
    finally:
        store.close()


@pytest.mark.parametrize("crash", [True, False], ids=["crash", "clean close"])
@pytest.mark.parametrize("method", sorted(DB_WRITES))
def test_each_drop_is_recorded_and_stays_dropped(tmp_path, method, crash):
    """Before the fix the dropped documents came back on reopen, after a crash or not."""
    store = Store(tmp_path / "s")
    _seed(store)
    store.checkpoint()
    with store.transaction() as txn:
        DB_WRITES[method](store.shard("x/1").db)
        assert txn.pre, f"{method} did not go through the recording hook"
        expected = _contents(store)
    assert expected == ({"u": {1: {"b": 1}}} if method == "drop_table" else {})
    if crash:
        store.abandon()
    else:
        store.close()
    store = Store(tmp_path / "s")
    try:
        assert _contents(store) == expected
        # The dropped table is usable again, its ids starting afresh as in TinyDB.
        with store.transaction():
            assert store.shard("x/1").table("t").insert({"a": 7}) == 1
    finally:
        store.close()


@pytest.mark.parametrize("method", sorted(DB_WRITES))
def test_a_drop_outside_a_transaction_is_refused_and_drops_nothing(tmp_path, method):
    store = Store(tmp_path / "s")
    _seed(store)
    before = _contents(store)
    try:
        with pytest.raises(StoreError, match="outside a transaction"):
            DB_WRITES[method](store.shard("x/1").db)
        with pytest.raises(StoreError, match="outside a transaction"):
            store.shard("x/1").db.drop_table("no such table")
        assert _contents(store) == before
    finally:
        store.close()


def test_a_drop_rolled_back_leaves_the_table_whole(tmp_path):
    store = Store(tmp_path / "s")
    _seed(store)
    before = _contents(store)
    try:
        with pytest.raises(RuntimeError), store.transaction():
            store.shard("x/1").db.drop_tables()
            raise RuntimeError("the use case fails after the drop")
        assert _contents(store) == before
    finally:
        store.close()


def test_a_write_straight_to_storage_is_refused(tmp_path):
    """A path around the hook (a future TinyDB method, a caller of ``db.storage``) fails."""
    store = Store(tmp_path / "s")
    _seed(store)
    before = _contents(store)
    try:
        with store.transaction(), pytest.raises(StoreError, match="not through a table"):
            store.shard("x/1").db.storage.write({})
        assert _contents(store) == before
    finally:
        store.close()


@pytest.mark.parametrize(
    "write",
    [
        lambda t: t.insert([("a", 1)]),
        lambda t: t.insert("ab"),
        lambda t: t.insert(5),
        lambda t: t.insert_multiple([{"a": 8}, [("a", 1)]]),
    ],
    ids=["list of pairs", "str", "int", "one of many"],
)
def test_inserting_a_non_mapping_raises_tinydbs_value_error(tmp_path, write):
    store = Store(tmp_path / "s")
    _seed(store)
    before = _contents(store)
    try:
        with store.transaction(), pytest.raises(ValueError, match=r"^Document is not a Mapping$"):
            write(store.shard("x/1").table("t"))
        assert _contents(store) == before
    finally:
        store.close()
