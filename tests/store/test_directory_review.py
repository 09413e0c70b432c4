"""Found in a review of the compact directory (issue 16.4): what a clerk sees after the
store's own maintenance (a rebuild from the shards, a reopen) must not depend on the
order the dossiers happen to be numbered in."""

from __future__ import annotations

import random

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
            s.put_dossier(d)
    s.close()
    (tmp_path / "c" / INDEX_FILE).unlink()
    s = LocalStore(tmp_path / "c", background=False)
    try:
        newest = sorted((d["received_at"] for d in docs), reverse=True)
        for query in ("Nguyễn", "nguyen van", "Văn"):
            found, count = s.search_names(query, limit=10)
            assert [r.received_at for r in found] == newest[: len(found)], query
            assert len(found) == 10 and count >= 10
        found, _count = s.search_names("Nguyễn Văn Anh", limit=5)
        anh = sorted(
            (d["received_at"] for d in docs if d["applicant"]["full_name"] == "Nguyễn Văn Anh"),
            reverse=True,
        )
        assert [r.received_at for r in found] == anh[:5]  # exact matches, newest first
    finally:
        s.close()
