"""Benchmark of the local store against stock TinyDB, at several sizes.

    python bench/store.py                      # N = 10k, 100k, 500k
    python bench/store.py --sizes 10000,100000
    python bench/store.py --encrypt            # the same with encrypt_cache on

Builds a store of N realistic dossiers (Vietnamese names and addresses, 2-4
document items, history; about 1.2 KB each) through the store's own API,
then measures in a fresh process (so RSS is the store's, not the builder's):
open time, RSS after open, durable write (dossier + outbox entry, fsync'd),
lookups by citizen ID and by code (whole dossiers, as opening one reads them, and
"rows": the result rows the lookup screen shows), name search, the open-dossier lists.
Stock TinyDB (JSONStorage) is measured at 10k and 100k in the same run, and
SQLite (WAL, synchronous=FULL, the same documents, code and citizen ID indexed)
at every size, in a fresh process too: the anchor the issue's targets are set against.
Prints two tables, then one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.factories import dossier  # noqa: E402

OUT = ROOT / "bench" / "out"
STOCK_SIZES = {10_000, 100_000}


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def p50_p99(name: str, values: list[float]) -> dict[str, float]:
    """``{name}_p50_ms`` and ``{name}_p99_ms`` of ``values`` (milliseconds), rounded."""
    return {
        f"{name}_p50_ms": round(statistics.median(values), 3),
        f"{name}_p99_ms": round(pct(values, 99), 3),
    }


def pair(r: dict, name: str, digits: int = 2) -> str:
    """ "p50 / p99" of ``name`` in a result row."""
    return f"{r[name + '_p50_ms']:.{digits}f} / {r[name + '_p99_ms']:.{digits}f}"


def print_table(head: tuple[str, ...], lines: list[list[str]]) -> None:
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for line in lines:
        print(" | ".join(line))


def measured(flag: str, path: Path, n: int) -> dict:
    """The JSON line of this script run with ``flag`` in a fresh process."""
    out = subprocess.run(
        [sys.executable, __file__, flag, str(path), str(n)],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
    )
    result: dict = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_cipher():
    """With --encrypt (passed to the measuring process as BENCH_ENCRYPT): a fixed test key."""
    if not os.environ.get("BENCH_ENCRYPT"):
        return None
    from counter_tui.store.engine.cipher import Cipher

    return Cipher(b"\x01" * 32)


def build(path: Path, n: int) -> None:
    from counter_tui.store.local import LocalStore

    rng = random.Random(n)
    store = LocalStore(
        path,
        background=False,
        flush_dirty=10**9,
        full_checkpoint_bytes=1 << 62,
        cipher=bench_cipher(),
    )
    batch = 20_000
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        with store.transaction():
            for i in range(start, min(n, start + batch)):
                st = 10 if rng.random() < 0.93 else rng.choice([2, 4, 5, 9])
                d = dossier(rng, i, status=st)
                store.dossiers.put(d)
        store.checkpoint(full=False)
        print(
            f"  built {min(n, start + batch):>7,} / {n:,}  ({time.perf_counter() - t0:.0f} s)",
            file=sys.stderr,
        )
    store.close()


def measure(path: Path, n: int) -> dict:
    """Run in a fresh process: open, then time writes and lookups."""
    import gc

    from counter_tui.domain.text import fold
    from counter_tui.store.local import LocalStore

    gc.collect()
    t0 = time.perf_counter()
    store = LocalStore(path, background=True, cipher=bench_cipher())
    open_s = time.perf_counter() - t0
    store.dossiers.wait_indexes()
    ready_s = time.perf_counter() - t0  # phone and name indexes built in the background
    rss = rss_mb()
    rng = random.Random(7)
    uids = list(store.directory.rows)
    sample = [store.dossiers.summary(rng.choice(uids)) for _ in range(1000)]

    code_ms, cid_ms, name_ms, write_ms = [], [], [], []
    # What the lookup screen waits for: the result rows (summaries), not whole dossiers.
    code_row_ms, cid_row_ms = [], []
    for s in sample:
        t = time.perf_counter()
        found = store.dossiers.summary_by_code(s.code)
        code_row_ms.append((time.perf_counter() - t) * 1000)
        assert found is not None and found.uid == s.uid
    for s in sample:
        t = time.perf_counter()
        rows = store.dossiers.citizen_summaries(s.citizen_id)
        cid_row_ms.append((time.perf_counter() - t) * 1000)
        assert s.uid in [r.uid for r in rows]
    for s in sample:
        t = time.perf_counter()
        doc = store.dossiers.by_code(s.code)
        code_ms.append((time.perf_counter() - t) * 1000)
        assert doc is not None
    for s in sample:
        t = time.perf_counter()
        docs = store.dossiers.of_citizen(s.citizen_id)
        cid_ms.append((time.perf_counter() - t) * 1000)
        assert docs
    queries = []
    for s in sample[:300]:
        words = s.name.split()
        queries.append(rng.choice([s.name, fold(s.name), " ".join(words[::2]), s.name[:-1]]))
    for q in queries:
        t = time.perf_counter()
        _results, _count = store.dossiers.search_names(q, limit=50)
        name_ms.append((time.perf_counter() - t) * 1000)
    for s in sample[:500]:
        doc = store.dossiers.get(s.uid)
        doc["status"] = 10 if doc["status"] == 9 else 9
        t = time.perf_counter()
        with store.transaction():
            store.dossiers.put(doc)
            store.outbox.enqueue(
                {"type": "dossier.patch", "uid": doc["uid"], "status": doc["status"]}
            )
        write_ms.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    lists = store.dossiers.open_lists(date(2026, 3, 2))
    open_list_ms = (time.perf_counter() - t) * 1000
    store.close()
    return {
        "n": n,
        "open_s": round(open_s, 3),
        "index_ready_s": round(ready_s, 3),
        "rss_mb": round(rss, 1),
        **p50_p99("write", write_ms),
        **p50_p99("citizen_lookup", cid_ms),
        **p50_p99("code_lookup", code_ms),
        **p50_p99("citizen_rows", cid_row_ms),
        **p50_p99("code_rows", code_row_ms),
        **p50_p99("name_search", name_ms),
        "open_list_ms": round(open_list_ms, 3),
        "open_dossiers": sum(len(v) for v in lists.values()),
    }


def build_sqlite(path: Path, n: int) -> None:
    """The anchor: the same documents (same seed) in SQLite, WAL and synchronous=FULL,
    one row a dossier with its JSON, the code and citizen ID indexed, and an outbox."""
    import sqlite3

    import orjson

    rng = random.Random(n)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE dossiers (uid TEXT PRIMARY KEY, code TEXT, citizen_id TEXT, doc BLOB)")
    db.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY, op BLOB)")
    batch = 20_000
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            st = 10 if rng.random() < 0.93 else rng.choice([2, 4, 5, 9])
            d = dossier(rng, i, status=st)
            rows.append((d["uid"], d["code"], d["applicant"]["citizen_id"], orjson.dumps(d)))
        with db:
            db.executemany("INSERT INTO dossiers VALUES (?, ?, ?, ?)", rows)
    db.execute("CREATE INDEX by_code ON dossiers (code)")
    db.execute("CREATE INDEX by_citizen ON dossiers (citizen_id)")
    db.commit()
    db.close()


def measure_sqlite(path: Path, n: int) -> dict:
    """Run in a fresh process, as ``measure``: open, durable writes, lookups by ID and code."""
    import gc
    import sqlite3

    import orjson

    gc.collect()
    t0 = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("SELECT count(*) FROM dossiers").fetchone()
    open_s = time.perf_counter() - t0
    rss = rss_mb()
    rng = random.Random(7)
    picks = [rng.randrange(1, n + 1) for _ in range(1000)]
    sample = [
        db.execute("SELECT uid, code, citizen_id FROM dossiers WHERE rowid = ?", (r,)).fetchone()
        for r in picks
    ]
    code_ms, cid_ms, write_ms = [], [], []
    for _uid, code, _cid in sample:
        t = time.perf_counter()
        row = db.execute("SELECT doc FROM dossiers WHERE code = ?", (code,)).fetchone()
        doc = orjson.loads(row[0])
        code_ms.append((time.perf_counter() - t) * 1000)
        assert doc["code"] == code
    for _uid, _code, cid in sample:
        t = time.perf_counter()
        docs = [
            orjson.loads(r[0])
            for r in db.execute("SELECT doc FROM dossiers WHERE citizen_id = ?", (cid,))
        ]
        docs.sort(key=lambda d: d.get("received_at") or "", reverse=True)
        cid_ms.append((time.perf_counter() - t) * 1000)
        assert docs
    for uid, _code, _cid in sample[:500]:
        doc = orjson.loads(
            db.execute("SELECT doc FROM dossiers WHERE uid = ?", (uid,)).fetchone()[0]
        )
        doc["status"] = 10 if doc["status"] == 9 else 9
        t = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE dossiers SET doc = ? WHERE uid = ?", (orjson.dumps(doc), uid))
        op = {"type": "dossier.patch", "uid": uid, "status": doc["status"]}
        db.execute("INSERT INTO outbox (op) VALUES (?)", (orjson.dumps(op),))
        db.execute("COMMIT")
        write_ms.append((time.perf_counter() - t) * 1000)
    db.close()
    return {
        "n": n,
        "open_s": round(open_s, 3),
        "rss_mb": round(rss, 1),
        **p50_p99("write", write_ms),
        **p50_p99("citizen_lookup", cid_ms),
        **p50_p99("code_lookup", code_ms),
    }


def stock(n: int) -> dict:
    """Stock TinyDB with JSONStorage: one insert and one citizen lookup, at N documents."""
    from tinydb import Query, TinyDB

    rng = random.Random(n)
    docs = [dossier(rng, i) for i in range(n)]
    tmp = Path(tempfile.mkdtemp())
    try:
        db = TinyDB(tmp / "db.json", encoding="utf-8")
        db.table("dossiers").insert_multiple(docs)
        table = db.table("dossiers")
        writes, lookups = [], []
        for i in range(3):
            d = dossier(rng, n + i)
            t = time.perf_counter()
            table.insert(d)
            writes.append((time.perf_counter() - t) * 1000)
        q = Query()
        for _ in range(3):
            cid = docs[rng.randrange(n)]["applicant"]["citizen_id"]
            t = time.perf_counter()
            table.clear_cache()
            table.search(q.applicant.citizen_id == cid)
            lookups.append((time.perf_counter() - t) * 1000)
        db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "stock_write_ms": round(statistics.median(writes), 1),
        "stock_lookup_ms": round(statistics.median(lookups), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,500000")
    ap.add_argument("--measure", nargs=2, metavar=("PATH", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--keep", action="store_true", help="keep built stores in bench/out")
    ap.add_argument("--encrypt", action="store_true", help="the cache sealed (encrypt_cache)")
    ap.add_argument("--measure-sqlite", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.encrypt:
        os.environ["BENCH_ENCRYPT"] = "1"
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), int(args.measure[1]))))
        return
    if args.measure_sqlite:
        print(json.dumps(measure_sqlite(Path(args.measure_sqlite[0]), int(args.measure_sqlite[1]))))
        return
    print(f"load at start: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    rows = []
    anchors: dict[int, dict] = {}
    for n in [int(x) for x in args.sizes.split(",")]:
        path = OUT / f"store-{n}{'-enc' if args.encrypt else ''}"
        if not (path / "manifest.json").exists():
            shutil.rmtree(path, ignore_errors=True)
            print(f"building {n:,} dossiers ...", file=sys.stderr)
            build(path, n)
        row = measured("--measure", path, n)
        if n in STOCK_SIZES:
            print(f"stock TinyDB at {n:,} ...", file=sys.stderr)
            row.update(stock(n))
        rows.append(row)
        # The anchor, same documents, measured right after in a fresh process too.
        lite = OUT / f"sqlite-{n}.db"
        if not lite.exists():
            print(f"building {n:,} dossiers in SQLite (the anchor) ...", file=sys.stderr)
            OUT.mkdir(parents=True, exist_ok=True)
            build_sqlite(lite, n)
        anchors[n] = measured("--measure-sqlite", lite, n)
        if not args.keep:
            shutil.rmtree(path, ignore_errors=True)
            for f in OUT.glob(f"sqlite-{n}.db*"):
                f.unlink()
    head = (
        "N",
        "open s",
        "all indexes s",
        "RSS MB",
        "write p50/p99 ms",
        "citizen p50/p99 ms",
        "code p50/p99 ms",
        "citizen rows p50/p99 ms",
        "code rows p50/p99 ms",
        "name p50/p99 ms",
        "open lists ms",
        "stock write ms",
        "stock lookup ms",
        "write ratio",
        "lookup ratio",
    )
    lines = []
    for r in rows:
        sw, sl = r.get("stock_write_ms"), r.get("stock_lookup_ms")
        lines.append(
            [
                f"{r['n']:,}",
                f"{r['open_s']:.3f}",
                f"{r['index_ready_s']:.3f}",
                f"{r['rss_mb']:.0f}",
                pair(r, "write"),
                pair(r, "citizen_lookup"),
                pair(r, "code_lookup"),
                pair(r, "citizen_rows", 3),
                pair(r, "code_rows", 3),
                pair(r, "name_search"),
                f"{r['open_list_ms']:.1f}",
                f"{sw:.0f}" if sw else "-",
                f"{sl:.0f}" if sl else "-",
                f"{sw / r['write_p50_ms']:.0f}x" if sw else "-",
                f"{sl / r['citizen_lookup_p50_ms']:.0f}x" if sl else "-",
            ]
        )
    print_table(head, lines)
    print()
    print("anchor in the same run: SQLite (WAL, synchronous=FULL), the same documents")
    head2 = (
        "N",
        "open s",
        "RSS MB",
        "write p50/p99 ms",
        "citizen p50/p99 ms",
        "code p50/p99 ms",
        "citizen p99 ratio",
        "code p99 ratio",
    )
    lines = []
    for r in rows:
        a = anchors[r["n"]]
        lines.append(
            [
                f"{a['n']:,}",
                f"{a['open_s']:.3f}",
                f"{a['rss_mb']:.0f}",
                pair(a, "write"),
                pair(a, "citizen_lookup"),
                pair(a, "code_lookup"),
                f"{r['citizen_lookup_p99_ms'] / a['citizen_lookup_p99_ms']:.1f}x",
                f"{r['code_lookup_p99_ms'] / a['code_lookup_p99_ms']:.1f}x",
            ]
        )
    print_table(head2, lines)
    print(f"load at end: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    for r in rows:
        r["sqlite"] = anchors[r["n"]]
    keys = (
        "n",
        "sqlite",
        "open_s",
        "index_ready_s",
        "rss_mb",
        "write_p50_ms",
        "write_p99_ms",
        "citizen_lookup_p99_ms",
        "code_lookup_p99_ms",
        "citizen_rows_p99_ms",
        "code_rows_p99_ms",
        "name_search_p99_ms",
        "open_list_ms",
        "stock_write_ms",
        "stock_lookup_ms",
    )
    print(json.dumps([{k: r[k] for k in keys if k in r} for r in rows]))


if __name__ == "__main__":
    main()
