"""The lookup by citizen ID answers from the directory, without reading the citizen's shard.

A shard holds 1/4,096 of the store, so reading one for every ID typed grew with the
store (issue 16.4: p99 1.1-1.6 ms at 500,000). Once the background indexes are built
the answer comes from the rows; before that, from the shard, the same answer. Real
files in a temp dir; shard reads are counted where the store reads a shard from disk.
"""

from __future__ import annotations

import copy
import random

from counter_tui.store.local import LocalStore
from tests.factories import dossier
from tests.support.stores import count_shard_reads, seed


def _seeded(path, n: int) -> list[dict]:
    rng = random.Random(11)
    docs = [dossier(rng, i) for i in range(n)]
    # Some citizens with several dossiers, received on different days.
    for i in range(0, n, 10):
        for j in (1, 2):
            docs[i + j]["applicant"]["citizen_id"] = docs[i]["applicant"]["citizen_id"]
    seed(path, docs)
    return docs


def _expected(docs: list[dict], cid: str) -> list[str]:
    mine = [d for d in docs if d["applicant"]["citizen_id"] == cid]
    return [d["uid"] for d in sorted(mine, key=lambda d: d["received_at"], reverse=True)]


def test_a_citizen_id_is_answered_from_the_index_with_no_shard_read(tmp_path):
    docs = _seeded(tmp_path / "c", 300)
    store = LocalStore(tmp_path / "c", background=False, cache_shards=4)
    try:
        assert store.dossiers.wait_indexes()
        reads = count_shard_reads(store)
        for cid in {d["applicant"]["citizen_id"] for d in docs}:
            got = store.dossiers.citizen_summaries(cid)
            assert [s.uid for s in got] == _expected(docs, cid)
            assert all(s.citizen_id == cid for s in got)
        assert reads == []
        assert store.dossiers.citizen_summaries("001099000000") == []
    finally:
        store.close()


def test_before_the_index_is_built_the_shard_gives_the_same_answer(tmp_path):
    docs = _seeded(tmp_path / "c", 120)
    # build_indexes=False: else the build starts in the constructor and may be done (its
    # thread raced the assert below; with a handful of dossiers it wins).
    store = LocalStore(tmp_path / "c", background=False, build_indexes=False)
    try:
        assert not store.directory.secondary_ready.is_set()  # built only when asked
        cid = docs[10]["applicant"]["citizen_id"]
        early = store.dossiers.citizen_summaries(cid)
        assert [s.uid for s in early] == _expected(docs, cid)
        assert store.dossiers.wait_indexes()
        assert store.dossiers.citizen_summaries(cid) == early
    finally:
        store.close()


def test_a_receive_and_a_corrected_citizen_id_show_at_once(tmp_path):
    docs = _seeded(tmp_path / "c", 60)
    store = LocalStore(tmp_path / "c", background=False)
    try:
        assert store.dossiers.wait_indexes()
        old_cid = docs[20]["applicant"]["citizen_id"]
        new_cid = "079204001234"
        fixed = copy.deepcopy(docs[21])
        fixed["applicant"]["citizen_id"] = new_cid
        with store.transaction():
            store.dossiers.put(fixed)
        docs[21] = fixed
        assert [s.uid for s in store.dossiers.citizen_summaries(new_cid)] == [fixed["uid"]]
        assert [s.uid for s in store.dossiers.citizen_summaries(old_cid)] == _expected(
            docs, old_cid
        )
        assert fixed["uid"] not in [s.uid for s in store.dossiers.citizen_summaries(old_cid)]
        fresh = dossier(random.Random(3), 999)
        fresh["applicant"]["citizen_id"] = old_cid
        with store.transaction():
            store.dossiers.put(fresh)
        docs.append(fresh)
        assert [s.uid for s in store.dossiers.citizen_summaries(old_cid)] == _expected(
            docs, old_cid
        )
    finally:
        store.close()
    # And after a reopen (the index is derived again from the saved rows).
    store = LocalStore(tmp_path / "c", background=False)
    try:
        assert store.dossiers.wait_indexes()
        assert [s.uid for s in store.dossiers.citizen_summaries(old_cid)] == _expected(
            docs, old_cid
        )
        assert [s.uid for s in store.dossiers.citizen_summaries(new_cid)] == [fixed["uid"]]
    finally:
        store.close()
