"""Reading much of the cache at once (reports, the tracking book's restart) without keeping it.

A scan through the shard cache froze every shard it touched until the next GC sweep, and
inside a transaction, which never evicts, kept all of them: at 100k dossiers one receive
took 10 s and RSS went from 130 to 560 MB. Real files in a temp dir.
"""

from __future__ import annotations

import random

from counter_tui.store.dossiers import data_shard
from counter_tui.store.local import LocalStore
from tests.factories import dossier


def _seeded(path, n: int) -> list[dict]:
    store = LocalStore(path, background=False)
    rng = random.Random(5)
    docs = [dossier(rng, i) for i in range(n)]
    try:
        for d in docs:
            with store.transaction():
                store.dossiers.put(d)
    finally:
        store.close()
    return docs


def test_a_scan_reads_exactly_the_dossiers_asked_and_caches_none_of_their_shards(tmp_path):
    docs = _seeded(tmp_path / "c", 400)
    store = LocalStore(tmp_path / "c", background=False, cache_shards=8)
    try:
        cached_before = len(store.store._shards)
        summaries = store.dossiers.all_summaries()
        assert len({data_shard(s.shard_key) for s in summaries}) > 100  # many shards
        asked = summaries[::3]
        got = list(store.dossiers.of_summaries(asked))
        assert sorted(d["uid"] for d in got) == sorted(s.uid for s in asked)
        by_uid = {d["uid"]: d for d in docs}
        assert all(d == by_uid[d["uid"]] for d in got)  # as saved
        assert len(store.store._shards) == cached_before
    finally:
        store.close()


def test_a_scan_inside_a_transaction_sees_its_writes_and_caches_no_more(tmp_path):
    docs = _seeded(tmp_path / "c", 200)
    store = LocalStore(tmp_path / "c", background=False, cache_shards=8)
    try:
        changed = dict(docs[7], note="sửa trong giao dịch")
        with store.transaction():
            store.dossiers.put(changed)
            got = {d["uid"]: d for d in store.dossiers.of_summaries(store.dossiers.all_summaries())}
            assert len(store.store._shards) <= 8
        assert len(got) == 200
        assert got[changed["uid"]]["note"] == "sửa trong giao dịch"
    finally:
        store.close()


def test_lookups_keep_the_cached_documents_under_the_budget_whatever_the_store_size(tmp_path):
    # 256 cached shards held 25 MB of documents at 100k dossiers and 125 MB at 500k: the
    # cache is bounded by documents too, so a day of lookups costs the same at any size.
    docs = _seeded(tmp_path / "c", 400)
    store = LocalStore(tmp_path / "c", background=False, cache_docs=30)
    try:
        biggest = 0
        for d in docs:
            cid = d["applicant"]["citizen_id"]
            found = store.dossiers.of_citizen(cid)
            assert d["uid"] in [f["uid"] for f in found]
            cached = [sh for n, sh in store.store._shards.items() if n.startswith("d/")]
            held = sum(len(sh.data.get("dossiers", {})) for sh in cached)
            biggest = max(biggest, max(len(sh.data.get("dossiers", {})) for sh in cached))
            assert held <= 30 + biggest
        assert len(store.store._shards) < 200  # not one shard per dossier looked up
    finally:
        store.close()
