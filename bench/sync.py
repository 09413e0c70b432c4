"""Benchmark of sync against a real central service on 127.0.0.1.

    python bench/sync.py [--push 10000] [--pull 100000] [--counters 50] [--seconds 10]

1. Push N operations queued at a counter during an outage.
2. Pull M changes into an empty counter cache.
3. Many simulated counters polling the change feed at once: requests per
   second and latency percentiles (bounded in time and count; loopback only),
   with wrk when it is installed (``apt-get install wrk``; the JSON line then
   reports wrk's figures) and always with a Python asyncio client for comparison.
Baseline in the same run: one health request's latency (the HTTP floor).
Prints a table, then one line of JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from counter_tui.sync.engine import SyncEngine  # noqa: E402
from tests.support.central import OFFICE, CentralProcess  # noqa: E402
from tests.support.counter import make_counter  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def seed_central(central: CentralProcess, n: int) -> None:
    import random

    from tests.factories import dossier

    rng = random.Random(1)
    with central.db.write() as tx:
        for i in range(n):
            d = dossier(rng, i)
            d["code"] = f"{OFFICE}-{260105 + (i // 9000) % 28:06d}-9{i % 9000 + 1:04d}"
            d["uid"] = str(uuid.UUID(int=i + 1))
            tx.dossiers.insert(d, OFFICE)


async def poll(
    url: str, token: str, cursor: str, counters: int, seconds: float, max_requests: int
) -> list[float]:
    """Counters already at the head of the feed asking "anything new?" as fast as they can."""
    lat: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=counters)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
    ) as http:

        async def one() -> None:
            while time.perf_counter() < deadline and len(lat) < max_requests:
                t = time.perf_counter()
                r = await http.get("/v1/sync/pull", params={"cursor": cursor, "limit": 500})
                r.raise_for_status()
                lat.append((time.perf_counter() - t) * 1000)

        await asyncio.gather(*(one() for _ in range(counters)))
    return lat


WRK_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("WRK %d %f %f %f\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def poll_wrk(url: str, token: str, cursor: str, counters: int, seconds: float):
    """The same polling with wrk (Debian's package), so the load generator is not the limit."""
    import shutil
    import subprocess

    if shutil.which("wrk") is None:
        return None
    lua = Path(tempfile.mkdtemp()) / "p95.lua"
    lua.write_text(WRK_LUA)
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{counters}",
            f"-d{int(seconds)}s",
            "-s",
            str(lua),
            "-H",
            f"Authorization: Bearer {token}",
            f"{url}/v1/sync/pull?cursor={cursor}&limit=500",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    for line in out.stdout.splitlines():
        if line.startswith("WRK "):
            _, n, dur, p50, p95 = line.split()
            return int(n) / float(dur), float(p50), float(p95)
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--push", type=int, default=10_000)
    ap.add_argument("--pull", type=int, default=100_000)
    ap.add_argument("--counters", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    central = CentralProcess(tmp / "central.sqlite3")
    central.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    q1, t1 = central.db.clients.add(OFFICE, "Q1")
    central.start()
    try:
        # baseline: the HTTP floor on this machine
        with httpx.Client(base_url=central.url) as h:
            base = []
            for _ in range(200):
                t = time.perf_counter()
                h.get("/v1/health")
                base.append((time.perf_counter() - t) * 1000)
        # 1. push after an outage
        c = make_counter(tmp / "q1", central.url, t1, q1.slot)
        # The batch the app ships with (make_counter's is small, for the tests).
        c.engine.batch = SyncEngine.BATCH
        print(f"queueing {args.push:,} operations offline ...", file=sys.stderr)
        for i in range(args.push):
            c.receive(f"Nguyễn Văn Số {i}", f"0012030{i % 100000:05d}")
        t = time.perf_counter()
        c.engine._push_all()
        push_s = time.perf_counter() - t
        assert c.store.outbox.pending_count() == 0 and central.db.dossiers.count() == args.push
        c.close()
        # 2. pull into an empty cache
        print(f"seeding {args.pull:,} dossiers at the centre ...", file=sys.stderr)
        seed_central(central, args.pull)
        _q2, t2 = central.db.clients.add(OFFICE, "Q2")
        fresh = make_counter(tmp / "q2", central.url, t2, _q2.slot)
        t = time.perf_counter()
        fresh.engine._pull_all()
        pull_s = time.perf_counter() - t
        got = fresh.store.dossiers.count()
        fresh.close()
        # 3. many counters polling
        print(f"{args.counters} counters polling for {args.seconds:.0f} s ...", file=sys.stderr)
        head = central.db.totals()["max_version"]
        cursor = f"{central.db.epoch}:{head}"
        lat = asyncio.run(poll(central.url, t1, cursor, args.counters, args.seconds, 200_000))
        rps = len(lat) / args.seconds
        wrk = poll_wrk(central.url, t1, cursor, args.counters, args.seconds)
    finally:
        central.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    rows = [
        (
            "HTTP floor: GET /v1/health, 1 client",
            f"{statistics.median(base):.2f} ms median",
            f"p95 {pct(base, 95):.2f} ms",
            "1.0x",
        ),
        (
            f"push {args.push:,} queued ops",
            f"{push_s:.2f} s",
            f"{args.push / push_s:,.0f} ops/s",
            "target <= 3 s (issue 16)",
        ),
        (
            f"pull {args.pull:,} changes into empty cache ({got:,} stored)",
            f"{pull_s:.2f} s",
            f"{args.pull / pull_s:,.0f} changes/s",
            "target <= 10 s (issue 16)",
        ),
        (
            f"{args.counters} counters polling (Python asyncio client on the same 2 cores)",
            f"{rps:,.0f} req/s",
            f"p50 {statistics.median(lat):.1f} ms, p95 {pct(lat, 95):.1f} ms",
            "here the client is the limit",
        ),
    ]
    p95 = pct(lat, 95)
    if wrk:
        rows.append(
            (
                f"{args.counters} counters polling (wrk)",
                f"{wrk[0]:,.0f} req/s",
                f"p50 {wrk[1]:.1f} ms, p95 {wrk[2]:.1f} ms",
                f"p50 = {wrk[1] / statistics.median(base):.0f}x floor; target >= 300 rps, p95 <= 50",
            )
        )
        rps, p95 = wrk[0], wrk[2]
    print("measure | result | rate / latency | note")
    print("--- | --- | --- | ---")
    for r in rows:
        print(" | ".join(r))
    print(
        json.dumps(
            {
                "push_10k_s": round(push_s, 2),
                "pull_100k_s": round(pull_s, 2),
                "pull_rps": round(rps, 1),
                "pull_p95_ms": round(p95, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
