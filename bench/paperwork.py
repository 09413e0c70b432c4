"""Benchmark of paper work: slips (text vs PDF), the period report and the exports, by cache size.

    python bench/paperwork.py                   # N = 1k, 10k, 50k dossiers
    python bench/paperwork.py --sizes 1000,5000

The slip baseline is the plain-text rendering of the same slip, measured in the
same run; the report is timed over a whole year of a cache of N dossiers (each
read from the store, as the F6 screen does in its worker). Prints a table,
then one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.factories import dossier  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))]


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def paperwork_for(path: Path, n: int):
    from counter_tui.config_files import catalog_path, holidays_path
    from counter_tui.domain.calendar import load_calendar
    from counter_tui.domain.catalog import load_catalog
    from counter_tui.settings import Settings
    from counter_tui.store.local import LocalStore
    from counter_tui.usecases.desk import Desk, Identity
    from counter_tui.usecases.paperwork import Paperwork

    store = LocalStore(path, background=False, flush_dirty=10**9, full_checkpoint_bytes=1 << 62)
    rng = random.Random(n)
    with store.transaction():
        for i in range(n):
            store.dossiers.put(dossier(rng, i, base=datetime(2026, 1, 5, 8, 0)))
    store.checkpoint(full=False)
    settings = Settings(office_name="UBND xã Quảng Phú", print_folder=str(path / "out"))
    desk = Desk(
        store,
        load_catalog(catalog_path()),
        load_calendar(holidays_path()),
        Identity(settings.office, settings.office_name, "Q1", 1, "canbo01"),
        clock=lambda: datetime(2026, 12, 31, 16, 0),
    )
    return store, Paperwork(desk, settings)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,50000")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from counter_tui.slips.render_pdf import render_pdf

    results: dict = {"slips": {}, "sizes": {}}
    year = (date(2026, 1, 1), date(2026, 12, 31))
    with tempfile.TemporaryDirectory() as tmp:
        store, pw = paperwork_for(Path(tmp) / "slips", 50)
        uid = store.dossiers.recent(1)[0].uid
        slip = pw.slip("01", uid)
        t0 = time.perf_counter()
        render_pdf(slip)
        cold = time.perf_counter() - t0
        text = timed(slip.text, 50)
        pdf = timed(lambda: render_pdf(slip), 30)
        results["slips"] = {
            "text_median_ms": statistics.median(text) * 1e3,
            "pdf_first_ms": cold * 1e3,
            "pdf_median_ms": statistics.median(pdf) * 1e3,
            "pdf_p95_ms": pct(pdf, 95) * 1e3,
            "pdf_bytes": len(render_pdf(slip)),
        }
        store.close()
        for n in sizes:
            store, pw = paperwork_for(Path(tmp) / f"n{n}", n)
            rep = timed(lambda pw=pw: pw.report(*year, pw.settings.office), 3)
            exp = timed(lambda pw=pw: pw.export(*year, pw.settings.office), 1)
            results["sizes"][n] = {
                "report_median_s": statistics.median(rep),
                "report_us_per_dossier": statistics.median(rep) / n * 1e6,
                "export_s": exp[0],
            }
            store.close()
    s = results["slips"]
    print("Slip (form 01, 5 documents)        median      p95     first   size")
    print(f"  text (baseline)               {s['text_median_ms']:8.2f} ms")
    print(
        f"  PDF                           {s['pdf_median_ms']:8.1f} ms {s['pdf_p95_ms']:7.1f} ms"
        f" {s['pdf_first_ms']:7.0f} ms {s['pdf_bytes'] / 1024:5.0f} KB"
        f"   (x{s['pdf_median_ms'] / s['text_median_ms']:.0f} the text)"
    )
    print()
    print(f"{'dossiers':>9} {'report (year)':>14} {'µs/dossier':>11} {'export CSV+XLSX':>16}")
    for n, r in results["sizes"].items():
        print(
            f"{n:>9,} {r['report_median_s']:>12.2f} s {r['report_us_per_dossier']:>11.0f}"
            f" {r['export_s']:>14.2f} s"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
