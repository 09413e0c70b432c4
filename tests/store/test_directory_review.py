"""Found in a review of the compact directory (issue 16.4): what a clerk sees after the
store's own maintenance (a rebuild from the shards, a reopen) must not depend on the
order the dossiers happen to be numbered in."""

from __future__ import annotations

import random
import threading
from datetime import date

from counter_tui.domain.codes import make_national_code
from counter_tui.store.index.directory import Directory
from counter_tui.store.local import INDEX_FILE, LocalStore
from tests.factories import dossier


def test_name_search_lists_the_newest_first_after_the_index_is_rebuilt(tmp_path):
    # A rebuild from the shards (damage, a format change) numbers the dossiers shard by
    # shard, not in the order they came: the list must still put today's first.
    rng = random.Random(21)
    docs = [dossier(rng, i) for i in range(120)]
    for d in docs:
        d["applicant"]["full_name"] = "Nguyễn Văn " + rng.choice(["An", "Anh", "Bình"])
    s = LocalStore(tmp_path / "c", background=False)
    with s.transaction():
        for d in docs:
            s.dossiers.put(d)
    s.close()
    (tmp_path / "c" / INDEX_FILE).unlink()
    s = LocalStore(tmp_path / "c", background=False)
    try:
        newest = sorted((d["received_at"] for d in docs), reverse=True)
        for query in ("Nguyễn", "nguyen van", "Văn"):
            found, count = s.dossiers.search_names(query, limit=10)
            assert [r.received_at for r in found] == newest[: len(found)], query
            assert len(found) == 10 and count >= 10
        found, _count = s.dossiers.search_names("Nguyễn Văn Anh", limit=5)
        anh = sorted(
            (d["received_at"] for d in docs if d["applicant"]["full_name"] == "Nguyễn Văn Anh"),
            reverse=True,
        )
        assert [r.received_at for r in found] == anh[:5]  # exact matches, newest first
    finally:
        s.close()


def test_part_of_a_number_shared_by_more_than_the_cap_still_lists_the_newest_first():
    # The first six digits of a citizen ID are the province, sex and birth year: at a
    # large office thousands of dossiers share them, more than the count's cap.
    rng = random.Random(22)
    docs = [dossier(rng, i, cid=f"00109{i % 2}{i:06d}") for i in range(300)]
    d = Directory()
    for doc in docs:  # numbered as they came, oldest first
        d.put(doc["uid"], doc, doc["applicant"]["citizen_id"])
    found, count = d.search_part("001090", limit=5, count_cap=40)
    newest = sorted(
        (x["received_at"] for x in docs if x["applicant"]["citizen_id"].startswith("001090")),
        reverse=True,
    )
    assert [s.received_at for s in found] == newest[:5]
    assert count == 40  # "more than 40"


def test_a_lost_code_counter_never_reissues_a_national_shape_code(tmp_path):
    # TT 04/2025 codes share the day's number sequence with office-shape ones; the
    # directory must see them too when the counter in m/meta is lost (here: its file
    # deleted after a full checkpoint, the log that held it already dropped).
    rng = random.Random(23)
    day, slot = date(2026, 11, 30), 3
    path = tmp_path / "c"
    s = LocalStore(path, background=False)
    issued = set()
    try:
        for i in range(3):
            with s.transaction():
                n = s.dossiers.next_code_number(day, slot)
                code = str(make_national_code("000.00.00.H56", day, "38", slot, n))
                s.dossiers.put(dict(dossier(rng, i), code=code))
            issued.add(code)
        s.checkpoint(full=True)
    finally:
        s.close()
    (path / "shards" / "m-meta.json").unlink()
    s = LocalStore(path, background=False)
    try:
        with s.transaction():
            n = s.dossiers.next_code_number(day, slot)
        assert str(make_national_code("000.00.00.H56", day, "38", slot, n)) not in issued
        assert n == 4
    finally:
        s.close()


def test_a_common_name_lists_the_newest_first_after_a_rebuild_even_past_the_cap():
    # More matches than the search's cap (1,000 in the app; 20 here): a rebuild from the
    # shards must still number the dossiers so that the newest are met first.
    rng = random.Random(24)
    docs = [dossier(rng, i) for i in range(200)]
    for doc in docs:
        doc["applicant"]["full_name"] = "Nguyễn Văn " + rng.choice(["An", "Anh", "Bình"])
    d = Directory()
    for doc in random.Random(1).sample(docs, len(docs)):  # shard by shard, not in time order
        d.put(doc["uid"], doc, doc["applicant"]["citizen_id"])
    d.compact()
    d.build_secondary(threading.RLock(), chunk=50)
    newest = sorted((x["received_at"] for x in docs), reverse=True)
    for query in ("Nguyễn", "nguyen van", "Văn"):
        found, count = d.search_name(query, limit=5, count_cap=20)
        assert [s.received_at for s in found] == newest[:5], query
        assert count == 20
