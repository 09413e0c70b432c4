"""Memory of the real app over a clerk's lookups: RSS during a Pilot loop at N dossiers.

    python bench/soak_app.py                    # 5 minutes on bench/out/soak-100000
    python bench/soak_app.py --minutes 10

Each round, as a clerk: F3, a citizen ID typed key by key (every third round the last
two words of a name instead), Down and Enter to open the dossier, Esc back. The store
is a copy of the one ``bench/soak.py`` builds. RSS every 30 s; ends with one JSON line
(``rss_start_mb`` after the first 30 s, ``rss_end_mb``, ``mb_per_round`` after that, and
``rss_growth_mb_per_hour_cache_full``: the slope once the shard cache is full, before
which every round rightly loads one more shard).
Headless through Pilot, so per-step times are Pilot's, not a terminal's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# bench/soak.py, beside this script (a script's folder is first on sys.path).
from soak import rss_mb, slope_per_hour  # noqa: E402


async def loop(store: Path, minutes: float) -> list[tuple[float, float, int, bool]]:
    from counter_tui.launch import make_services
    from counter_tui.ui.app import build_app
    from counter_tui.ui.screens.dossier import DossierScreen
    from tests.ui.conftest import FixedClock, settings

    out = Path(tempfile.mkdtemp(prefix="soak-app-out-"))
    clock = FixedClock(datetime(2026, 3, 2, 9, 0))
    s = make_services(settings(print_folder=str(out)), clock=clock, data=store, start_sync=False)
    samples: list[tuple[float, float, int, bool]] = []  # t, RSS, rounds, shard cache full
    try:
        app = build_app(s)
        rng = random.Random(3)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(1.0)
            s.store.dossiers.wait_indexes()
            uids = list(s.store.directory.rows)
            t0, next_sample, rounds = time.perf_counter(), 0.0, 0
            while True:
                t = time.perf_counter() - t0
                if t >= next_sample:
                    st = s.store.store
                    full = len(st._shards) >= st.cache_shards or st._doc_total >= st.cache_docs
                    samples.append((t, rss_mb(), rounds, full))
                    print(
                        f"{t:5.0f} s  RSS {samples[-1][1]:6.1f} MB  {rounds} rounds"
                        f"{'  (shard cache full)' if full else ''}",
                        file=sys.stderr,
                    )
                    next_sample += 30
                    if t >= minutes * 60:
                        break
                summary = s.store.dossiers.summary(rng.choice(uids))
                if summary is None:
                    continue
                query = summary.citizen_id if rounds % 3 else " ".join(summary.name.split()[-2:])
                await pilot.press("f3", *query)
                await pilot.pause()
                await pilot.press("down", "enter")
                await pilot.pause()
                if isinstance(app.screen, DossierScreen):
                    await pilot.press("escape")
                await pilot.pause()
                rounds += 1
    finally:
        s.close()
        shutil.rmtree(out, ignore_errors=True)
    return samples


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--size", type=int, default=100_000)
    args = ap.parse_args()
    built = ROOT / "bench" / "out" / f"soak-{args.size}"
    if not (built / "manifest.json").exists():
        sys.exit(f"build the store first: python bench/soak.py --size {args.size} --minutes 0.1")
    work = Path(tempfile.mkdtemp(prefix="soak-app-")) / "store"
    shutil.copytree(built, work)
    try:
        samples = asyncio.run(loop(work, args.minutes))
    finally:
        shutil.rmtree(work.parent, ignore_errors=True)
    print("t s | RSS MB | rounds | shard cache full")
    print("--- | --- | --- | ---")
    for t, r, n, full in samples:
        print(f"{t:.0f} | {r:.1f} | {n} | {'yes' if full else 'no'}")
    after = [p for p in samples if p[0] >= 30] or samples
    grew = after[-1][1] - after[0][1]
    rounds = after[-1][2] - after[0][2]
    # Growth once the shard cache is full (before, each round rightly adds a shard):
    # the least-squares slope from the first sample with the cache full.
    full_at = next((i for i, p in enumerate(samples) if p[3]), None)
    steady = samples[full_at:] if full_at is not None else []
    steady_h = (steady[-1][0] - steady[0][0]) / 3600 if len(steady) > 1 else 0.0
    steady_slope = slope_per_hour([(p[0], p[1]) for p in steady]) if steady_h else None
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average: {' '.join(load)}")
    print(
        json.dumps(
            {
                "size": args.size,
                "minutes": args.minutes,
                "rss_start_mb": round(after[0][1], 1),
                "rss_end_mb": round(after[-1][1], 1),
                "rounds": rounds,
                "mb_per_round": round(grew / rounds, 3) if rounds else None,
                "cache_full_at_s": round(steady[0][0]) if steady else None,
                "rss_growth_mb_per_hour_cache_full": (
                    round(steady_slope, 1) if steady_slope is not None else None
                ),
                "rounds_per_hour_cache_full": (
                    round((steady[-1][2] - steady[0][2]) / steady_h) if steady_h else None
                ),
                "load": load,
            }
        )
    )


if __name__ == "__main__":
    main()
