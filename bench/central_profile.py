"""Where one push batch spends its time in the centre, without HTTP (issue 17's profile).

    python bench/central_profile.py [--engine postgresql] [--pushers 20] [--batches 5] [--batch 50]

Drives ``CentralService.push`` from threads in this process (``--pushers`` counters of
``--offices`` offices, each pushing ``--batches`` batches of receives) and reports:

* statements and round trips per operation, counted on the driver's cursors (the hot path
  runs compiled SQL on them, past SQLAlchemy's own events), by statement;
* wall time inside each statement kind summed over all threads (a lock wait shows as the
  time of the statement that waits: ``FOR UPDATE`` on the client row or the audit head,
  the ``UPDATE`` of an office's feed row), and inside COMMIT;
* CPU time of this process (the service's Python work: JSON, hashing, the domain).

The counts are exact; the times are the interleaving of this run, so compare within it.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import random
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.central import office_code, receive_ops  # noqa: E402
from counter_tui.central.db import CentralDB  # noqa: E402
from counter_tui.central.service import CentralService  # noqa: E402
from counter_tui.config_files import catalog_path, holidays_path  # noqa: E402
from counter_tui.domain.calendar import load_calendar  # noqa: E402
from counter_tui.domain.catalog import load_catalog  # noqa: E402
from tests.support.central import fresh_pg_database  # noqa: E402

_lock = threading.Lock()
COUNTS: collections.Counter[str] = collections.Counter()
TRIPS: collections.Counter[str] = collections.Counter()
TIMES: collections.Counter[str] = collections.Counter()


def kind(sql: str) -> str:
    s = " ".join(sql.split())
    m = re.match(r"(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s+(.{0,60})", s, re.I)
    if not m:
        return s[:40]
    head = m.group(1).upper()
    rest = m.group(2)
    if head == "SELECT":
        table = re.search(r"FROM (\w+)", s, re.I)
        tail = " FOR UPDATE" if "FOR UPDATE" in s.upper() else ""
        return f"SELECT {table.group(1) if table else rest[:20]}{tail}"
    return f"{head} {rest.split()[0]}"


class CountingCursor:
    def __init__(self, cur: Any) -> None:
        self._cur = cur

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)

    def __iter__(self) -> Any:
        return iter(self._cur)

    def _timed(self, how: str, sql: Any, n: int, *a: Any, **kw: Any) -> Any:
        k = kind(str(sql))
        t = time.perf_counter()
        try:
            return getattr(self._cur, how)(sql, *a, **kw)
        finally:
            with _lock:
                COUNTS[k] += n
                TRIPS[k] += 1
                TIMES[k] += time.perf_counter() - t

    def execute(self, sql: Any, *a: Any, **kw: Any) -> Any:
        return self._timed("execute", sql, 1, *a, **kw)

    def executemany(self, sql: Any, seq: Any, *a: Any, **kw: Any) -> Any:
        seq = list(seq)
        return self._timed("executemany", sql, len(seq), seq, *a, **kw)


def instrument(db: CentralDB) -> None:
    """Wrap the driver connections' cursors and commits of the write engine."""
    from sqlalchemy import event

    dialect = db.engine.dialect
    real_commit = dialect.do_commit

    def do_commit(dbapi_conn: Any) -> None:
        t = time.perf_counter()
        try:
            real_commit(dbapi_conn)
        finally:
            with _lock:
                COUNTS["COMMIT"] += 1
                TRIPS["COMMIT"] += 1
                TIMES["COMMIT"] += time.perf_counter() - t

    dialect.do_commit = do_commit  # type: ignore[method-assign]

    @event.listens_for(db.engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        real = dbapi_conn.cursor
        if getattr(real, "counted", False):
            return

        def cursor(*a: Any, **kw: Any) -> Any:
            return CountingCursor(real(*a, **kw))

        cursor.counted = True  # type: ignore[attr-defined]
        with contextlib.suppress(AttributeError, TypeError):
            dbapi_conn.cursor = cursor  # psycopg allows it; sqlite3 does not (counted below)

    if dialect.name == "sqlite":  # its connections' cursor() cannot be replaced: count here
        from counter_tui.central.db import transaction as dbmod

        real_run = dbmod.run_compiled

        def run_compiled(dbapi_conn: Any, d: Any, stmt: Any, params: Any) -> Any:
            t = time.perf_counter()
            cur = real_run(dbapi_conn, d, stmt, params)
            k = kind(str(stmt.compile(dialect=d)))
            with _lock:
                COUNTS[k] += 1
                TRIPS[k] += 1
                TIMES[k] += time.perf_counter() - t
            return cur

        dbmod.run_compiled = run_compiled

    @event.listens_for(db.engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):
        if isinstance(cursor, CountingCursor):
            return
        with _lock:
            COUNTS[kind(statement)] += len(params) if many else 1
            TRIPS[kind(statement)] += 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="postgresql")
    ap.add_argument("--offices", type=int, default=10)
    ap.add_argument("--pushers", type=int, default=20)
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--batch", type=int, default=50)
    args = ap.parse_args()
    with contextlib.ExitStack() as stack:
        if args.engine == "postgresql":
            target: Any = stack.enter_context(fresh_pg_database())
        else:
            import tempfile

            target = Path(tempfile.mkdtemp()) / "profile.sqlite3"
        db = CentralDB(target)
        stack.callback(db.close)
        for o in range(args.offices):
            db.offices.add(office_code(o), f"xã {o}")
        clients = [
            db.clients.add(office_code(k % args.offices), f"Q{k}")[0] for k in range(args.pushers)
        ]
        service = CentralService(db, load_catalog(catalog_path()), load_calendar(holidays_path()))
        rng = random.Random(5)
        queued = [(c, receive_ops(c, args.batch * args.batches, rng)) for c in clients]
        service.push(clients[0], queued[0][1][:1])  # warm the caches (compiled SQL, pools)
        queued[0] = (clients[0], queued[0][1][1:])
        instrument(db)
        COUNTS.clear(), TRIPS.clear(), TIMES.clear()

        def one(c: Any, ops: list[dict[str, Any]]) -> int:
            for i in range(0, len(ops), args.batch):
                out = service.push(c, ops[i : i + args.batch])
                assert out.error is None, out.error
            return len(ops)

        cpu, wall = time.process_time(), time.perf_counter()
        with ThreadPoolExecutor(len(queued)) as pool:
            total = sum(pool.map(lambda q: one(*q), queued))
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(
        f"{args.engine}: {total} ops by {len(queued)} pushers over {args.offices} offices, "
        f"batches of {args.batch}: {total / wall:,.0f} ops/s in process; load {load}"
    )
    print(f"this process's CPU: {cpu / total * 1e6:,.0f} µs per op ({cpu / wall:.0%} of a core)")
    print("statement | per op | round trips per op | wall ms per op (all threads)")
    for k, n in sorted(COUNTS.items(), key=lambda kv: -TIMES[kv[0]]):
        print(f"{k} | {n / total:.2f} | {TRIPS[k] / total:.3f} | {TIMES[k] / total * 1e3:.3f}")
    print(
        f"total | {sum(COUNTS.values()) / total:.2f} | {sum(TRIPS.values()) / total:.2f} | "
        f"{sum(TIMES.values()) / total * 1e3:.3f}"
    )


if __name__ == "__main__":
    main()
