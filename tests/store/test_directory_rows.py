"""The directory's rows in one buffer with a dict of changes (issue 16.4) behave as the
plain dict they replaced: every dossier's row is the one last put, whatever mix of
changes, removals and returns came since the buffer was built, and saving them
again gives the same rows."""

from __future__ import annotations

import random

from counter_tui.store.index.rows import Rows


def _check(rows: Rows, model: dict[str, bytes], uids: list[str]) -> None:
    assert len(rows) == len(model)
    assert sorted(rows) == sorted(model)
    assert dict(rows.items()) == model
    assert sorted(rows.values()) == sorted(model.values())
    for uid in uids:
        assert rows.get(uid) == model.get(uid)
        assert (uid in rows) == (uid in model)
    for pos, uid in enumerate(uids):
        assert rows.at(pos) == model.get(uid)
    newest = sorted(model.items(), key=lambda kv: kv[1].split(b"\t")[2], reverse=True)
    assert rows.largest(5, 2) == newest[:5]
    for needle in (b"ROW", b"-1", b"uid-00", b"\t"):
        expected = sorted(r.split(b"\t")[0] for r in model.values() if needle in r.split(b"\t")[0])
        assert sorted(rows.codes_with(needle)) == expected


def test_rows_in_a_buffer_answer_as_a_dict_through_changes_removals_and_returns():
    rng = random.Random(21)
    uids = [f"uid-{i:04d}" for i in range(400)]
    model = {u: f"ROW-{u[-2:]}\t{u}\t{rng.random()}".encode() for u in uids[:300]}
    rows = Rows.of(list(model), list(model.values()))
    numbered = list(model)  # the numbering the directory keeps (shared with the rows)
    rows._uids = numbered
    for step in range(3000):
        uid = rng.choice(uids)
        if step % 3 == 0:
            assert rows.pop(uid, None) == model.pop(uid, None)
        else:
            row = f"ROW-{step % 7}\t{uid}\t{step}".encode()
            if uid not in numbered:
                numbered.append(uid)
            rows[uid] = model[uid] = row
        if step % 500 == 0:
            _check(rows, model, numbered)
    _check(rows, model, numbered)
    assert not rows.unchanged

    # Saved with the changes beside the old buffer and read back: the same rows.
    buf, offs, index = rows.base()
    beside = Rows(numbered, buf, offs, index, dict(rows.changes))
    _check(beside, model, numbered)

    # Saved in one new buffer and read back: nothing pending, the same rows.
    saved_uids, buf, offs, index = rows.parts()
    again = Rows(saved_uids, buf, offs, index)
    assert again.unchanged
    _check(again, model, saved_uids)
    assert again.parts()[1] is buf  # unchanged: saved as it is, not copied


def test_a_removed_row_is_gone_and_can_come_back():
    rows = Rows.of(["a", "b"], [b"A\t1", b"B\t2"])
    assert rows.pop("a") == b"A\t1"
    assert "a" not in rows and rows.get("a") is None and rows.at(0) is None
    assert list(rows) == ["b"] and len(rows) == 1
    rows["a"] = b"A\t3"
    assert rows["a"] == b"A\t3" and rows.at(0) == b"A\t3"
    assert list(rows) == ["a", "b"] and len(rows) == 2
