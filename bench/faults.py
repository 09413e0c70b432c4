"""A fault campaign against the counter's store, longer than CI allows (issue 11).

    python bench/faults.py --quick               # under 3 minutes (the suite runs this)
    python bench/faults.py --kills 1000          # the full campaign
    python bench/faults.py --kills 1000 --sync-ops 10000

Three parts:

1. **Kills.** A child process runs a clerk's day through the real ``Desk``:
   receives (with a code, an outbox operation and an audit entry) and actions
   on earlier dossiers, with checkpoints running constantly (tiny thresholds)
   and a thread reading shards all over the cache as sync does. It prints a
   line for each use case that returned (acknowledged) and for each that
   raised. The parent kills it with SIGKILL at a random moment, reopens the
   store and checks: every acknowledged receive and action is there (``lost``),
   no code issued twice and no operation queued twice (``duplicated``), the
   store opens (``unopenable``), and no use case that raised had in fact been
   saved (``false_errors``). A new directory every 50 kills keeps checks cheap.
2. **Damage matrix.** Every kind of file the store writes x flip a byte,
   truncate, delete, zero-fill (``tests/store/damage.py``): unsent operations
   lost, codes reused, writes blocked, notices.
3. **Disk full.** Writes refused part-way through a record, space freed, ten
   more acknowledged, killed before a checkpoint, reopened: all ten there.
   On a real 3 MB tmpfs where one can be mounted (root on Linux), else through
   the fault-injecting file layer of the tests.

Sync under faults is ``bench/faults_sync.py`` (``run(sync_ops, quick)``), if present;
otherwise its keys are reported as null.

Prints a table and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KILLS_PER_DIR = 50


# --- the child: a clerk's day, killed at random ------------------------------------------------


def child(path: str, seed: int) -> None:
    from counter_tui.config_files import catalog_path
    from counter_tui.domain.calendar import WorkCalendar
    from counter_tui.domain.catalog import load_catalog
    from counter_tui.domain.dossier import Applicant
    from counter_tui.domain.messages import DomainError
    from counter_tui.domain.status import Action
    from counter_tui.store.local import LocalStore
    from counter_tui.usecases.desk import Desk, Identity
    from tests.factories import citizen_id, name

    rng = random.Random(seed)
    store = LocalStore(
        path, background=False, flush_dirty=3, full_checkpoint_bytes=48 * 1024, cache_shards=16
    )
    store.store.start_background(interval=0.05)  # checkpoints all the time

    class Clock:  # a working day's morning, thirty seconds a call
        def __init__(self) -> None:
            self.now = datetime(2026, 11, 25, 8, 0)

        def __call__(self) -> datetime:
            self.now += timedelta(seconds=30)
            return self.now

    clock = Clock()
    desk = Desk(
        store,
        load_catalog(catalog_path()),
        WorkCalendar(),
        Identity("000.00.00.H56", "UBND xã Quảng Phú", "Q1", 1, "canbo01"),
        clock=clock,
    )
    stop = threading.Event()

    def reader() -> None:  # what the sync thread does meanwhile: read all over the cache
        r = random.Random(seed + 1)
        while not stop.is_set():
            names = store.store.shard_names("d/")
            if names:
                store.store.read_shard_uncached(r.choice(names))
            s = store.dossiers.recent(5)
            if s:
                store.dossiers.get(r.choice(s).uid)

    threading.Thread(target=reader, daemon=True).start()
    mine: list[tuple[str, int]] = []  # (uid, events) of dossiers this child can act on
    out = sys.stdout
    while True:
        if mine and rng.random() < 0.35:
            i = rng.randrange(len(mine))
            uid, events = mine[i]
            doc = store.dossiers.get(uid) or {}
            status = doc.get("status")
            action = Action.START_PROCESSING if status == 2 else Action.RESULT_READY
            if status not in (2, 3):
                mine.pop(i)
                continue
            try:
                desk.act(uid, action)
            except DomainError:
                mine.pop(i)
                continue
            except Exception as exc:
                out.write(f"ERR act {uid} {events + 1} {type(exc).__name__}\n")
                out.flush()
                mine.pop(i)
                continue
            mine[i] = (uid, events + 1)
            out.write(f"ACK act {uid} {events + 1}\n")
        else:
            d = desk.draft(
                "1.004873", Applicant(name(rng), citizen_id=citizen_id(rng), phone="0912345678")
            )
            for item in d.documents:
                item.received = True
            try:
                got = desk.receive(d)
            except DomainError:
                continue
            except Exception as exc:
                out.write(f"ERR receive {d.uid} 1 {type(exc).__name__}\n")
                out.flush()
                continue
            events = len(got.events)
            mine.append((got.uid, events))
            out.write(f"ACK receive {got.uid} {events} {got.code}\n")
        out.flush()


# --- the parent: kill and check ------------------------------------------------------------------


def _run_child(path: Path, seed: int, rng: random.Random) -> tuple[list[list[str]], str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(path), str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    lines: list[list[str]] = []
    first = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            parts = raw.decode().split()
            if parts and parts[0] in ("ACK", "ERR"):
                lines.append(parts)
                first.set()

    t = threading.Thread(target=read, daemon=True)
    t.start()
    if not first.wait(120):
        proc.kill()
        proc.wait()
        err = proc.stderr.read().decode() if proc.stderr else ""
        return lines, err or "no output"
    time.sleep(rng.uniform(0.05, 0.6))
    proc.send_signal(signal.SIGKILL)
    proc.wait(60)
    t.join(60)
    return lines, ""


def _check(path: Path, acked: dict[str, int], errs: list[list[str]]) -> dict[str, int]:
    from counter_tui.store.local import LocalStore

    out = {"lost": 0, "duplicated": 0, "unopenable": 0, "false_errors": 0}
    try:
        store = LocalStore(path, background=False)
    except Exception:
        out["unopenable"] = 1
        return out
    try:
        for uid, events in acked.items():
            doc = store.dossiers.get(uid)
            if doc is None or len(doc.get("events") or []) < events:
                out["lost"] += 1
        for parts in errs:
            _err, _kind, uid, events = parts[:4]
            doc = store.dossiers.get(uid)
            if doc is not None and len(doc.get("events") or []) >= int(events):
                out["false_errors"] += 1  # told it failed, yet it was saved
        ops = store.outbox.pending(limit=10**9)
        seqs = [int(o["seq"]) for o in ops]
        if seqs != list(range(1, store.outbox.last_seq() + 1)):
            out["duplicated"] += max(1, len(seqs) - len(set(seqs)))
        receives = [o.get("uid") for o in ops if o.get("type") == "dossier.create"]
        out["duplicated"] += len(receives) - len(set(receives))
        codes = [s.code for s in store.dossiers.all_summaries()]
        out["duplicated"] += len(codes) - len(set(codes))
    finally:
        store.close()
    return out


def kills(root: Path, n: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    totals = {"kills": 0, "acked": 0, "lost": 0, "duplicated": 0, "unopenable": 0}
    totals["false_errors"] = 0
    child_failures: list[str] = []
    acked: dict[str, int] = {}
    errs: list[list[str]] = []
    path = root / "kills-0"
    for k in range(n):
        if k and k % KILLS_PER_DIR == 0:
            path = root / f"kills-{k // KILLS_PER_DIR}"
            acked, errs = {}, []
        lines, failure = _run_child(path, seed * 100_000 + k, rng)
        if failure:
            child_failures.append(failure[-500:])
            totals["unopenable"] += 1
            continue
        for parts in lines:
            if parts[0] == "ACK":
                acked[parts[2]] = max(acked.get(parts[2], 0), int(parts[3]))
                totals["acked"] += 1
            else:
                errs.append(parts)
        got = _check(path, acked, errs)
        errs = []  # each error is judged once, right after its kill
        for key, v in got.items():
            totals[key] += v
        totals["kills"] += 1
        if (k + 1) % 50 == 0:  # progress, with the figures so far (a long run can be cut)
            print(f"  {k + 1} kills: {json.dumps(totals)}", file=sys.stderr)
    totals["child_failures"] = child_failures[:3]  # type: ignore[assignment]
    return totals


# --- damage matrix and disk full ----------------------------------------------------------------


def damage_matrix(root: Path) -> dict[str, Any]:
    from tests.store.damage import CASES, run_case

    rows = []
    for kind, dmg in CASES:
        o = run_case(root / "damage", kind, dmg)
        rows.append(o)
    return {
        "rows": rows,
        "damage_cases": len(rows),
        "damage_unsent_lost": sum(o.unsent_lost for o in rows),
        "damage_failed": [f"{o.kind}-{o.damage}: {o.problems}" for o in rows if not o.ok],
    }


def _tmpfs(where: Path) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if sys.platform != "linux" or os.geteuid() != 0:
        return False
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(where)], capture_output=True
    )
    return r.returncode == 0


def disk_full(root: Path) -> dict[str, Any]:
    """Refused writes, then ten acknowledged ones, a crash, a reopen: all ten there."""
    from counter_tui.store.engine.core import StoreError
    from counter_tui.store.local import LocalStore
    from tests.factories import dossier
    from tests.store.faulty_disk import FaultyDisk

    mnt = root / "mnt"
    real = _tmpfs(mnt)
    path = mnt / "c"
    rng = random.Random(11)
    refused = acked_after = 0
    store = LocalStore(path, background=False)
    docs = []

    def receive(d: dict[str, Any]) -> None:
        with store.transaction():
            store.dossiers.put(d)
            store.outbox.enqueue({"type": "dossier.create", "uid": d["uid"]})

    try:
        for i in range(5):
            receive(dossier(rng, i))
        filler = mnt / "filler"
        disk = FaultyDisk(path)
        real_write = os.write
        if real:
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
            for chunk in (65536, 4096, 1):
                with contextlib.suppress(OSError):
                    while True:
                        os.write(fd, b"\0" * chunk)
            os.close(fd)
        else:
            os.write = disk.write  # type: ignore[assignment]
            disk.fill(room=300)
        try:
            for i in range(3):
                try:
                    receive(dossier(rng, 100 + i))
                except StoreError:
                    refused += 1
        finally:
            os.write = real_write
        if real:
            filler.unlink()
        for i in range(10):
            d = dossier(rng, 200 + i)
            receive(d)
            docs.append(d)
            acked_after += 1
        store.abandon()
        store = LocalStore(path, background=False)
        present = sum(store.dossiers.by_code(d["code"]) == d for d in docs)
        false_notice = any("intact" in n.msg.en for n in store.notices)
        store.close()
    finally:
        with contextlib.suppress(Exception):
            store.abandon()
        if real:
            subprocess.run(["umount", "-l", str(mnt)], check=False)
    return {
        "disk": "tmpfs 3 MB" if real else "fault-injecting layer",
        "disk_refused": refused,
        "disk_acked_after": acked_after,
        "disk_lost": acked_after - present,
        "disk_false_notice": false_notice,
    }


def sync_part(sync_ops: int, quick: bool) -> dict[str, Any]:
    p = ROOT / "bench" / "faults_sync.py"
    none = {"sync_ops": None, "sync_lost": None, "sync_duplicated": None, "catchup_s": None}
    if not p.exists():
        return {**none, "sync_note": "bench/faults_sync.py not present: sync not run"}
    spec = importlib.util.spec_from_file_location("faults_sync", p)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up there
    spec.loader.exec_module(mod)
    got = mod.run(sync_ops, quick)
    return {k: got.get(k) for k in none}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--sync-ops", type=int, default=10_000)
    ap.add_argument("--quick", action="store_true", help="a short run (the suite uses it)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    n_kills = 15 if args.quick else args.kills
    sync_ops = 300 if args.quick else args.sync_ops
    root = Path(tempfile.mkdtemp(prefix="faults-"))
    t0 = time.perf_counter()
    try:
        k = kills(root, n_kills, args.seed)
        t_k = time.perf_counter()
        dm = damage_matrix(root)
        t_d = time.perf_counter()
        df = disk_full(root)
        t_f = time.perf_counter()
        sy = sync_part(sync_ops, args.quick)
        t_s = time.perf_counter()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print("part | runs | acknowledged | lost | duplicated | unopenable | false errors | s")
    print("--- | --- | --- | --- | --- | --- | --- | ---")
    print(
        f"SIGKILL during receives/actions | {k['kills']} | {k['acked']} | {k['lost']} | "
        f"{k['duplicated']} | {k['unopenable']} | {k['false_errors']} | {t_k - t0:.0f}"
    )
    print(
        f"damage matrix (file kind x damage) | {dm['damage_cases']} | - | "
        f"{dm['damage_unsent_lost']} unsent | - | - | - | {t_d - t_k:.0f}"
    )
    print(
        f"disk full ({df['disk']}) | {df['disk_refused']} refused | {df['disk_acked_after']} | "
        f"{df['disk_lost']} | - | - | - | {t_f - t_d:.0f}"
    )
    print(
        f"sync | {sy['sync_ops']} ops | - | {sy['sync_lost']} | {sy['sync_duplicated']} | - | - "
        f"| {t_s - t_f:.0f}"
    )
    print()
    print("damage case | problems | notices")
    print("--- | --- | ---")
    for o in dm["rows"]:
        print(f"{o.kind} / {o.damage} | {'; '.join(o.problems) or 'none'} | {', '.join(o.notices)}")
    if k.get("child_failures"):
        print("child failures:", *k["child_failures"], sep="\n", file=sys.stderr)
    if sy.get("sync_note"):
        print(f"note: {sy['sync_note']}")
    print(f"load average: {' '.join(load)}")
    result = {
        "kills": k["kills"],
        "acked": k["acked"],
        "lost": k["lost"] + df["disk_lost"],
        "duplicated": k["duplicated"],
        "unopenable": k["unopenable"],
        "false_errors": k["false_errors"],
        "damage_cases": dm["damage_cases"],
        "damage_unsent_lost": dm["damage_unsent_lost"],
        "sync_ops": sy["sync_ops"],
        "sync_lost": sy["sync_lost"],
        "sync_duplicated": sy["sync_duplicated"],
        "catchup_s": sy["catchup_s"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
