"""The directory's compact indexes (issue 16.4): sorted arrays of (key hash, position)
built after open, plus an overlay for what changed since.

What a clerk sees must not depend on which of the two holds an entry: lookups on a
directory saved, loaded and rebuilt, then changed, must answer exactly as one kept
live all along; entries a change made stale in the arrays must never show; and the
whole index must stay within a memory budget per dossier (half a million dossiers
on a counter PC: docs/benchmarks.md).
"""

from __future__ import annotations

import random
import threading
import tracemalloc
from datetime import date
from pathlib import Path

from counter_tui.store.index.directory import Directory
from counter_tui.store.index.packed import key_hash
from tests.factories import dossier


def _docs(rng: random.Random, n: int) -> list[dict]:
    docs = []
    for i in range(n):
        d = dossier(rng, i, cid=f"0010900{i % (n // 3):05d}")  # three dossiers a citizen
        d["applicant"]["phone"] = f"09{i % (n // 2):08d}"  # two a phone
        docs.append(d)
    return docs


def _reopen(d: Directory, path: Path, compact: bool = True) -> Directory:
    """Saved (in one new buffer, or with the changes beside the old one) and loaded."""
    d.save(path, 1, compact=compact)
    loaded = Directory.load(path)
    assert loaded is not None
    assert not loaded.secondary_ready.is_set()
    loaded.build_secondary(threading.RLock(), chunk=97)
    assert loaded.secondary_ready.is_set()
    return loaded


def _answers(d: Directory, docs: list[dict], codes: list[str]) -> dict:
    """Every lookup a clerk can make, as the clerk sees it."""
    out: dict = {}
    for code in codes:
        out["code", code] = d.uid_by_code(code)
        out["code lower", code] = d.uid_by_code(f"  {code.lower()} ")
    for doc in docs[::4]:
        a = doc["applicant"]
        found = d.by_phone_number(a["phone"])
        received = [s.received_at for s in found]
        assert received == sorted(received, reverse=True)  # newest first
        out["phone", a["phone"]] = sorted(s.uid for s in found)
        for digits in (a["citizen_id"][-6:], a["citizen_id"][:6], a["phone"][-7:]):
            results, count = d.search_part(digits, limit=10_000)
            out["part", digits] = (sorted(s.uid for s in results), count)
        words = a["full_name"].split()
        for q in (a["full_name"], words[-1][:2], f"{words[0]} {words[-1][:-1]}"):
            results, count = d.search_name(q, limit=10_000, count_cap=100_000)
            out["name", q] = (sorted(s.uid for s in results), count)
    for digits in ("10001", "010001", "11"):
        results, count = d.search_part(digits, limit=10_000)
        out["part", digits] = (sorted(s.uid for s in results), count)
    out["recent"] = [s.uid for s in d.recent(50)]
    out["open"] = {k: [s.uid for s in v] for k, v in d.open_lists(date(2026, 1, 20)).items()}
    out["highest"] = [d.highest_number(date(2026, 1, 5), slot) for slot in range(10)]
    out["count"] = len(d)
    out["summaries"] = {u: d.summary(u) for u in d.rows}
    assert sorted(d.summaries(), key=lambda s: s.uid) == sorted(
        out["summaries"].values(), key=lambda s: s.uid
    )
    return out


def _change(rng: random.Random, docs: list[dict], live: list[Directory]) -> list[str]:
    """Change, remove and bring back dossiers in every way a lookup depends on; returns
    the codes that were ever in use (old codes must stop answering)."""
    codes = [d["code"] for d in docs]
    removed: list[dict] = []
    for step in range(600):
        doc = rng.choice(docs)
        kind = step % 7
        if kind == 0:
            doc["applicant"]["phone"] = f"09{rng.randrange(10**8):08d}"
        elif kind == 1:
            doc["applicant"]["phone"] = rng.choice(docs)["applicant"]["phone"]  # now shared
        elif kind == 2:
            doc["applicant"]["citizen_id"] = rng.choice(docs)["applicant"]["citizen_id"]
        elif kind == 3:
            doc["code"] = doc["code"][:-5] + f"{rng.randrange(1, 9)}{rng.randrange(10**4):04d}"
            codes.append(doc["code"])
        elif kind == 4:
            doc["applicant"]["full_name"] = rng.choice(docs)["applicant"]["full_name"]
            doc["status"] = rng.choice([2, 4, 5, 9, 10])
        elif kind == 5:
            for d in live:
                d.put(doc["uid"], None)
            removed.append(doc)
            continue
        elif removed:
            doc = removed.pop(rng.randrange(len(removed)))  # back, as it was or changed
            doc["applicant"]["phone"] = rng.choice([doc["applicant"]["phone"], "0900000001"])
        for d in live:
            d.put(doc["uid"], doc, doc["applicant"]["citizen_id"])
    return codes


def test_after_changes_and_removals_the_arrays_answer_as_a_live_index(tmp_path):
    rng = random.Random(11)
    docs = _docs(rng, 600)
    live = Directory()  # all in the overlays, as a store filled by pulls
    for doc in docs:
        live.put(doc["uid"], doc, doc["applicant"]["citizen_id"])
    loaded = _reopen(live, tmp_path / "a.bin")  # all in the arrays
    codes = [d["code"] for d in docs]
    assert _answers(loaded, docs, codes) == _answers(live, docs, codes)

    codes = _change(rng, docs, [live, loaded])
    expected = _answers(live, docs, codes)
    assert _answers(loaded, docs, codes) == expected
    # Saved again, the changes beside the buffer or in a new one, and rebuilt: the same
    # answers once more (but the highest number of a day: a live directory also
    # remembers the numbers of codes changed or removed meanwhile, so as never to issue
    # them again).
    highest = expected.pop("highest")
    for compact in (False, True):
        again = _answers(_reopen(loaded, tmp_path / f"{compact}.bin", compact), docs, codes)
        assert all(a <= b for a, b in zip(again.pop("highest"), highest, strict=True))
        assert again == expected

    # Changed again after a load with changes beside the buffer: still the same answers.
    beside = _reopen(loaded, tmp_path / "c.bin", compact=False)
    codes = _change(rng, docs, [live, beside])
    expected = _answers(live, docs, codes)
    again = _answers(beside, docs, codes)
    assert all(a <= b for a, b in zip(again.pop("highest"), expected.pop("highest"), strict=True))
    assert again == expected


def test_a_stale_array_entry_never_answers_and_the_overlay_keeps_only_what_changed(tmp_path):
    rng = random.Random(12)
    docs = _docs(rng, 300)
    docs[7]["applicant"]["phone"] = "0987654321"  # its own, even in part
    d = Directory()
    for doc in docs:
        d.put(doc["uid"], doc, "k")
    d = _reopen(d, tmp_path / "i.bin")
    assert not d.by_code.extra and not d.by_phone.extra and not d.by_part.extra

    doc = docs[7]
    old_phone, old_code = doc["applicant"]["phone"], doc["code"]
    doc["applicant"]["phone"] = "0911222333"
    doc["code"] = old_code[:-5] + "99999"
    d.put(doc["uid"], doc, "k")
    assert doc["uid"] not in {s.uid for s in d.by_phone_number(old_phone)}
    assert [s.uid for s in d.by_phone_number("+84911222333")] == [doc["uid"]]
    assert d.uid_by_code(old_code) is None
    assert d.uid_by_code(doc["code"]) == doc["uid"]
    assert doc["uid"] not in {s.uid for s in d.search_part(old_phone[-6:])[0]}
    assert [s.uid for s in d.search_part("222333")[0]] == [doc["uid"]]
    # The overlay holds the new keys only; the old ones stay in the arrays, unused.
    assert set(d.by_phone.extra) == {key_hash("0911222333")}
    assert set(d.by_code.extra) == {key_hash(doc["code"])}

    # Back to the old phone: its array entry answers again, nothing added to the overlay.
    doc["applicant"]["phone"] = old_phone
    d.put(doc["uid"], doc, "k")
    assert doc["uid"] in {s.uid for s in d.by_phone_number(old_phone)}
    assert d.by_phone_number("0911222333") == []
    assert not d.by_phone.extra

    d.put(doc["uid"], None)
    assert d.uid_by_code(doc["code"]) is None
    assert doc["uid"] not in {s.uid for s in d.by_phone_number(old_phone)}
    assert doc["uid"] not in {s.uid for s in d.search_name(doc["applicant"]["full_name"])[0]}
    assert not d.by_code.extra and not d.by_phone.extra
    # Removed and put back: found again, once.
    d.put(doc["uid"], doc, "k")
    assert d.uid_by_code(doc["code"]) == doc["uid"]
    assert [s.uid for s in d.by_phone_number(old_phone)].count(doc["uid"]) == 1


def test_the_whole_index_costs_under_200_bytes_a_dossier_beside_its_text(tmp_path):
    rng = random.Random(13)
    docs = [dossier(rng, i) for i in range(4000)]
    d = Directory()
    for doc in docs:
        d.put(doc["uid"], doc, doc["applicant"]["citizen_id"])
    d.save(tmp_path / "i.bin", 1, compact=True)
    text = sum(len(r) for r in d.rows.values())  # the rows' own bytes
    uid_bytes = sum(len(u) + 49 for u in d.rows)  # the uid strings (an ASCII str: 49 + len)
    del d
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        loaded = Directory.load(tmp_path / "i.bin")
        assert loaded is not None
        loaded.build_secondary(threading.RLock(), chunk=1000)
        index = tracemalloc.get_traced_memory()[0] - before - text - uid_bytes
    finally:
        tracemalloc.stop()
    # Offsets, the numbering, the uid, code, phone and part arrays, about ten word
    # postings a dossier (4 bytes each) and the open list: measured 174 bytes. With a
    # bytes object a row in a dict, a dict and a str key per entry for code, phone and
    # part and lists of uids for the words (before issue 16.4) it was 696.
    per_dossier = index / len(docs)
    assert per_dossier < 200, per_dossier
    assert loaded.uid_by_code(docs[123]["code"]) == docs[123]["uid"]
