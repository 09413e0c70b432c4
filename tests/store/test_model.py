"""Property test: random operations on the store and on a plain dict model agree,
across reopen (clean and after a simulated crash) and checkpoints (compaction)."""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from counter_tui.domain.text import fold
from counter_tui.store.local import LocalStore
from tests.factories import dossier

CIDS = ["001203012345", "079185000001", "031090123456", "038301000777"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn An", "Đặng Thị Ánh"]


class StoreVsModel(RuleBasedStateMachine):
    uids = Bundle("uids")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        self.store = LocalStore(self.dir / "c", background=False, flush_dirty=2, cache_shards=4)
        self.model: dict[str, dict] = {}
        self.ops = 0
        self.meta: dict[str, int] = {}
        self.rng = random.Random(0)
        self.n = 0

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @rule(target=uids, cid=st.sampled_from([*CIDS, None]), name=st.sampled_from(NAMES))
    def create(self, cid, name):
        self.n += 1
        d = dossier(self.rng, self.n)
        d["applicant"]["citizen_id"] = cid
        d["applicant"]["full_name"] = name
        with self.store.transaction():
            self.store.dossiers.put(d)
            self.store.outbox.enqueue({"type": "create", "uid": d["uid"]})
        self.model[d["uid"]] = d
        self.ops += 1
        return d["uid"]

    @rule(
        uid=uids,
        status=st.sampled_from([2, 4, 5, 9, 10]),
        cid=st.sampled_from([*CIDS, None]),
        name=st.sampled_from(NAMES),
    )
    def update(self, uid, status, cid, name):
        d = dict(self.model[uid])
        d["status"] = status
        d["applicant"] = dict(d["applicant"], citizen_id=cid, full_name=name)
        with self.store.transaction():
            self.store.dossiers.put(d)
            self.store.outbox.enqueue({"type": "patch", "uid": uid})
        self.model[uid] = d
        self.ops += 1

    @rule(key=st.sampled_from(["a", "b"]), value=st.integers(0, 100))
    def set_meta(self, key, value):
        self.store.meta.set(key, value)
        self.meta[key] = value

    @rule(full=st.booleans())
    def checkpoint(self, full):
        self.store.checkpoint(full=full)

    @rule()
    def reopen(self):
        self.store.close()
        self.store = LocalStore(self.dir / "c", background=False, flush_dirty=2, cache_shards=4)

    @rule()
    def crash_and_reopen(self):
        self.store.abandon()
        self.store = LocalStore(self.dir / "c", background=False, flush_dirty=2, cache_shards=4)
        assert self.store.notices == []

    @rule(uid=uids)
    def lookups_agree(self, uid):
        d = self.model[uid]
        assert self.store.dossiers.get(uid) == d
        assert self.store.dossiers.by_code(d["code"])["uid"] in {
            u for u, x in self.model.items() if x["code"] == d["code"]
        }
        cid = d["applicant"]["citizen_id"]
        if cid:
            got = sorted(x["uid"] for x in self.store.dossiers.of_citizen(cid))
            want = sorted(u for u, x in self.model.items() if x["applicant"]["citizen_id"] == cid)
            assert got == want

    @rule(name=st.sampled_from(NAMES))
    def name_search_agrees(self, name):
        got = {s.uid for s in self.store.dossiers.search_names(name, limit=10_000)[0]}
        want = {u for u, x in self.model.items() if fold(x["applicant"]["full_name"]) == fold(name)}
        assert got == want

    @invariant()
    def counts_agree(self):
        assert self.store.dossiers.count() == len(self.model)
        assert self.store.outbox.pending_count() == self.ops
        for k, v in self.meta.items():
            assert self.store.meta.get(k) == v


StoreVsModel.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestStoreVsModel = StoreVsModel.TestCase
