"""The part index (lookup by the last digits of a code, citizen ID or phone) at scale.

At 500,000 dossiers half of its 720,000 keys are held by one dossier; keeping a
one-item list for each was 32 MB of a counter's memory (docs/benchmarks.md, RSS
at 500k). A key held by one dossier now holds the bare uid. These tests check
what the clerk sees through the lookup as dossiers come, change and go, and
that the index stays within its memory budget.
"""

from __future__ import annotations

import random
import threading

from counter_tui.store.index.directory import Directory
from counter_tui.store.index.packed import key_hash
from tests.factories import dossier


def _doc(rng: random.Random, i: int, cid: str, phone: str) -> dict:
    d = dossier(rng, i, cid=cid)
    d["applicant"]["phone"] = phone
    return d


def _found(d: Directory, digits: str) -> set[str]:
    results, _count = d.search_part(digits)
    return {s.uid for s in results}


def test_a_number_part_is_found_as_dossiers_share_it_change_and_go():
    rng = random.Random(3)
    d = Directory()
    a = _doc(rng, 1, "001090000001", "0912345678")
    b = _doc(rng, 2, "001090000002", "0987345678")  # same last 6 of the phone
    d.put(a["uid"], a, "k")
    assert _found(d, "345678") == {a["uid"]}
    d.put(b["uid"], b, "k")
    assert _found(d, "345678") == {a["uid"], b["uid"]}
    b["applicant"]["phone"] = "0987000111"
    d.put(b["uid"], b, "k")
    assert _found(d, "345678") == {a["uid"]}
    assert _found(d, "000111") == {b["uid"]}
    d.put(a["uid"], None)
    assert _found(d, "345678") == set()
    assert _found(d, "000001") == set()  # a's citizen ID tail went with it
    assert _found(d, "000002") == {b["uid"]}
    # Nothing is kept for a key nobody holds any more.
    assert key_hash("345678") not in d.by_part.extra
    assert key_hash("000001") not in d.by_part.extra


def test_the_index_rebuilt_after_open_finds_what_the_live_one_found(tmp_path):
    rng = random.Random(5)
    live = Directory()
    docs = [_doc(rng, i, f"0010900{i:05d}", f"09{i % 700:08d}") for i in range(2000)]
    for doc in docs:
        live.put(doc["uid"], doc, "k")
    live.save(tmp_path / "index.bin", 1)
    loaded = Directory.load(tmp_path / "index.bin")
    assert loaded is not None
    loaded.build_secondary(threading.RLock(), chunk=300)
    for digits in ("000123", "00000123", "001090", "10005", "0000000699"):
        assert _found(loaded, digits) == _found(live, digits), digits
    assert len(_found(loaded, "001090")) == 50  # a citizen ID's first 6: one page, capped


def test_the_part_index_costs_under_40_bytes_a_dossier_when_numbers_are_unique(tmp_path):
    rng = random.Random(7)
    docs = [_doc(rng, i, f"{i:012d}", f"09{i + 50_000_000:08d}") for i in range(5000)]
    d = Directory()
    for doc in docs:
        d.put(doc["uid"], doc, "k")
    d.save(tmp_path / "index.bin", 1)
    fresh = Directory.load(tmp_path / "index.bin")
    assert fresh is not None
    fresh.build_secondary(threading.RLock(), chunk=1000)
    # Four keys a dossier (code, citizen ID tail and head, phone tail), most unique here:
    # 8 bytes a key in the sorted array (159 bytes a dossier with a dict of bare uids,
    # 335 with a one-item list per key), and nothing in the overlay after a build.
    assert not fresh.by_part.extra
    assert fresh.by_part.nbytes() / len(docs) < 40
    assert _found(fresh, f"{4321:06d}") == _found(d, f"{4321:06d}") != set()
