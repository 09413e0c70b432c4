"""Sync under faults: M operations from two counters through a bad link, with centre restarts.

    python bench/faults_sync.py [--sync-ops 10000] [--quick]

Two real counters (real stores in a temp dir, the real desk and sync engine running in
their background threads with the app's settings: a 15 s cycle, 5 s health probes) send
their work to a real central service (``counter-tui central serve`` in a subprocess)
through the fault proxy of tests/support/proxy.py. Clerk threads receive dossiers and
transfer some of them, paced over the run, while the link goes through rounds of: pass,
delay every chunk, cut responses after the centre committed, refuse connections, answer
503, and then the centre is killed (SIGKILL) and kept down for a while before it is
started again. At the end the link is clean, the counters drain, and every operation
each counter was told is saved is looked up at the centre.

Figures: ``sync_lost`` (operations the counter acknowledged to the clerk that the centre
never recorded), ``sync_duplicated`` (an operation recorded twice, or a retry taken for a
new operation: a receive refused as "already there"), ``catchup_s`` (the worst, over the
restarts and both counters, of the time from the centre answering again to the counter
showing it is connected: it has had an answer from the centre and shows "Đang đồng bộ"
or "Trực tuyến", no longer "Mất kết nối"), and ``caught_up_s`` (likewise, to a whole
sync cycle completed: the backlog of the outage sent and the other counter's pulled).
``bench/faults.py`` imports :func:`run`. Prints a table, then one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from sqlalchemy import text  # noqa: E402

from counter_tui.domain.status import Action  # noqa: E402
from counter_tui.sync.state import Connection  # noqa: E402
from tests.support.central import OFFICE, CentralProcess  # noqa: E402
from tests.support.counter import Counter, make_counter  # noqa: E402
from tests.support.proxy import FaultProxy  # noqa: E402

FAULTS = [("pass", 0.0), ("delay", 0.2), ("cut_response", 0.0), ("refuse", 0.0), ("error503", 0.0)]


@dataclass
class Clerk:
    """One counter's clerk: receives dossiers and transfers every third one, paced."""

    counter: Counter
    prefix: str
    ops: int
    rate: float  # operations a second
    done: int = 0
    errors: list[str] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        start = time.monotonic()
        received: list[str] = []
        i = 0
        while self.done < self.ops and not stop.is_set():
            try:
                if self.done % 3 == 2 and received:
                    self.counter.desk.act(
                        received.pop(0),
                        Action.TRANSFER,
                        data={"unit": "Tư pháp", "person": "Đỗ Văn Bảy"},
                    )
                else:
                    d = self.counter.receive(
                        f"Nguyễn Văn {self.prefix} {i}", f"{self.prefix}{i:07d}"
                    )
                    received.append(d.uid)
                    i += 1
                self.done += 1
            except Exception as exc:  # a clerk told "not saved": counted, not silently lost
                self.errors.append(f"{type(exc).__name__}: {exc}")
            ahead = self.done / self.rate - (time.monotonic() - start)
            if ahead > 0:
                stop.wait(ahead)


def connected(c: Counter, since_wall: float) -> bool:
    """The counter has heard from the centre since ``since_wall`` and shows it: "Đang đồng
    bộ" (a cycle is under way after the centre answered) or "Trực tuyến"."""
    st = c.engine.status()
    return (st.last_contact or 0) > since_wall and st.state in (
        Connection.SYNCING,
        Connection.ONLINE,
    )


def caught_up(c: Counter, since_wall: float) -> bool:
    """A whole sync cycle (the backlog pushed, the feed pulled) completed since then."""
    st = c.engine.status()
    return st.state is Connection.ONLINE and (st.last_success or 0) > since_wall


def wait_after(counters: list[Counter], since_wall: float, limit: float) -> tuple[float, float]:
    """Seconds until every counter is connected, and until every one has caught up."""
    t0 = time.monotonic()
    first = float("inf")
    while time.monotonic() - t0 < limit:
        if first == float("inf") and all(connected(c, since_wall) for c in counters):
            first = time.monotonic() - t0
        if all(caught_up(c, since_wall) for c in counters):
            return min(first, time.monotonic() - t0), time.monotonic() - t0
        time.sleep(0.05)
    return first, float("inf")


def check(central: CentralProcess, counters: list[tuple[int, Counter]]) -> dict[str, int]:
    """Every operation each counter holds, looked up at the centre."""
    lost = dup = unsent = rejected = 0
    # The check reads the centre's tables directly: the bench audits the service, it
    # does not trust the service's own answers.
    with central.db.engine.connect() as db:
        twice = db.execute(
            text(
                "SELECT COUNT(*) FROM (SELECT op_id FROM ops GROUP BY op_id HAVING COUNT(*) > 1) t"
            )
        ).scalar_one()
        dup += int(twice)
        for client_id, c in counters:
            at_centre = {
                op_id: orjson.loads(result)
                for op_id, result in db.execute(
                    text("SELECT op_id, result FROM ops WHERE client_id = :c"), {"c": client_id}
                )
            }
            unsent += c.store.outbox.pending_count()
            for seq in range(1, c.store.outbox.last_seq() + 1):
                op = c.store.outbox.get(seq)
                if op is None or op["op_id"] not in at_centre:
                    lost += 1
                    continue
                r = at_centre[op["op_id"]]
                if r.get("status") != "applied":
                    rejected += 1
                    if r.get("code") in ("op.exists", "op.code_taken"):
                        dup += 1
    for _client_id, c in counters:
        for s in c.store.dossiers.all_summaries():
            if central.db.dossiers.by_code(OFFICE, s.code) is None:
                lost += 1
    return {"lost": lost, "duplicated": dup, "unsent": unsent, "rejected": rejected}


def run(sync_ops: int, quick: bool, seed: int = 2026, log=print) -> dict[str, Any]:
    """The campaign; returns the figures (see the module docstring)."""
    rng = random.Random(seed)
    rounds = 2 if quick else 6
    downs = [6.0, 8.0] if quick else [10.0, 30.0, 161.0, 20.0, 60.0, 15.0]
    fault_s = 1.5 if quick else 4.0
    tmp = Path(tempfile.mkdtemp(prefix="faults-sync-"))
    central = CentralProcess(tmp / "central.sqlite3")
    central.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    regs = [central.db.clients.add(OFFICE, name) for name in ("Q1", "Q2")]
    central.start()
    proxy = FaultProxy(central.port)
    counters: list[tuple[int, Counter]] = []
    for (client, token), name in zip(regs, ("Q1", "Q2"), strict=True):
        c = make_counter(tmp / name.lower(), proxy.url, token, client.slot, name=name)
        # The app's settings, not the test helper's fast ones.
        c.engine.interval, c.engine.debounce, c.engine.batch = 15.0, 1.0, 100
        counters.append((client.id, c))
    planned = rounds * (len(FAULTS) * fault_s + sum(downs[:rounds]) / rounds + 8.0)
    per_clerk = sync_ops // 2
    clerks = [
        Clerk(c, prefix, per_clerk if i == 0 else sync_ops - per_clerk, sync_ops / 2 / planned)
        for i, ((_, c), prefix) in enumerate(zip(counters, ("00120", "03812"), strict=True))
    ]
    stop = threading.Event()
    threads = [threading.Thread(target=k.run, args=(stop,), daemon=True) for k in clerks]
    catchups: list[float] = []
    caughtups: list[float] = []
    restarts = 0
    t_start = time.monotonic()
    try:
        for _, c in counters:
            c.engine.start()
        for t in threads:
            t.start()
        for r in range(rounds):
            for mode, delay in FAULTS:
                if mode == "cut_response":
                    proxy.requests, proxy.cut_after = 0, rng.randint(1, 4)
                proxy.set(mode, delay)
                time.sleep(fault_s)
            proxy.set("pass")
            central.kill()
            down = downs[r]
            time.sleep(down)
            central.start()
            restarts += 1
            back = time.time()
            took, drained = wait_after([c for _, c in counters], back, 180.0)
            catchups.append(took)
            caughtups.append(drained)
            log(
                f"round {r + 1}: centre down {down:.0f} s; both counters connected after "
                f"{took:.1f} s, caught up (backlog sent, feed pulled) after {drained:.1f} s"
            )
        # Let the clerks finish, then drain over a clean link.
        while any(k.done < k.ops for k in clerks) and all(t.is_alive() for t in threads):
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(30)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if all(c.store.outbox.pending_count() == 0 for _, c in counters):
                break
            time.sleep(0.2)
        for _, c in counters:
            c.engine.stop()
        for _, c in counters:
            c.engine.sync_once()  # the cursor and catalogue too, on a clean link
        elapsed = time.monotonic() - t_start
        got = check(central, counters)
    finally:
        stop.set()
        for _, c in counters:
            c.close()
        proxy.close()
        central.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    acked = sum(k.done for k in clerks)
    return {
        "sync_ops": acked,
        "sync_lost": got["lost"],
        "sync_duplicated": got["duplicated"],
        "catchup_s": round(max(catchups), 2) if catchups else None,
        "catchup_each_s": [round(x, 2) for x in catchups],
        "caught_up_s": round(max(caughtups), 2) if caughtups else None,
        "caught_up_each_s": [round(x, 2) for x in caughtups],
        "sync_unsent": got["unsent"],
        "sync_rejected": got["rejected"],
        "sync_clerk_errors": sum(len(k.errors) for k in clerks),
        "centre_restarts": restarts,
        "elapsed_s": round(elapsed, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sync-ops", type=int, default=10_000)
    ap.add_argument("--quick", action="store_true", help="a short run (2 restarts)")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    # The engines' own warnings (each outage) would drown the table; errors still show.
    logging.getLogger("counter_tui").setLevel(logging.ERROR)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    out = run(args.sync_ops, args.quick, args.seed)
    print()
    print("| figure | value | target |")
    print("|---|---|---|")
    for key, target in [
        ("sync_ops", "-"),
        ("sync_lost", "0"),
        ("sync_duplicated", "0"),
        ("sync_unsent", "0"),
        ("catchup_s", "<= 20 (worst of the restarts)"),
        ("catchup_each_s", "-"),
        ("caught_up_s", "- (a whole cycle with the outage's backlog)"),
        ("caught_up_each_s", "-"),
        ("sync_rejected", "0 (no back office acts here)"),
        ("sync_clerk_errors", "0"),
        ("centre_restarts", "-"),
        ("elapsed_s", "-"),
    ]:
        print(f"| {key} | {out[key]} | {target} |")
    print(f"load before the run: {' '.join(load)}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
