"""The local store: lookups, copies, transactions, reopen, damage and the lock (real files)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import date

import pytest

from counter_tui.store.engine.core import StoreError
from counter_tui.store.engine.lock import StoreLockedError
from counter_tui.store.local import LocalStore
from tests.factories import dossier


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "cache", background=False)
    yield s
    s.close()


def seed(store: LocalStore, n: int, seed: int = 1, start: int = 0) -> list[dict]:
    rng = random.Random(seed)
    docs = [dossier(rng, i) for i in range(start, start + n)]
    for d in docs:
        with store.transaction():
            store.dossiers.put(d)
            store.outbox.enqueue({"type": "dossier.create", "uid": d["uid"]})
    return docs


def test_lookups_by_every_key(store):
    docs = seed(store, 300)
    d = docs[123]
    assert store.dossiers.by_code(d["code"])["uid"] == d["uid"]
    assert d["uid"] in [x["uid"] for x in store.dossiers.of_citizen(d["applicant"]["citizen_id"])]
    assert d["uid"] in [s.uid for s in store.dossiers.by_phone(d["applicant"]["phone"])]
    # +84 form of the same phone number finds it too
    assert d["uid"] in [s.uid for s in store.dossiers.by_phone("+84" + d["applicant"]["phone"][1:])]
    from counter_tui.domain.text import fold

    results, count = store.dossiers.search_names(fold(d["applicant"]["full_name"]), limit=500)
    assert d["uid"] in [s.uid for s in results]
    expected = sum(
        fold(x["applicant"]["full_name"]) == fold(d["applicant"]["full_name"]) for x in docs
    )
    assert count >= expected
    assert all(fold(s.name).startswith(fold(d["applicant"]["full_name"])) for s in results)


def test_name_search_ignores_diacritics_and_case(store):
    seed(store, 50)
    doc = dossier(random.Random(9), 999)
    doc["applicant"]["full_name"] = "Đặng Thị Ánh Tuyết"
    with store.transaction():
        store.dossiers.put(doc)
    for q in ("dang thi anh tuyet", "ĐẶNG THỊ ÁNH TUYẾT", "Đặng Thị Ánh Tuy", "anh tuyet"):
        assert doc["uid"] in [s.uid for s in store.dossiers.search_names(q)[0]], q
    assert store.dossiers.search_names("dang thi anh x")[0] == []


def test_open_lists_follow_status_changes(store):
    rng = random.Random(3)
    ready = dossier(rng, 1, status=9)
    supp = dossier(rng, 2, status=5)
    due = dossier(rng, 3, status=2)
    due["due_at"] = "2026-11-28T17:00:00"
    late = dossier(rng, 4, status=4)
    late["due_at"] = "2026-11-20T17:00:00"
    done = dossier(rng, 5, status=10)
    for d in (ready, supp, due, late, done):
        with store.transaction():
            store.dossiers.put(d)
    lists = store.dossiers.open_lists(date(2026, 11, 28))
    assert [s.uid for s in lists["ready"]] == [ready["uid"]]
    assert [s.uid for s in lists["awaiting_supplement"]] == [supp["uid"]]
    assert [s.uid for s in lists["due_today"]] == [due["uid"]]
    assert [s.uid for s in lists["overdue"]] == [late["uid"]]
    ready["status"] = 10
    with store.transaction():
        store.dossiers.put(ready)
    assert store.dossiers.open_lists(date(2026, 11, 28))["ready"] == []


def test_results_are_copies(store):
    d = seed(store, 5)[2]
    got = store.dossiers.by_code(d["code"])
    got["applicant"]["full_name"] = "changed"
    got["documents"].clear()
    again = store.dossiers.by_code(d["code"])
    assert again["applicant"]["full_name"] == d["applicant"]["full_name"]
    assert len(again["documents"]) == len(d["documents"])
    # and the caller's object written in is not aliased either
    d["applicant"]["full_name"] = "caller changed it"
    assert store.dossiers.by_code(d["code"])["applicant"]["full_name"] != "caller changed it"


def test_a_failed_transaction_changes_nothing(store):
    d = seed(store, 3)[0]
    before = store.dossiers.by_code(d["code"])
    pending = store.outbox.pending_count()
    bad = dict(before, status=4, note=object())  # not JSON: refused before anything is written
    with pytest.raises(TypeError), store.transaction():
        store.dossiers.put(bad)
        store.outbox.enqueue({"type": "x"})
    assert store.dossiers.by_code(d["code"]) == before
    assert store.outbox.pending_count() == pending
    with pytest.raises(RuntimeError), store.transaction():
        store.dossiers.put(dict(before, status=9))
        raise RuntimeError("clerk pressed Esc mid-way")
    assert store.dossiers.by_code(d["code"])["status"] == before["status"]


def test_changing_the_citizen_id_moves_the_dossier(store):
    d = seed(store, 3)[1]
    old = d["applicant"]["citizen_id"]
    d["applicant"]["citizen_id"] = "079185000001"
    with store.transaction():
        store.dossiers.put(d)
    assert store.dossiers.of_citizen(old) == []
    assert [x["uid"] for x in store.dossiers.of_citizen("079185000001")] == [d["uid"]]
    assert store.dossiers.by_code(d["code"])["applicant"]["citizen_id"] == "079185000001"


def test_everything_survives_reopen_with_and_without_checkpoint(tmp_path):
    path = tmp_path / "c"
    s = LocalStore(path, background=False)
    docs = seed(s, 200)
    s.checkpoint(full=True)
    more = seed(s, 50, seed=2, start=200)
    s.abandon()  # as a crash: no final checkpoint
    s = LocalStore(path, background=False)
    assert s.dossiers.count() == 250
    assert s.outbox.pending_count() == 250
    for d in docs[::17] + more[::7]:
        assert s.dossiers.by_code(d["code"]) == d
    s.close()
    s = LocalStore(path, background=False)
    assert s.dossiers.count() == 250
    s.close()


def test_outbox_acks_and_rejections(store):
    seed(store, 4)
    ops = store.outbox.pending()
    assert [o["seq"] for o in ops] == [1, 2, 3, 4]
    store.outbox.ack(
        [
            {"seq": 1, "status": "applied"},
            {"seq": 2, "status": "rejected", "reason": "Hồ sơ chưa có kết quả"},
        ]
    )
    assert store.outbox.pending_count() == 2
    assert [o["seq"] for o in store.outbox.pending()] == [3, 4]
    rejected = store.outbox.rejected()
    assert [(r["seq"], r["result"]["reason"]) for r in rejected] == [(2, "Hồ sơ chưa có kết quả")]
    store.outbox.resolve_rejected(2, "đã gọi điện cho công dân")
    assert store.outbox.rejected() == []
    store.outbox.ack_through(4)
    assert store.outbox.pending_count() == 0


def test_audit_entries_are_chained(store):
    for i in range(3):
        with store.transaction():
            store.audit.append({"action": "receive", "actor": "canbo01", "n": i})
    entries = store.audit.entries()
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[1]["prev"] == entries[0]["hash"] and entries[2]["prev"] == entries[1]["hash"]


def test_torn_and_zero_filled_log_tails_are_quarantined(tmp_path):
    for garbage in (b'3f2a1b0c {"t":99,"w":[["d/0001","dossi', b"\x00" * 4096):
        path = tmp_path / f"c{len(garbage)}"
        s = LocalStore(path, background=False)
        docs = seed(s, 20)
        s.abandon()
        log = next(path.glob("log-*.wal"))
        with open(log, "ab") as fh:
            fh.write(garbage)
        s = LocalStore(path, background=False)
        assert [n.code for n in s.notices] == ["log.damaged_tail"]
        assert "mất điện" in s.notices[0].msg.vi
        assert s.dossiers.count() == 20 and s.outbox.pending_count() == 20
        assert all(s.dossiers.by_code(d["code"]) == d for d in docs)
        side = list(path.glob("log-*.wal.damaged-*"))
        assert len(side) == 1 and side[0].read_bytes() == garbage
        s.close()


def test_truncated_shard_file_is_detected_on_open(tmp_path):
    path = tmp_path / "c"
    s = LocalStore(path, background=False)
    docs = seed(s, 40)
    s.close()
    victim = max((path / "shards").glob("d-*.json"), key=lambda p: p.stat().st_size)
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    s = LocalStore(path, background=False)
    codes = [n.code for n in s.notices]
    assert "shard.damaged" in codes
    assert any(n.needs_resync for n in s.notices)
    assert list((path / "shards").glob(victim.name + ".damaged-*"))
    # the rest is still there
    assert sum(s.dossiers.by_code(d["code"]) is not None for d in docs) >= 30
    s.close()


def test_an_index_saved_by_an_earlier_version_is_rebuilt_and_not_called_damaged(tmp_path):
    import marshal
    import zlib

    path = tmp_path / "c"
    s = LocalStore(path, background=False)
    docs = seed(s, 40)
    s.close()
    # The format of the version before the compact directory (CTDIR2): a marshalled tuple.
    payload = marshal.dumps((0, {}, {}, {}), 4)
    (path / "index.bin").write_bytes(b"CTDIR2\n" + b"%08x\n" % zlib.crc32(payload) + payload)
    s = LocalStore(path, background=False)
    assert [n.code for n in s.notices] == ["index.upgraded"]
    assert "phiên bản mới" in s.notices[0].msg.vi and "hỏng" not in s.notices[0].msg.vi
    assert all(s.dossiers.by_code(d["code"])["uid"] == d["uid"] for d in docs)
    s.close()


def test_damaged_index_is_rebuilt(tmp_path):
    path = tmp_path / "c"
    s = LocalStore(path, background=False)
    docs = seed(s, 60)
    s.close()
    idx = path / "index.bin"
    raw = bytearray(idx.read_bytes())
    raw[-10] ^= 0xFF
    idx.write_bytes(bytes(raw))
    s = LocalStore(path, background=False)
    assert [n.code for n in s.notices] == ["index.rebuilt"]
    assert all(s.dossiers.by_code(d["code"])["uid"] == d["uid"] for d in docs)
    s.close()


def test_a_second_process_on_the_same_directory_is_refused(tmp_path):
    path = tmp_path / "c"
    s = LocalStore(path, background=False)
    code = (
        "import sys\nfrom counter_tui.store.local import LocalStore\n"
        "from counter_tui.store.engine.lock import StoreLockedError\n"
        f"try:\n    LocalStore({str(path)!r})\nexcept StoreLockedError as e:\n"
        "    print(e.msg.vi); sys.exit(3)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 3
    assert f"pid {os.getpid()}" in out.stdout
    assert "đang được dùng" in out.stdout
    s.close()
    # once released, it opens
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0


def test_same_process_second_open_is_refused_too(tmp_path):
    s = LocalStore(tmp_path / "c", background=False)
    with pytest.raises(StoreLockedError):
        LocalStore(tmp_path / "c", background=False)
    s.close()


def test_write_after_close_is_refused(tmp_path):
    s = LocalStore(tmp_path / "c", background=False)
    s.close()
    with pytest.raises(StoreError), s.transaction():
        pass


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_files_are_owner_only(tmp_path):
    s = LocalStore(tmp_path / "c", background=False)
    seed(s, 3)
    s.close()
    for p in [tmp_path / "c", *(tmp_path / "c").rglob("*")]:
        mode = p.stat().st_mode & 0o777
        assert mode & 0o077 == 0, (p, oct(mode))


def test_a_cache_from_a_newer_version_is_refused(tmp_path):
    s = LocalStore(tmp_path / "c", background=False)
    seed(s, 2)
    s.close()
    manifest = tmp_path / "c" / "manifest.json"
    import orjson

    m = orjson.loads(manifest.read_bytes())
    m["format"] = 99
    manifest.write_bytes(orjson.dumps(m))
    with pytest.raises(StoreError) as info:
        LocalStore(tmp_path / "c", background=False)
    assert "phiên bản mới hơn" in info.value.msg.vi


def test_data_directory_comes_from_env_then_settings_then_platform(tmp_path, monkeypatch):
    from counter_tui.store.paths import ENV_VAR, data_dir

    monkeypatch.delenv(ENV_VAR, raising=False)
    assert data_dir(str(tmp_path / "cfg")) == tmp_path / "cfg"
    assert "counter-tui" in str(data_dir(None))
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert data_dir(str(tmp_path / "cfg")) == tmp_path / "env"


def test_audit_chain_verifies_and_a_tampered_entry_is_found(tmp_path):
    import orjson

    path = tmp_path / "c"
    s = LocalStore(path, background=False)
    for i in range(5):
        with s.transaction():
            s.audit.append({"action": "receive", "actor": "canbo01", "n": i})
    assert s.audit.verify() == (5, None)
    s.close()
    # edit entry 3 in the file, as someone with access to the disk might
    shard = path / "shards" / "a-000000.json"
    data = orjson.loads(shard.read_bytes())
    for doc in data["events"].values():
        if doc["seq"] == 3:
            doc["actor"] = "someone-else"
    shard.write_bytes(orjson.dumps(data))
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "counter_tui.cli", "--lang=en", "audit", "verify", "--data", path],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "after 2 good entries" in out.stdout and "entry 3" in out.stdout
