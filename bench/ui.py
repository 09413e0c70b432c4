"""Benchmark of the counter app: first screen, keystroke to results, save to receipt.

    python bench/ui.py [--dossiers 500000] [--procedures 2000]

- first screen: process start to the first screen drawn (headless), on an empty
  cache and on the N-dossier cache; Textual alone (an App with one Input, measured
  the same way in the same run) is the baseline. The store opens behind that
  screen (issue 16.3): "answering" is process start to the store open and the
  lookup answering from it.
- lookup: from one more typed character set in the field to the new result list
  on the screen, N dossiers cached; picker: the same for the procedure list
  (2,000 procedures), until the app is idle again. Measured through Pilot
  from outside the screens (the terminal's input parsing, a few ms, is not
  included); production screens carry no timing fields.
- save: from the save key pressed through Pilot to the receipt on screen
  (includes Pilot's own key delivery).
Reuses bench/out/store-N from ``bench/store.py --keep`` when present.
Prints a table, then one line of JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"

FIRST_SCREEN = r"""
import sys, time
from textual.app import App
mode, data = sys.argv[1], sys.argv[2]
if mode == "textual":
    from textual.widgets import Input
    class A(App):
        def compose(self):
            yield Input()
        def on_ready(self):
            print(time.time()); print(time.time()); self.exit()
    A().run(headless=True)
else:
    from counter_tui.launch import start_services
    from counter_tui.settings import Settings
    from counter_tui.ui.app import CounterApp
    class A(CounterApp):
        def on_ready(self):
            super().on_ready()
            print(time.time(), flush=True)
            self.answered()
        def answered(self):
            # The store open and the lookup screen's answer on it (issue 16.3).
            if self.taken:
                print(time.time(), flush=True); self.exit()
            else:
                self.set_timer(0.005, self.answered)
    s = start_services(Settings(sign_in=False), data=__import__("pathlib").Path(data), start_sync=False)
    A(s).run(headless=True)
    s.close()
"""


def first_screen(mode: str, data: Path, runs: int = 5) -> tuple[list[float], list[float]]:
    """Seconds from process start to the first screen drawn (a screen the clerk can type
    into), and to the lookup answering from the opened store (the same for Textual alone)."""
    shown, answered = [], []
    for _ in range(runs):
        t0 = time.time()
        r = subprocess.run(
            [sys.executable, "-c", FIRST_SCREEN, mode, str(data)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=dict(os.environ),
        )
        lines = r.stdout.strip().splitlines()
        shown.append(float(lines[-2]) - t0)
        answered.append(float(lines[-1]) - t0)
    return shown, answered


def big_catalog(n: int):
    """``n`` procedures: the shipped ones and variants of them (codes x.yyyyyy.NN)."""
    from counter_tui.config_files import catalog_path
    from counter_tui.domain.catalog import Catalog, load_catalog

    base = load_catalog(catalog_path()).current(date(2026, 1, 1))
    procs = list(base)
    rng = random.Random(1)
    words = ["cấp", "đổi", "bổ sung", "điều chỉnh", "gia hạn", "xác nhận", "thu hồi", "đăng ký lại"]
    i = 0
    while len(procs) < n:
        p = base[i % len(base)]
        i += 1
        from dataclasses import replace

        from counter_tui.domain.text import fold

        name = f"{p.name} ({rng.choice(words)} lần {i})"
        procs.append(
            replace(
                p,
                code=f"{p.code}.{i % 100:02d}"
                if i < 100
                else f"{p.code[:2]}{(int(p.code[2:]) + i) % 1_000_000:06d}",
                name=name,
                folded_name=fold(name),
            )
        )
    seen, unique = set(), []
    for p in procs:
        if p.code not in seen:
            seen.add(p.code)
            unique.append(p)
    return Catalog(unique)


def pct(v: list[float], p: float) -> float:
    v = sorted(v)
    return v[min(len(v) - 1, round(p / 100 * (len(v) - 1)))]


async def interactive(data: Path, procedures: int) -> dict:
    from textual.widgets import Input

    from counter_tui.launch import make_services
    from counter_tui.settings import Settings
    from counter_tui.ui.app import build_app
    from counter_tui.ui.screens.dialogs import SlipScreen

    services = make_services(
        # A configured office (name and code): F2 saves.
        Settings(sign_in=False, office="000.00.00.H56", office_name="UBND xã Bench"),
        data=data,
        start_sync=False,
        clock=lambda: datetime(2026, 3, 2, 9, 0),
    )
    services.desk.catalog = big_catalog(procedures)
    app = build_app(services)
    store = services.store
    rng = random.Random(3)
    sample = rng.sample(store.dossiers.all_summaries(), 60)
    names = [s.name for s in sample]
    # Part of a number, as read off a slip or said by a citizen: a code's last 5 digits,
    # the last 6 of a phone, the first 6 of a citizen ID (issue 15.8).
    parts = [s.code[-5:] for s in sample[:20]] + [s.phone[-6:] for s in sample[20:40] if s.phone]
    parts += [s.citizen_id[:6] for s in sample[40:] if s.citizen_id]
    lookup_ms, part_ms, picker_ms, save_ms = [], [], [], []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        screen = app.screen
        inp = screen.query_one("#query", Input)
        for name in names:
            for k in range(3, len(name) + 1, 3):
                # Measured from outside, as a user sees it: a new result list is on the
                # screen once the screen holds a new one (it renders it in the same call).
                before = screen.found
                t0 = time.perf_counter()
                inp.value = name[:k]
                deadline = t0 + 5
                while screen.found is before and time.perf_counter() < deadline:
                    await asyncio.sleep(0.0005)
                lookup_ms.append((time.perf_counter() - t0) * 1000)
        for part in parts:
            before = screen.found
            t0 = time.perf_counter()
            inp.value = part
            deadline = t0 + 5
            while screen.found is before and time.perf_counter() < deadline:
                await asyncio.sleep(0.0005)
            part_ms.append((time.perf_counter() - t0) * 1000)
        await pilot.press("f2")
        screen = app.screen
        picker = screen.query_one("#proc", Input)
        for q in [
            "k",
            "kh",
            "kha",
            "khai",
            "khai s",
            "khai sinh",
            "1",
            "1.0",
            "1.00",
            "1.001",
            "chung",
            "chung thuc",
            "xac nhan",
            "xac nhan tinh",
            "dang ky",
            "dang ky ket",
        ] * 4:
            t0 = time.perf_counter()
            picker.value = q
            await pilot.pause()  # the list is redrawn once the app is idle again
            picker_ms.append((time.perf_counter() - t0) * 1000)
        for i in range(30):
            screen.query_one("#cid", Input).value = f"001203{i:06d}"
            screen.query_one("#name", Input).value = "Nguyễn Văn Bench"
            screen._choose("2.000884")
            for item in screen.documents:
                item.received = True
            await pilot.pause()
            t0 = time.perf_counter()
            await pilot.press("ctrl+s")
            while not isinstance(app.screen, SlipScreen) and time.perf_counter() < t0 + 10:
                await asyncio.sleep(0.0005)
            save_ms.append((time.perf_counter() - t0) * 1000)
            await pilot.pause()
            assert isinstance(app.screen, SlipScreen)
            await pilot.press("escape")
            await pilot.pause()
    store.close()
    return {"lookup": lookup_ms, "part": part_ms, "picker": picker_ms, "save": save_ms}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dossiers", type=int, default=500_000)
    ap.add_argument("--procedures", type=int, default=2000)
    args = ap.parse_args()
    n = args.dossiers
    src = OUT / f"store-{n}"
    if not (src / "manifest.json").exists():
        from bench.store import build

        print(f"building {n:,} dossiers ...", file=sys.stderr)
        build(src, n)
    empty = Path(tempfile.mkdtemp()) / "empty"
    base, _ = first_screen("textual", empty)
    fs_empty, open_empty = first_screen("app", empty)
    fs_big, open_big = first_screen("app", src, runs=3)
    res = asyncio.run(interactive(src, args.procedures))
    base_med = statistics.median(base)
    rows = [
        ("first screen: Textual alone (baseline)", base, "s"),
        ("first screen: counter-tui, empty cache", fs_empty, "s"),
        (f"first screen: counter-tui, {n:,} dossiers", fs_big, "s"),
        ("store open and lookup answering: empty cache", open_empty, "s"),
        (f"store open and lookup answering: {n:,} dossiers", open_big, "s"),
        (f"lookup: keystroke to results ({n:,} dossiers)", res["lookup"], "ms"),
        (f"lookup by part of a number ({n:,} dossiers)", res["part"], "ms"),
        (f"picker: keystroke to list ({args.procedures:,} procedures)", res["picker"], "ms"),
        ("receive: save key to receipt shown", res["save"], "ms"),
    ]
    print("measure | runs | median | p95 | ratio to baseline")
    print("--- | --- | --- | --- | ---")
    for label, values, unit in rows:
        med = statistics.median(values)
        ratio = f"{med / base_med:.1f}x" if unit == "s" else "-"
        print(
            f"{label} | {len(values)} | {med:.3f} {unit} | {pct(values, 95):.3f} {unit} | {ratio}"
        )
    print(
        json.dumps(
            {
                "textual_alone_s": round(base_med, 3),
                "first_screen_s": round(statistics.median(fs_empty), 3),
                "first_screen_big_s": round(statistics.median(fs_big), 3),
                "answering_s": round(statistics.median(open_empty), 3),
                "answering_big_s": round(statistics.median(open_big), 3),
                "lookup_key_ms": round(pct(res["lookup"], 95), 2),
                "lookup_part_ms": round(pct(res["part"], 95), 2),
                "picker_key_ms": round(pct(res["picker"], 95), 2),
                "save_ms": round(pct(res["save"], 95), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
