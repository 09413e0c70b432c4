"""The citizen-ID lookup lists a citizen's dossiers in one order whichever way it is
answered: from the citizen's shard before the background indexes are built, from the
directory after. Dossiers received at the same moment (or not received yet: no time at
all, as online submissions pulled before the counter takes them) used to come in the
shard table's order before the build and in the reverse of the directory's numbering
after it, so the list the clerk was looking at changed order by itself a few seconds
after the open, and a cut at ``limit`` could show other dossiers (and the hand-over,
which reads the shard, listed them in yet another order than the lookup)."""

from __future__ import annotations

import random

from counter_tui.store.local import LocalStore
from tests.factories import dossier
from tests.support.stores import seed


def _citizen_with_ties(path, received: list[str]) -> str:
    rng = random.Random(5)
    cid = "079204001234"
    docs = [dossier(rng, i, cid=cid) for i in range(len(received))]
    for d, at in zip(docs, received, strict=True):
        d["received_at"] = at
    seed(path, docs)
    return cid


def _both_ways(path, cid: str) -> tuple[list[str], list[str]]:
    store = LocalStore(path, background=False, build_indexes=False)
    try:
        assert not store.directory.secondary_ready.is_set()
        early = [s.uid for s in store.dossiers.citizen_summaries(cid)]
        assert store.dossiers.wait_indexes()
        late = [s.uid for s in store.dossiers.citizen_summaries(cid)]
        # The hand-over lists the citizen's dossiers from the shard: in the same order.
        assert [d["uid"] for d in store.dossiers.of_citizen(cid)] == late
    finally:
        store.close()
    return early, late


def test_dossiers_received_at_the_same_moment_keep_their_order_once_indexed(tmp_path):
    at = "2026-01-05T08:00:00"
    cid = _citizen_with_ties(tmp_path / "c", [at, at, at, "2026-01-06T09:00:00"])
    early, late = _both_ways(tmp_path / "c", cid)
    assert len(early) == 4
    assert late == early


def test_dossiers_not_received_yet_keep_their_order_once_indexed(tmp_path):
    cid = _citizen_with_ties(tmp_path / "c", ["", "", "2026-01-05T08:00:00"])
    early, late = _both_ways(tmp_path / "c", cid)
    assert len(early) == 3
    assert late == early
