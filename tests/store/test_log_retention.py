"""Log segments are the second copy of unsent work: kept until acknowledged, within a bound."""

from __future__ import annotations

import random

from counter_tui.store.local import LocalStore
from tests.factories import dossier


def _receive(store: LocalStore, rng: random.Random, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        d = dossier(rng, i)
        with store.transaction():
            store.dossiers.put(d)
            store.outbox.enqueue({"type": "dossier.create", "uid": d["uid"]})


def test_segments_with_unsent_operations_stay_until_acknowledged(tmp_path):
    path = tmp_path / "c"
    rng = random.Random(1)
    store = LocalStore(path, background=False)
    try:
        _receive(store, rng, 30)
        first = sorted(p.name for p in path.glob("log-*.wal"))
        store.checkpoint(full=True)
        store.checkpoint(full=True)
        kept = sorted(p.name for p in path.glob("log-*.wal"))
        assert set(first) <= set(kept)  # ops 1-30 are unsent: their segment stays
        store.outbox.ack_through(30)
        store.checkpoint(full=True)
        assert not set(first) & {p.name for p in path.glob("log-*.wal")}
    finally:
        store.close()


def test_a_counter_that_never_syncs_keeps_a_bounded_log(tmp_path):
    path = tmp_path / "c"
    rng = random.Random(2)
    store = LocalStore(path, background=False, keep_log_bytes=64 * 1024)
    try:
        for round_ in range(6):
            _receive(store, rng, 40, start=round_ * 40)
            store.checkpoint(full=True)
        old = [p for p in path.glob("log-*.wal") if p != store.store._log.path]
        assert sum(p.stat().st_size for p in old) <= 64 * 1024
        assert store.outbox.pending_count() == 240  # the outbox itself keeps everything
    finally:
        store.close()
