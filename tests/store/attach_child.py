"""A child process for the mid-attach crash test: attaches scans in a loop, reports each.

It receives one dossier, then attaches files of 0.2-3 MB to it, one at a time,
through the real use case (``Scans.prepare`` then ``Scans.attach``). A line
``ACK <sha>`` is printed only after the attach returned ("saved" on screen).
With ``CRASH_ENCRYPTED`` set, the cache is sealed with a fixed test key.
"""

from __future__ import annotations

import os
import random
import sys
from datetime import datetime
from pathlib import Path

from counter_tui.config_files import catalog_path
from counter_tui.domain.calendar import WorkCalendar
from counter_tui.domain.catalog import load_catalog
from counter_tui.domain.dossier import Applicant
from counter_tui.store.engine.cipher import Cipher
from counter_tui.store.local import LocalStore
from counter_tui.usecases.desk import Desk, Identity
from counter_tui.usecases.scans import Scans
from tests.support.scans import png_bytes


def main() -> None:
    path, seed = Path(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    cipher = Cipher(bytes(range(32))) if os.environ.get("CRASH_ENCRYPTED") else None
    store = LocalStore(path / "cache", background=True, flush_dirty=2, cipher=cipher)
    identity = Identity("000.00.00.H56", "UBND xã Quảng Phú", "Q1", 1, "canbo01")
    desk = Desk(
        store,
        load_catalog(catalog_path()),
        WorkCalendar(),
        identity,
        clock=lambda: datetime(2026, 11, 25, 9, 0),
    )
    scans = Scans(desk, store.files)
    uid = store.meta.get("crash_uid")
    if uid is None:
        d = desk.draft("1.004873", Applicant("Nguyễn Văn An", citizen_id="001203012345"))
        for item in d.documents:
            item.received = True
        uid = desk.receive(d).uid
        store.meta.set("crash_uid", uid)
    src = path / f"scan-{seed}.png"
    i = 0
    while True:
        i += 1
        body = rng.randbytes(rng.randint(200_000, 3_000_000))
        src.write_bytes(png_bytes(100 + i, 100) + body)
        p = scans.prepare(src)
        scans.attach(uid, "1", [p])
        sys.stdout.write(f"ACK {p.sha}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
