"""Benchmark of the central service at a province's shape, on each engine in the same run.

    python bench/central.py [--scale 0.001] [--workers 4] [--seconds 5] [--engines sqlite,postgresql]
        [--offices N] [--counters N] [--pushers 200] [--big-office N] [--connections 50]

(The figures and issue 17's targets are in docs/benchmarks.md; where one push batch spends
its time, without HTTP, is ``bench/central_profile.py``.)

Seeds a province (issue 17: 200 offices, 1,000 counters, 5 million dossiers at --scale 1;
shrink it with --scale), then for SQLite (one worker), PostgreSQL with one worker and
PostgreSQL with --workers, measures:

1. push throughput: up to ``--pushers`` counters pushing their queued operations at once
   (ops/s); the request bodies are encoded before the clock starts and one HTTP client is
   shared, so the load generator takes as little of the cores as it can;
2. polling: counters at the head of their feed asking "anything new?" (req/s and p95), with
   wrk when it is installed (``apt-get install wrk``), else a Python asyncio client sharing
   the same cores (then the client is part of what is measured);
3. a new counter's first full pull of the biggest office (seconds, raw HTTP pages of 2,000);
4. ``GET /v1/citizens/{id}/dossiers`` latency (p95).

Baseline in the same run: ``GET /v1/health`` latency (the HTTP floor of the machine).
PostgreSQL runs on the server named by COUNTER_TUI_TEST_PG, in a database made for the run
and dropped after. Prints a table, then one line of JSON: a list of objects with the keys
engine, workers, push_ops_s, poll_rps, poll_p95_ms, first_pull_s, citizen_p95_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402

from bench.sync import poll, poll_wrk  # noqa: E402
from counter_tui.central.db import CentralDB  # noqa: E402
from counter_tui.domain.codes import make_code  # noqa: E402
from tests.factories import dossier  # noqa: E402
from tests.support.central import CentralProcess, fresh_pg_database, pg_unavailable  # noqa: E402

DAY = date(2026, 1, 5)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def office_code(i: int) -> str:
    return f"000.00.{i // 100:02d}.H{i % 100:02d}"


def seed(db: CentralDB, offices: int, counters: int, dossiers: int, big: int):
    """Offices, their counters (tokens kept), and dossiers: ``big`` in office 0, the rest
    spread evenly. Returns the counters and a few citizen IDs of office 0."""
    rng = random.Random(7)
    tokens = []
    for o in range(offices):
        db.offices.add(office_code(o), f"UBND xã số {o}")
    for k in range(counters):
        client, token = db.clients.add(office_code(k % offices), f"Q{k // offices + 1}")
        tokens.append((client, token))
    citizens: list[str] = []
    per_office = [big] + [max(0, (dossiers - big) // max(1, offices - 1))] * (offices - 1)
    n = 0
    for o, count in enumerate(per_office):
        office = office_code(o)
        done = 0
        while done < count:
            with db.write() as tx:
                for _ in range(min(1000, count - done)):
                    d = dossier(rng, n)
                    d["uid"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    d["office"] = office
                    d["code"] = f"{office}-250101-{99}{n % 10_000:04d}-{n}"  # never a real slot
                    if o == 0 and len(citizens) < 500:
                        citizens.append(d["applicant"]["citizen_id"])
                    tx.dossiers.insert(d, office)
                    n += 1
                    done += 1
    return tokens, citizens


def receive_ops(client, count: int, rng: random.Random) -> list[dict]:
    """Valid receives from one counter: its office, codes of its slot."""
    ops = []
    for i in range(count):
        d = dossier(rng, i)
        d["uid"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        d["office"] = client.office
        d["code"] = str(make_code(client.office, DAY, client.slot, i + 1))
        ops.append(
            {
                "seq": i + 1,
                "op_id": uuid.uuid4().hex,
                "type": "dossier.receive",
                "uid": d["uid"],
                "at": "2026-01-05T08:00:00",
                "actor": "bench",
                "counter": client.name,
                "doc": d,
            }
        )
    return ops


def push_all(url: str, pushers: list, per_counter: int, batch: int) -> float:
    rng = random.Random(3)
    # The bodies are encoded before the clock starts: the counters are other machines, so
    # their JSON work should not take this machine's two cores from the service.
    queued = []
    for client, token in pushers:
        ops = receive_ops(client, per_counter, rng)
        bodies = [orjson.dumps({"ops": ops[i : i + batch]}) for i in range(0, len(ops), batch)]
        queued.append((token, bodies, len(ops)))

    # One client for all (thread-safe): making one costs ~20 ms of CPU (its TLS context),
    # which 200 threads starting at once would take from the service being measured.
    h = httpx.Client(base_url=url, timeout=120, limits=httpx.Limits(max_connections=len(queued)))

    def one(token: str, bodies: list[bytes], count: int) -> int:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for body in bodies:
            r = h.post("/v1/sync/push", content=body, headers=headers)
            r.raise_for_status()
            results = orjson.loads(r.content)["results"]
            assert all(x["status"] == "applied" for x in results), r.text[:300]
        return count

    with h, ThreadPoolExecutor(len(queued)) as pool:
        t = time.perf_counter()
        total = sum(pool.map(lambda q: one(*q), queued))
        return total / (time.perf_counter() - t)


def first_pull(url: str, token: str) -> tuple[float, int]:
    got, cursor = 0, ""
    t = time.perf_counter()
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as h:
        while True:
            body = h.get("/v1/sync/pull", params={"cursor": cursor, "limit": 2000}).json()
            got += len(body["changes"])
            cursor = body["cursor"]
            if not body["has_more"]:
                break
    return time.perf_counter() - t, got


def citizen_lookups(url: str, token: str, citizens: list[str], n: int) -> list[float]:
    lat = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as h:
        for i in range(n):
            t = time.perf_counter()
            r = h.get(f"/v1/citizens/{citizens[i % len(citizens)]}/dossiers")
            r.raise_for_status()
            lat.append((time.perf_counter() - t) * 1000)
    return lat


def run(engine: str, workers: int, args, sizes, work: Path) -> dict:
    offices, counters, dossiers, big = sizes
    with contextlib.ExitStack() as stack:
        if engine == "postgresql":
            target: str | Path = stack.enter_context(fresh_pg_database())
        else:
            target = work / f"central-{engine}-{workers}.sqlite3"
        extra = ["--workers", str(workers)] if workers > 1 else []
        central = CentralProcess(target, extra=extra, log_path=work / f"{engine}-{workers}.log")
        stack.callback(central.close)
        print(f"[{engine} x{workers}] seeding ...", file=sys.stderr)
        t = time.perf_counter()
        tokens, citizens = seed(central.db, offices, counters, dossiers, big)
        seed_s = time.perf_counter() - t
        central.start()
        url = central.url
        with httpx.Client(base_url=url) as h:
            base = []
            for _ in range(100):
                t = time.perf_counter()
                h.get("/v1/health")
                base.append((time.perf_counter() - t) * 1000)
        print(f"[{engine} x{workers}] push ...", file=sys.stderr)
        pushers = tokens[: min(args.pushers, len(tokens))]
        push = push_all(url, pushers, args.ops_per_counter, args.batch)
        print(f"[{engine} x{workers}] first pull of {big:,} ...", file=sys.stderr)
        _new, new_token = central.db.clients.add(office_code(0), "Q-new")
        pull_s, got = first_pull(url, new_token)
        assert got >= big, (got, big)
        print(f"[{engine} x{workers}] polling ...", file=sys.stderr)
        head = httpx.get(
            f"{url}/v1/sync/pull",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {new_token}"},
        ).json()
        epoch = head["cursor"].split(":")[0]
        cursor = f"{epoch}:{central.db.totals()['max_version']}"
        wrk = poll_wrk(url, new_token, cursor, args.connections, args.seconds)
        if wrk:
            rps, p95, how = wrk[0], wrk[2], "wrk"
        else:
            lat = asyncio.run(poll(url, new_token, cursor, args.connections, args.seconds, 10**6))
            rps, p95, how = len(lat) / args.seconds, pct(lat, 95), "python client"
        lookups = citizen_lookups(url, new_token, citizens, args.lookups)
    return {
        "engine": engine,
        "workers": workers,
        "push_ops_s": round(push, 1),
        "poll_rps": round(rps, 1),
        "poll_p95_ms": round(p95, 2),
        "first_pull_s": round(pull_s, 2),
        "citizen_p95_ms": round(pct(lookups, 95), 2),
        "_seed_s": round(seed_s, 1),
        "_floor_ms": round(statistics.median(base), 2),
        "_poll_by": how,
        "_pushers": len(pushers),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.001)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--ops-per-counter", type=int, default=20)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--lookups", type=int, default=300)
    ap.add_argument("--big-office", type=int, default=0, help="default: 50,000 x scale x 20")
    ap.add_argument("--offices", type=int, default=0, help="default: 200 x scale")
    ap.add_argument("--counters", type=int, default=0, help="default: 1,000 x scale")
    ap.add_argument("--pushers", type=int, default=200, help="counters pushing at once")
    args = ap.parse_args()
    s = args.scale
    offices = args.offices or max(2, round(200 * s))
    counters = max(offices, args.counters or round(1000 * s))
    dossiers = round(5_000_000 * s)
    big = args.big_office or min(50_000, max(1_000, round(50_000 * s * 20)))
    sizes = (offices, counters, max(dossiers, big), big)
    print(
        f"province at scale {s}: {offices} offices, {counters} counters, "
        f"{max(dossiers, big):,} dossiers ({big:,} in the biggest office)",
        file=sys.stderr,
    )
    configs = []
    for engine in args.engines.split(","):
        if engine == "postgresql" and (why := pg_unavailable()):
            print(f"skipping PostgreSQL: {why}", file=sys.stderr)
            continue
        configs.append((engine, 1))
        if engine == "postgresql" and args.workers > 1:
            configs.append((engine, args.workers))
    work = Path(tempfile.mkdtemp(prefix="bench-central-"))
    results = [run(e, w, args, sizes, work) for e, w in configs]
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    base = results[0]
    print(
        f"{results[0]['_pushers']} counters pushing {args.ops_per_counter} receives each "
        f"in batches of {args.batch}",
    )
    print(
        f"\nprovince at scale {s}: {sizes[0]} offices, {sizes[1]} counters, {sizes[2]:,} dossiers; load {' '.join(load)}"
    )
    print(
        "engine | workers | push ops/s (x base) | poll req/s | poll p95 ms | first pull s | citizen p95 ms | HTTP floor ms | polled by"
    )
    print("--- | --- | --- | --- | --- | --- | --- | --- | ---")
    for r in results:
        print(
            f"{r['engine']} | {r['workers']} | {r['push_ops_s']:,.0f} ({r['push_ops_s'] / base['push_ops_s']:.2f}x) | "
            f"{r['poll_rps']:,.0f} | {r['poll_p95_ms']:.1f} | {r['first_pull_s']:.2f} | "
            f"{r['citizen_p95_ms']:.1f} | {r['_floor_ms']:.2f} | {r['_poll_by']}"
        )
    print(json.dumps([{k: v for k, v in r.items() if not k.startswith("_")} for r in results]))


if __name__ == "__main__":
    main()
