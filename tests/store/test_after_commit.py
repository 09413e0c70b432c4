"""Nothing after a durable commit reports failure: a saved transaction is never an error.

Issue 11.3: while the sync thread loaded shards, a receive's ``transaction()``
counted dirty shards outside the lock and raised ``OrderedDict mutated during
iteration`` after the commit was already durable, so the clerk was told a
saved dossier had failed.
"""

from __future__ import annotations

import random
import threading

from counter_tui.store.local import LocalStore
from tests.factories import dossier


def test_shard_loads_in_another_thread_never_fail_a_committed_transaction(tmp_path):
    path = tmp_path / "c"
    store = LocalStore(path, background=False, cache_shards=8, flush_dirty=10**6)
    rng = random.Random(11)
    # Files on disk for the loader to pull in and the LRU to push out.
    for i in range(300):
        with store.transaction():
            store.dossiers.put(dossier(rng, i))
    store.checkpoint(full=True)
    names = store.store.shard_names("d/")
    stop = threading.Event()
    loader_errors: list[BaseException] = []

    def loader() -> None:  # what the sync thread does: read dossiers all over the cache
        k = 0
        while not stop.is_set():
            try:
                store.store.read_shard_uncached(names[k % len(names)])
                with store.store.lock:
                    store.store.shard(names[(k * 7) % len(names)])
                    store.store._evict()
            except BaseException as exc:  # pragma: no cover - reported below
                loader_errors.append(exc)
                return
            k += 1

    t = threading.Thread(target=loader, daemon=True)
    t.start()
    committed: list[dict] = []
    failures: list[BaseException] = []
    try:
        for i in range(1500):
            doc = dossier(rng, 10_000 + i)
            try:
                with store.transaction():
                    store.dossiers.put(doc)
                    store.outbox.enqueue({"type": "dossier.create", "uid": doc["uid"]})
            except BaseException as exc:
                failures.append(exc)
            else:
                committed.append(doc)
    finally:
        stop.set()
        t.join(30)
    assert failures == []
    assert loader_errors == []
    store.abandon()  # as a crash: what was acknowledged must come back from the log
    store = LocalStore(path, background=False)
    try:
        assert store.outbox.pending_count() == 1500
        assert all(store.dossiers.by_code(d["code"]) is not None for d in committed)
    finally:
        store.close()


def test_a_failing_index_listener_does_not_undo_or_fail_a_durable_commit(tmp_path):
    store = LocalStore(tmp_path / "c", background=False)
    try:

        def broken(*_args: object) -> None:
            raise RuntimeError("index bug")

        store.store.on_change(broken)
        doc = dossier(random.Random(1), 1)
        with store.transaction():
            store.dossiers.put(doc)
            store.outbox.enqueue({"type": "dossier.create", "uid": doc["uid"]})
        assert store.dossiers.by_code(doc["code"]) is not None
        assert store.outbox.pending_count() == 1
    finally:
        store.close()
