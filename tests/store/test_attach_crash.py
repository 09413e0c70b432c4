"""Kill the app mid-attach (SIGKILL at random moments): nothing half-there, nothing lost.

After each kill the cache is reopened: every attach acknowledged before the
kill is in the dossier and its bytes read back whole (hash checked); every
file a dossier names is held; no temporary file or unnamed blob is left.
"""

from __future__ import annotations

import hashlib
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
KILLS = 6


def _run_and_kill(path: Path, seed: int, delay: float, encrypted: bool) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if encrypted:
        env["CRASH_ENCRYPTED"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.store.attach_child", str(path), str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    acks: list[str] = []
    first = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            parts = line.split()
            if len(parts) == 2 and parts[0] == b"ACK":
                acks.append(parts[1].decode())
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


@pytest.mark.parametrize("encrypted", [False, True])
def test_kill_mid_attach_leaves_nothing_half_there_and_loses_nothing(tmp_path, encrypted):
    rng = random.Random(14)
    acked: list[str] = []
    cipher = Cipher(bytes(range(32))) if encrypted else None
    for kill in range(KILLS):
        acked += _run_and_kill(tmp_path, kill, rng.uniform(0.05, 0.6), encrypted)
        with LocalStore(tmp_path / "cache", background=False, cipher=cipher) as store:
            uid = store.meta.get("crash_uid")
            doc = store.dossiers.get(uid)
            named = [f["sha"] for item in doc["documents"] for f in item["files"]]
            assert set(acked) <= set(named), "an acknowledged attach was lost"
            held = {p.name for p in (tmp_path / "cache" / "files").rglob("*") if p.is_file()}
            assert held == set(named), "a temp file, an orphan, or a missing blob"
            for sha in named:
                assert hashlib.sha256(store.files.read(sha)).hexdigest() == sha
            assert {s for s, _ in store.files.pending_files()} == set(named)
    assert len(acked) >= KILLS  # the kills landed while attaching, not before
