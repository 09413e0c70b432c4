"""Scanned files in the cache: durable, checked on read, encrypted, orphans cleaned, budget."""

from __future__ import annotations

import hashlib
import os

import pytest

from counter_tui.store.engine.cipher import Cipher
from counter_tui.store.engine.errors import StoreError
from counter_tui.store.local import LocalStore
from counter_tui.store.scans import SEGMENT, FileDamaged


def _blob(n: int, seed: int = 1) -> bytes:
    return hashlib.sha256(b"%d" % seed).digest() * (n // 32) + b"x" * (n % 32)


def test_put_then_register_is_read_back_whole_and_in_chunks(tmp_path):
    data = _blob(SEGMENT * 2 + 100)
    with LocalStore(tmp_path / "c", background=False) as store:
        sha = store.files.put(data)
        assert sha == hashlib.sha256(data).hexdigest()
        with store.transaction():
            store.files.register(sha, len(data), "2026-11-25T09:00:00")
        assert store.files.pending_files() == [(sha, len(data))]
    with LocalStore(tmp_path / "c", background=False) as store:
        assert store.files.read(sha) == data
        assert (
            store.files.read_file_chunk(sha, SEGMENT - 10, 30) == data[SEGMENT - 10 : SEGMENT + 20]
        )
        assert store.files.read_file_chunk(sha, len(data) - 5, 100) == data[-5:]
        store.files.file_acknowledged(sha)
        assert store.files.pending_files() == []


def test_encrypted_cache_seals_each_file_and_reads_chunks(tmp_path):
    cipher = Cipher(bytes(range(32)))
    data = _blob(SEGMENT * 3 + 7, seed=2)
    with LocalStore(tmp_path / "c", background=False, cipher=cipher) as store:
        sha = store.files.put(data)
        with store.transaction():
            store.files.register(sha, len(data), "t")
        raw = store.files.path_of(sha).read_bytes()
        assert data[:4096] not in raw  # nothing of the scan in clear on the disk
        got = store.files.read_file_chunk(sha, 2 * SEGMENT + 1, SEGMENT)
        assert got == data[2 * SEGMENT + 1 : 3 * SEGMENT + 1]
        assert store.files.read_file_chunk(sha, 3 * SEGMENT, 100) == data[3 * SEGMENT :]
        assert store.files.read(sha) == data


@pytest.mark.parametrize("encrypted", [False, True])
def test_a_changed_byte_is_found_on_read_never_handed_on(tmp_path, encrypted):
    cipher = Cipher(bytes(range(32))) if encrypted else None
    data = _blob(5000, seed=3)
    with LocalStore(tmp_path / "c", background=False, cipher=cipher) as store:
        sha = store.files.put(data)
        with store.transaction():
            store.files.register(sha, len(data), "t")
    p = tmp_path / "c" / "files" / sha[:2] / sha
    raw = bytearray(p.read_bytes())
    raw[100] ^= 1
    p.write_bytes(bytes(raw))
    with LocalStore(tmp_path / "c", background=False, cipher=cipher) as store:
        with pytest.raises(FileDamaged) as info:
            store.files.read_file_chunk(sha, 0, 10)
        assert "bị hỏng" in info.value.msg.vi


def test_an_orphan_of_a_crash_and_temp_files_are_removed_at_open(tmp_path):
    with LocalStore(tmp_path / "c", background=False) as store:
        kept = store.files.put(_blob(300, seed=4))
        with store.transaction():
            store.files.register(kept, 300, "t")
        orphan = store.files.put(_blob(300, seed=5))  # the commit never came
        tmp = store.files.path_of(orphan).with_name(orphan + ".tmp-1-abcd")
        tmp.write_bytes(b"half")
    with LocalStore(tmp_path / "c", background=False) as store:
        left = sorted(p.name for p in (tmp_path / "c" / "files").rglob("*") if p.is_file())
        assert left == [kept]
        assert store.files.read(kept) == _blob(300, seed=4)


def test_budget_warns_before_it_fills_evicts_acknowledged_then_refuses(tmp_path):
    with LocalStore(tmp_path / "c", background=False) as store:
        store.files.budget_bytes = 10_000
        shas = []
        for i in range(4):
            sha = store.files.put(_blob(2_000, seed=10 + i))
            with store.transaction():
                store.files.register(sha, 2_000, "t")
            shas.append(sha)
        u = store.files.usage()
        assert (u.held_bytes, u.waiting_files, u.waiting_bytes) == (8_000, 4, 8_000)
        assert u.warning is not None and "80%" in u.warning.vi
        with pytest.raises(StoreError) as info:
            store.files.put(_blob(3_000, seed=20))  # nothing acknowledged: nothing to evict
        assert "Hết chỗ lưu bản số hóa" in info.value.msg.vi
        store.files.file_acknowledged(shas[0])
        store.files.file_acknowledged(shas[1])
        sha = store.files.put(_blob(3_000, seed=20))
        assert not store.files.path_of(shas[0]).exists()  # the oldest acknowledged went
        assert store.files.path_of(shas[1]).exists()
        assert os.path.exists(store.files.path_of(sha))
        with pytest.raises(StoreError):
            store.files.read(shas[0])


def test_a_damaged_record_list_never_deletes_a_blob_it_may_have_named(tmp_path):
    with LocalStore(tmp_path / "c", background=False) as store:
        shas = []
        for i in range(2):
            sha = store.files.put(_blob(700, seed=30 + i))
            with store.transaction():
                store.files.register(sha, 700, "t")
            shas.append(sha)
        store.checkpoint(full=True)  # the records now live in the shard file alone
        shard = store.store.shard_file("m/files")
    shard.write_bytes(b"\x00garbage")
    with LocalStore(tmp_path / "c", background=False) as store:
        assert any(d.shard == "m/files" for d in store.store.damaged)
        assert sorted(s for s, _ in store.files.pending_files()) == sorted(shas)
        assert all(store.files.read(s) == _blob(700, seed=30 + i) for i, s in enumerate(shas))


def test_an_evicted_file_is_restored_from_the_centres_bytes_only_if_they_match(tmp_path):
    with LocalStore(tmp_path / "c", background=False) as store:
        data = _blob(900, seed=40)
        sha = store.files.put(data)
        with store.transaction():
            store.files.register(sha, 900, "t")
        store.files.file_acknowledged(sha)
        store.files.evict(1)
        assert store.files.evicted(sha)
        with pytest.raises(FileDamaged):
            store.files.restore(sha, data[:-1] + b"?")
        store.files.restore(sha, data)
        assert not store.files.evicted(sha) and store.files.read(sha) == data
        assert store.files.pending_files() == []  # the centre has it: not sent again


@pytest.mark.parametrize("encrypted", [False, True])
def test_a_file_scanned_again_replaces_a_damaged_copy_of_the_same_length(tmp_path, encrypted):
    # The clerk scans a document the cache already holds, but the held copy has a changed
    # byte: the new, good bytes must be kept, not thrown away for the damaged copy.
    cipher = Cipher(bytes(range(32))) if encrypted else None
    data = _blob(5000, seed=50)
    with LocalStore(tmp_path / "c", background=False, cipher=cipher) as store:
        sha = store.files.put(data)
        with store.transaction():
            store.files.register(sha, len(data), "t")
        p = store.files.path_of(sha)
        raw = bytearray(p.read_bytes())
        raw[100] ^= 1
        p.write_bytes(bytes(raw))
        assert store.files.put(data) == sha
        assert store.files.read(sha) == data


def test_an_acknowledged_file_evicted_between_scan_and_save_is_said_to_be_at_the_centre(
    tmp_path,
):
    # A scan the cache already holds (acknowledged) is prepared again for a new dossier;
    # before that dossier is saved, another scan needs the room and evicts it. The saved
    # record must say the file is at the centre (so opening it fetches it back), not that
    # the counter holds bytes it deleted.
    with LocalStore(tmp_path / "c", background=False) as store:
        store.files.budget_bytes = 3_000
        old = _blob(2_000, seed=60)
        sha = store.files.put(old)
        with store.transaction():
            store.files.register(sha, 2_000, "t")
        store.files.file_acknowledged(sha)
        assert store.files.put(old) == sha  # prepared again: already held
        store.files.put(_blob(2_000, seed=61))  # needs the room: the old one is evicted
        with store.transaction():
            store.files.register(sha, 2_000, "t2")  # the new dossier is saved
        assert store.files.evicted(sha)


@pytest.mark.parametrize("encrypted", [False, True])
def test_a_byte_changed_after_a_first_check_is_still_found_when_the_scan_is_opened(
    tmp_path, encrypted
):
    # Bit rot keeps the file's size and modification time: the check the uploader's
    # chunk reads rely on must not let a damaged copy go to the clerk's viewer.
    cipher = Cipher(bytes(range(32))) if encrypted else None
    data = _blob(5000, seed=70)
    with LocalStore(tmp_path / "c", background=False, cipher=cipher) as store:
        sha = store.files.put(data)
        with store.transaction():
            store.files.register(sha, len(data), "t")
        assert store.files.read(sha) == data
        p = store.files.path_of(sha)
        st = p.stat()
        raw = bytearray(p.read_bytes())
        raw[-100] ^= 1
        p.write_bytes(bytes(raw))
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
        with pytest.raises(FileDamaged):
            store.files.read(sha)
