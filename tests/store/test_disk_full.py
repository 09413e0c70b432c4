"""A full disk refuses writes cleanly and never costs an acknowledged operation (issue 11.1).

Two ways to fill the disk: a fault-injecting file layer (``faulty_disk``: the
write stores what fits, then fails with ENOSPC), always; and a real 3 MB tmpfs,
where the test may mount one (root on Linux), else that test is skipped.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from counter_tui.store.engine.core import StoreError
from counter_tui.store.local import LocalStore
from tests.factories import dossier
from tests.store.faulty_disk import faulty_disk


def receive(store: LocalStore, doc: dict) -> None:
    with store.transaction():
        store.dossiers.put(doc)
        store.outbox.enqueue({"type": "dossier.create", "uid": doc["uid"]})


def test_refused_writes_leave_the_log_as_it_was_and_later_writes_survive_a_crash(
    tmp_path, monkeypatch
):
    path = tmp_path / "c"
    rng = random.Random(5)
    store = LocalStore(path, background=False)
    first = [dossier(rng, i) for i in range(5)]
    for d in first:
        receive(store, d)
    log = next(path.glob("log-*.wal"))
    size = log.stat().st_size
    refused = [dossier(rng, 100 + i) for i in range(3)]
    later = [dossier(rng, 200 + i) for i in range(10)]
    with faulty_disk(path, monkeypatch) as disk:
        disk.fill(room=300)  # the first refused record is cut short part-way through
        for d in refused:
            with pytest.raises(StoreError) as info:
                receive(store, d)
            assert "Không ghi được xuống đĩa" in info.value.msg.vi
        assert log.stat().st_size == size  # no partial record left behind
        assert store.outbox.pending_count() == 5  # and nothing changed in memory
        disk.free()
        for d in later:
            receive(store, d)
    store.abandon()  # killed before any checkpoint
    store = LocalStore(path, background=False)
    try:
        assert [n.code for n in store.notices] == []  # nothing damaged, nothing to claim
        assert all(store.dossiers.by_code(d["code"]) == d for d in first + later)
        assert all(store.dossiers.summary(d["uid"]) is None for d in refused)
        assert store.outbox.pending_count() == 15
        assert [o["uid"] for o in store.outbox.pending(limit=100)] == [
            d["uid"] for d in first + later
        ]
    finally:
        store.close()


def test_a_failed_append_whose_cut_back_also_failed_is_cut_before_the_next(tmp_path, monkeypatch):
    """If even truncating fails, the next append cuts the partial record off first."""
    path = tmp_path / "c"
    rng = random.Random(6)
    store = LocalStore(path, background=False)
    receive(store, dossier(rng, 1))
    with faulty_disk(path, monkeypatch) as disk:
        disk.fill(room=200)
        real_truncate = os.ftruncate
        monkeypatch.setattr(os, "ftruncate", lambda fd, n: (_ for _ in ()).throw(OSError(5, "EIO")))
        with pytest.raises(StoreError):
            receive(store, dossier(rng, 2))
        monkeypatch.setattr(os, "ftruncate", real_truncate)
        disk.free()
    kept = dossier(rng, 3)
    receive(store, kept)
    store.abandon()
    store = LocalStore(path, background=False)
    try:
        assert store.notices == []
        assert store.dossiers.by_code(kept["code"]) == kept
        assert store.outbox.pending_count() == 2
    finally:
        store.close()


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str = "3m"):
    where.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    out = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {out.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill_up(path: Path) -> Path:
    filler = path / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * chunk)
    finally:
        os.close(fd)
    return filler


@pytest.mark.skipif(sys.platform == "win32", reason="tmpfs")
def test_a_store_on_a_full_3mb_disk_opens_and_says_so(tmp_path):
    with small_tmpfs(tmp_path / "mnt") as mnt:
        path = mnt / "c"
        rng = random.Random(8)
        store = LocalStore(path, background=False)
        docs = [dossier(rng, i) for i in range(20)]
        for d in docs:
            receive(store, d)
        store.abandon()
        log = next(path.glob("log-*.wal"))
        torn = b'3f2a1b0c {"t":21,"w":[["d/0001","dossi'
        with open(log, "ab") as fh:  # a crash mid-write left a torn record
            fh.write(torn)
        filler = fill_up(mnt)
        store = LocalStore(path, background=False)  # opens with no free space at all
        try:
            assert [n.code for n in store.notices] == ["log.damaged_tail"]
            assert "đĩa đầy" in store.notices[0].msg.vi
            assert "Every acknowledged operation is intact" in store.notices[0].msg.en
            assert all(store.dossiers.by_code(d["code"]) == d for d in docs)
            with pytest.raises(StoreError):
                receive(store, dossier(rng, 50))
            filler.unlink()
            extra = dossier(rng, 51)
            receive(store, extra)
        finally:
            store.abandon()
        store = LocalStore(path, background=False)
        try:
            assert store.notices == []
            assert store.outbox.pending_count() == 21
            assert store.dossiers.by_code(extra["code"]) == extra
            side = list(path.glob("log-*.wal.damaged-*"))
            assert [p.read_bytes() for p in side] == [torn]
        finally:
            store.close()
