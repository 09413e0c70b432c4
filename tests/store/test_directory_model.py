"""The directory against a plain dict of dossiers (review of issue 16.4): random
changes, removals, returns, saves (compact or not), loads, rebuilds and background
builds with writes landing between the builder's chunks and before its swap; every
lookup a clerk can make (code, citizen ID, phone, part of a number, name) must answer
from the dict's truth."""

from __future__ import annotations

import copy
import random
import threading
from datetime import date

import pytest

from counter_tui.store.index.directory import Directory
from counter_tui.store.index.row_format import code_digits, normalize_phone
from tests.factories import dossier


class HookLock:
    """A real RLock that runs a hook each time the builder lets go of it."""

    def __init__(self, hook):
        self.l = threading.RLock()
        self.hook = hook

    def __enter__(self):
        self.l.acquire()
        return self

    def __exit__(self, *a):
        self.l.release()
        self.hook()


def check(d, model, ever_codes, tag):
    assert len(d) == len(model), (tag, len(d), len(model))
    for uid, doc in model.items():
        s = d.summary(uid)
        assert s is not None, (tag, "summary", uid)
        assert s.code == doc["code"]
        assert d.uid_by_code(doc["code"]) == uid, (tag, "code", uid, doc["code"])
        ph = normalize_phone(doc["applicant"]["phone"])
        want = {u for u, x in model.items() if normalize_phone(x["applicant"]["phone"]) == ph}
        got = [s.uid for s in d.by_phone_number(ph)]
        assert sorted(got) == sorted(want), (tag, "phone", uid)
        cid = doc["applicant"]["citizen_id"]
        want_c = [u for u, x in model.items() if x["applicant"]["citizen_id"] == cid]
        got_c = d.by_citizen_id(cid)
        assert sorted(s.uid for s in got_c) == sorted(want_c), (tag, "citizen", uid)
        at = [s.received_at for s in got_c]
        assert at == sorted(at, reverse=True), (tag, "citizen order", cid)
        for digits in (cid[-6:], cid[:6], ph[-7:], code_digits(doc["code"])[-5:]):
            res, n = d.search_part(digits, limit=10**6, count_cap=10**6)
            assert uid in {s.uid for s in res}, (tag, "part", digits, uid)
        res, n = d.search_name(doc["applicant"]["full_name"], limit=10**6, count_cap=10**6)
        assert uid in {s.uid for s in res}, (tag, "name", uid)
        for s2 in res:
            assert s2.uid in model, (tag, "name ghost")
    for code in ever_codes:
        u = d.uid_by_code(code)
        if u is not None:
            assert model[u]["code"] == code, (tag, "code wrong")
        else:
            assert all(x["code"] != code for x in model.values()), (tag, "code lost", code)
    # highest
    for x in model.values():
        c = x["code"]
        day = c.split("-")[-2]
        tail = c.split("-")[-1]
        slot, n = int(tail[:-4]), int(tail[-4:])
        h = d.highest_number(date(2000 + int(day[:2]), int(day[2:4]), int(day[4:])), slot)
        assert h >= n, (tag, "highest", c, h)
    rec = d.recent(50)
    want = sorted((x["received_at"] for x in model.values()), reverse=True)[:50]
    assert [s.received_at for s in rec] == want, (tag, "recent")


def run(seed, tmp_path, steps=300, n=120):
    rng = random.Random(seed)
    docs = [dossier(rng, i) for i in range(n)]
    pool = {d["uid"]: d for d in docs}
    model = {}
    ever = set()
    d = Directory()
    tmp = tmp_path

    def mutate():
        doc = rng.choice(list(pool.values()))
        k = rng.randrange(8)
        if k == 0 and doc["uid"] in model:
            d.put(doc["uid"], None)
            del model[doc["uid"]]
            return
        doc = copy.deepcopy(doc)
        if k == 1:
            doc["applicant"]["phone"] = rng.choice([x["applicant"]["phone"] for x in pool.values()])
        if k == 2:
            doc["applicant"]["citizen_id"] = rng.choice(
                [x["applicant"]["citizen_id"] for x in pool.values()]
            )
        if k == 3:
            doc["code"] = doc["code"][:-5] + f"{rng.randrange(1, 9)}{rng.randrange(1, 10**4):04d}"
            if any(x["code"] == doc["code"] for u, x in model.items() if u != doc["uid"]):
                return
        if k == 4:
            doc["applicant"]["full_name"] = rng.choice(
                [x["applicant"]["full_name"] for x in pool.values()]
            )
        if k == 5:
            doc["status"] = rng.choice([2, 4, 5, 9, 10])
        if k == 6:
            doc["received_at"] = rng.choice([x["received_at"] for x in pool.values()])
        if any(x["code"] == doc["code"] for u, x in model.items() if u != doc["uid"]):
            return
        pool[doc["uid"]] = doc
        model[doc["uid"]] = doc
        ever.add(doc["code"])
        d.put(doc["uid"], doc, doc["applicant"]["citizen_id"])

    for i in range(steps):
        r = rng.random()
        if r < 0.85:
            mutate()
        elif r < 0.9:
            d.recent(rng.choice([10, 50, 300]))
            for day in {x["code"].split("-")[-2] for x in model.values()}:
                d.highest_number(date(2000 + int(day[:2]), int(day[2:4]), int(day[4:])), 1)
        elif r < 0.93:
            d.compact()
            lk = HookLock(lambda: [mutate() for _ in range(rng.randrange(3))])
            d.build_secondary(lk, chunk=rng.choice([1, 7, 50]))
            check(d, model, ever, (seed, i, "compacted"))
        else:
            compact = rng.choice([True, False, None])
            d.save(tmp / "i.bin", i, compact=compact)
            d2 = Directory.load(tmp / "i.bin")
            assert d2 is not None
            if rng.random() < 0.5:
                d2.build_secondary(threading.RLock(), chunk=rng.choice([1, 7, 50]))
            else:
                # puts between chunks and before the swap
                d = d2
                lk = HookLock(lambda: [mutate() for _ in range(rng.randrange(3))])
                d2.build_secondary(lk, chunk=rng.choice([1, 7, 50]))
            d = d2
            check(d, model, ever, (seed, i, "reload", compact))
        if i % 50 == 0:
            check(d, model, ever, (seed, i))
    check(d, model, ever, (seed, "end"))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_lookup_answers_as_the_dossiers_after_random_changes_saves_and_builds(seed, tmp_path):
    run(seed, tmp_path)
