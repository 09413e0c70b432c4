"""Crash tests: a writer killed with SIGKILL at random moments loses nothing it acknowledged.

The writer runs in a child process (``crash_child.py``) with checkpoints
running constantly, so kills also land inside checkpoints (compaction).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from counter_tui.store.engine.cipher import Cipher
from counter_tui.store.local import LocalStore

ROOT = Path(__file__).resolve().parents[2]
KILLS = 50


def _run_and_kill(
    path: Path, seed: int, delay: float, encrypted: bool = False
) -> list[tuple[str, int]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if encrypted:
        env["CRASH_ENCRYPTED"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.store.crash_child", str(path), str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    acks: list[tuple[str, int]] = []
    first = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            parts = line.split()
            if len(parts) == 3 and parts[0] == b"ACK":
                acks.append((parts[1].decode(), int(parts[2])))
                first.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    if not first.wait(60):
        proc.kill()
        raise AssertionError(proc.stderr.read().decode() if proc.stderr else "no output")
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    t.join(30)
    return acks


def _check(path: Path, acked: dict[str, int], cipher: Cipher | None = None) -> None:
    store = LocalStore(path, background=False, cipher=cipher)
    try:
        # every acknowledged write is there
        for uid, rev in acked.items():
            doc = store.dossiers.get(uid)
            assert doc is not None, f"acknowledged dossier {uid} lost"
            assert doc["rev"] >= rev, f"{uid}: rev {doc['rev']} < acknowledged {rev}"
        # nothing half there: each dossier's revision has its outbox entry, and vice versa
        latest: dict[str, int] = {}
        ops = store.outbox.pending(limit=10**9)
        assert [o["seq"] for o in ops] == list(range(1, store.outbox.last_seq() + 1))
        for op in ops:
            latest[op["uid"]] = max(latest.get(op["uid"], 0), op["rev"])
        assert store.dossiers.count() == len(latest)
        for uid, rev in latest.items():
            assert store.dossiers.get(uid)["rev"] == rev
    finally:
        store.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_fifty_kills_lose_no_acknowledged_write(tmp_path):
    path = tmp_path / "cache"
    rng = random.Random(2026)
    acked: dict[str, int] = {}
    for k in range(KILLS):
        for uid, rev in _run_and_kill(path, k + 1, rng.uniform(0.05, 0.6)):
            acked[uid] = max(acked.get(uid, 0), rev)
        _check(path, acked)
    assert len(acked) > KILLS  # the children really wrote between kills


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kills_with_the_cache_encrypted_lose_no_acknowledged_write(tmp_path):
    """The sealed log and shards recover the same way: a torn sealed line is a torn line."""
    path = tmp_path / "cache"
    rng = random.Random(7)
    acked: dict[str, int] = {}
    key = Cipher(bytes(range(32)))  # the key crash_child uses
    for k in range(15):
        for uid, rev in _run_and_kill(path, k + 1, rng.uniform(0.05, 0.6), encrypted=True):
            acked[uid] = max(acked.get(uid, 0), rev)
        _check(path, acked, key)
    assert len(acked) > 15
    raw = b"".join(p.read_bytes() for p in path.rglob("*") if p.is_file())
    assert b"full_name" not in raw  # sealed throughout, after all that recovery
