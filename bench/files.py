"""Benchmark of scanned files (issue 14). This half: attach.

    python bench/files.py [--runs 30] [--mb 5] [--encrypted]

``bench_attach``: the time from the key to "saved" for a PDF of ``--mb`` MB
already on local disk, through the real use cases on a real cache in a temp
folder: ``Scans.prepare`` (read, check by magic bytes, count pages with pypdf,
SHA-256, write the blob: temp file, fsync, rename, fsync the folder) then
``Scans.attach`` (the dossier change, the file record and the outbox
operation in one fsync'd commit). A different PDF each run (nothing is
deduplicated). Both steps are timed apart and together; the total is what the
clerk waits for (the screen runs the first step in a worker, but "saved" is
said only after both). Target: p95 < 150 ms.

The sync half (uploading through the fault proxy) is another function of this
file, written with the centre's side. Prints a table, then one line of JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def scan_pdf(size: int) -> bytes:
    """A one-page PDF carrying ``size`` random bytes in an image stream, as a scan does."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject

    w = PdfWriter()
    page = w.add_blank_page(595, 842)
    img = DecodedStreamObject()
    img.set_data(os.urandom(size))
    img.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(2480),
            NameObject("/Height"): NumberObject(3508),
            NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/ColorSpace"): NameObject("/DeviceGray"),
            NameObject("/Filter"): NameObject("/DCTDecode"),
        }
    )
    ref = w._add_object(img)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): ref})}
    )
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def bench_attach(runs: int = 30, mb: float = 5, encrypted: bool = False) -> dict[str, object]:
    from counter_tui.config_files import catalog_path
    from counter_tui.domain.calendar import WorkCalendar
    from counter_tui.domain.catalog import load_catalog
    from counter_tui.domain.dossier import Applicant
    from counter_tui.store.cipher import Cipher
    from counter_tui.store.local import LocalStore
    from counter_tui.usecases.desk import Desk, Identity
    from counter_tui.usecases.scans import Scans

    with tempfile.TemporaryDirectory(prefix="bench-files-") as tmp:
        folder = Path(tmp)
        cipher = Cipher(Cipher.new_key()) if encrypted else None
        store = LocalStore(folder / "cache", cipher=cipher)
        identity = Identity("000.00.00.H56", "UBND xã Quảng Phú", "Q1", 1, "canbo01")
        desk = Desk(
            store,
            load_catalog(catalog_path()),
            WorkCalendar(),
            identity,
            clock=lambda: datetime(2026, 11, 25, 9, 0),
        )
        scans = Scans(desk, store.files, max_mb=20)
        d = desk.draft("1.004873", Applicant("Nguyễn Văn An", citizen_id="001203012345"))
        for item in d.documents:
            item.received = True
        uid = desk.receive(d).uid
        prep: list[float] = []
        commit: list[float] = []
        total: list[float] = []
        size = 0
        try:
            for i in range(runs + 2):
                src = folder / f"scan-{i:04d}.pdf"
                data = scan_pdf(int(mb * 1_000_000))
                size = len(data)
                src.write_bytes(data)
                os.sync()  # the scanner's file is on disk, as it is at the counter
                t0 = time.perf_counter()
                p = scans.prepare(src)
                t1 = time.perf_counter()
                scans.attach(uid, "1", [p])
                t2 = time.perf_counter()
                if i >= 2:  # the first runs load pypdf and warm the caches
                    prep.append((t1 - t0) * 1000)
                    commit.append((t2 - t1) * 1000)
                    total.append((t2 - t0) * 1000)
                src.unlink()
        finally:
            store.close()
    return {
        "runs": runs,
        "file_mb": round(size / 1_000_000, 2),
        "encrypted": encrypted,
        "prepare_p50_ms": round(statistics.median(prep), 1),
        "commit_p50_ms": round(statistics.median(commit), 1),
        "attach_p50_ms": round(statistics.median(total), 1),
        "attach_p95_ms": round(pct(total, 95), 1),
        "attach_max_ms": round(max(total), 1),
    }


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--mb", type=float, default=5)
    ap.add_argument("--encrypted", action="store_true")
    args = ap.parse_args()
    r = bench_attach(args.runs, args.mb, args.encrypted)
    r["loadavg"] = loadavg()
    print(f"attach a {r['file_mb']} MB PDF ({'encrypted' if args.encrypted else 'plain'} cache)")
    for k in ("prepare_p50_ms", "commit_p50_ms", "attach_p50_ms", "attach_p95_ms", "attach_max_ms"):
        print(f"  {k:<16}{r[k]:>8}")
    print(f"  load average    {r['loadavg']}")
    print(json.dumps(r))


if __name__ == "__main__":
    main()
