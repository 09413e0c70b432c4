"""Memory over a working day: RSS during a long loop of a clerk's lookups and receives.

    python bench/soak.py                      # 30 minutes at 100k dossiers
    python bench/soak.py --minutes 6 --size 20000

Builds (or reuses, in bench/out) a store of ``--size`` dossiers with
``bench/store.py``'s seeding, then in a fresh process (so RSS is the loop's,
not the builder's) runs rounds of a clerk's mix: a lookup by citizen ID, by
code and by name, and every fourth round a receive through the real ``Desk``
(code, outbox operation, audit entry), checkpoints running in the background.
RSS is sampled every 30 s. Growth is the least-squares slope of RSS after the
warm-up (2 minutes), per hour. Prints a table and ends with one JSON line.

The loop receives far faster than a counter does (hundreds a minute against a few
dozen a day), and every new dossier rightly takes memory (its row in the indexes, its
unsent operation and audit entry). So after the soak the same store, as the soak left
it, is opened in a fresh process and warmed by the same lookups: the soak's level
above that one, per hour, is ``rss_growth_not_data_mb_per_hour`` (with
``--receive-every 0`` it is the gross slope). The older estimate (receives times the
memory per dossier at open) is kept as ``..._estimate``; it undercounts a receive.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE_S = 30.0
TAIL_S = 180.0  # the last minutes averaged where two runs' levels are compared


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(r for _, r in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mx) * (r - my) for t, r in points) / var * 3600


def tail_mean(samples: list[Any]) -> float:
    """Mean RSS over the samples of the last TAIL_S seconds."""
    last = samples[-1][0]
    tail = [s[1] for s in samples if s[0] >= last - TAIL_S]
    return sum(tail) / len(tail)


def soak(path: Path, minutes: float, warmup: float, receive_every: int = 4) -> dict[str, Any]:
    from counter_tui.config_files import catalog_path
    from counter_tui.domain.calendar import WorkCalendar
    from counter_tui.domain.catalog import load_catalog
    from counter_tui.domain.dossier import Applicant
    from counter_tui.store.local import LocalStore
    from counter_tui.usecases.desk import Desk, Identity
    from tests.factories import citizen_id, name

    base_rss = rss_mb()  # interpreter and imports, before the store
    store = LocalStore(path, background=True)
    store.dossiers.wait_indexes()
    # What one dossier costs in memory at this size, in this process: new dossiers take
    # that much each, which is data, not a leak (see the JSON line's net figure).
    kb_per_dossier = (rss_mb() - base_rss) * 1024 / max(1, store.dossiers.count())
    now = [datetime(2026, 3, 2, 8, 0)]

    def clock() -> datetime:
        now[0] += timedelta(seconds=20)
        return now[0]

    desk = Desk(
        store,
        load_catalog(catalog_path()),
        WorkCalendar(),
        Identity("000.00.00.H56", "UBND xã Quảng Phú", "Q1", 7, "canbo01"),
        clock=clock,
    )
    rng = random.Random(16)
    uids = list(store.directory.rows)
    samples: list[tuple[float, float, int, int, int]] = []  # t, rss, dossiers, rounds, receives
    t0 = time.perf_counter()
    next_sample = 0.0
    rounds = receives = 0
    end = minutes * 60
    while True:
        t = time.perf_counter() - t0
        if t >= next_sample:
            samples.append((t, rss_mb(), store.dossiers.count(), rounds, receives))
            next_sample += SAMPLE_S
            if t >= end:
                break
        s = store.dossiers.summary(rng.choice(uids))
        if s is not None:
            store.dossiers.of_citizen(s.citizen_id)
            store.dossiers.by_code(s.code)
            store.dossiers.search_names(" ".join(s.name.split()[-2:]), limit=50)
        rounds += 1
        if receive_every and rounds % receive_every == 0:
            d = desk.draft(
                "1.004873", Applicant(name(rng), citizen_id=citizen_id(rng), phone="0912345678")
            )
            for item in d.documents:
                item.received = True
            got = desk.receive(d)
            uids.append(got.uid)
            receives += 1
            if now[0].hour >= 17:  # a new working day: codes are numbered per day
                now[0] = now[0].replace(hour=8) + timedelta(days=1)
    store.close()
    after = [(t, r) for t, r, *_ in samples if t >= warmup]
    return {"samples": samples, "after": after, "kb_per_dossier": kb_per_dossier}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--warmup", type=float, default=120, help="seconds before growth is measured")
    ap.add_argument(
        "--receive-every",
        type=int,
        default=4,
        metavar="N",
        help="a receive every N rounds of lookups (0: lookups only, to tell a leak from data)",
    )
    ap.add_argument("--run", metavar="PATH", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        out = soak(Path(args.run), args.minutes, args.warmup, args.receive_every)
        print(json.dumps(out))
        return
    import store as sb  # bench/store.py, beside this script

    path = sb.OUT / f"soak-{args.size}"
    if not (path / "manifest.json").exists():
        print(f"building {args.size:,} dossiers ...", file=sys.stderr)
        sb.build(path, args.size)
    work = path.with_name(path.name + "-run")
    subprocess.run(["rm", "-rf", str(work)], check=True)
    subprocess.run(["cp", "-a", str(path), str(work)], check=True)  # the built copy stays clean

    def run(minutes: float, warmup: float, receive_every: int) -> dict[str, Any]:
        res = subprocess.run(
            [
                sys.executable,
                __file__,
                "--run",
                str(work),
                "--minutes",
                str(minutes),
                "--warmup",
                str(warmup),
                "--receive-every",
                str(receive_every),
            ],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ),
        )
        out: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
        return out

    try:
        data = run(args.minutes, args.warmup, args.receive_every)
        # The measured baseline: the store as the soak left it (its new dossiers, its
        # unsent operations), opened afresh and warmed by the same lookups for the
        # warm-up and TAIL_S more. What the soak holds beyond that is not its data.
        fresh = run((args.warmup + TAIL_S) / 60, args.warmup, 0) if args.receive_every else None
    finally:
        subprocess.run(["rm", "-rf", str(work)], check=False)
    samples = data["samples"]
    after = [tuple(p) for p in data["after"]]
    print("t s | RSS MB | dossiers | rounds | receives")
    print("--- | --- | --- | --- | ---")
    for t, r, n, rounds, receives in samples:
        print(f"{t:.0f} | {r:.1f} | {n:,} | {rounds:,} | {receives:,}")
    load = Path("/proc/loadavg").read_text().split()[:3]
    start = after[0][1] if after else samples[0][1]
    end = samples[-1][1]
    growth = slope_per_hour(after)  # type: ignore[arg-type]
    kb = float(data["kb_per_dossier"])
    window = [s for s in samples if s[0] >= args.warmup]
    hours = (window[-1][0] - window[0][0]) / 3600 if len(window) > 1 else 0.0
    per_hour = (window[-1][4] - window[0][4]) / hours if hours else 0.0
    data_growth = per_hour * kb / 1024
    kb_per_receive = growth * 1024 / per_hour if per_hour else 0.0
    print(
        f"after warm-up: {growth:.1f} MB/h; {per_hour:,.0f} receives/h; "
        f"{kb_per_receive:.2f} KB of growth per receive"
    )
    not_data: float | None = None
    fresh_mb: float | None = None
    if fresh is not None:
        level = tail_mean(samples)
        fresh_mb = tail_mean(fresh["samples"])
        not_data = (level - fresh_mb) / hours if hours else 0.0
        print(
            f"the same store opened afresh and warmed the same way: {fresh_mb:.1f} MB against "
            f"the soak's {level:.1f} MB (means of the last {TAIL_S:.0f} s): "
            f"{not_data:.1f} MB/h not explained by the data"
        )
    print(f"load average: {' '.join(load)}")
    print(
        json.dumps(
            {
                "size": args.size,
                "minutes": args.minutes,
                "warmup_s": args.warmup,
                "rss_start_mb": round(start, 1),
                "rss_end_mb": round(end, 1),
                "rss_growth_mb_per_hour": round(growth, 1),
                "kb_per_dossier": round(kb, 2),
                "receive_every": args.receive_every,
                "receives_per_hour": round(per_hour),
                "kb_growth_per_receive": round(kb_per_receive, 2),
                # Measured: the soak's level minus a fresh process's on the same final
                # store (None without receives: then the gross figure is the leak).
                "rss_fresh_same_store_mb": round(fresh_mb, 1) if fresh_mb is not None else None,
                "rss_growth_not_data_mb_per_hour": (
                    round(not_data, 1) if not_data is not None else round(growth, 1)
                ),
                "rss_growth_net_of_data_estimate_mb_per_hour": round(growth - data_growth, 1),
                "receives": samples[-1][4],
                "rounds": samples[-1][3],
                "load": load,
            }
        )
    )


if __name__ == "__main__":
    main()
