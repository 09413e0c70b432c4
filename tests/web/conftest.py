"""A counter on disk (settings file, store with a clerk and a dossier) and `counter-tui serve`
running on it in a child process, as the clerk's PC runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from counter_tui.launch import make_services
from counter_tui.settings import load_settings
from counter_tui.usecases.auth import hash_pin
from tests.support.central import free_port
from tests.ui.conftest import FixedClock, seed
from tests.web.browser import chromium_missing

PIN = "246810"
CITIZEN_ID = "001203012345"
SETTINGS = """\
[counter]
office = "000.00.00.H56"
office_name = "UBND xã Quảng Phú"
name = "Q1"
slot = 1
language = "vi"
data_dir = "{data}"

[printing]
folder = "{out}"

[security]
sign_in = true
idle_lock_minutes = 0

[files]
digitise = false
"""


@dataclass
class Counter:
    config: Path
    data: Path
    out: Path
    code: str


@pytest.fixture
def counter(tmp_path: Path) -> Counter:
    """A standalone counter: one clerk (lan, PIN 246810) and one dossier received for
    citizen 001203012345."""
    data, out = tmp_path / "cache", tmp_path / "out"
    config = tmp_path / "counter.toml"
    config.write_text(SETTINGS.format(data=data.as_posix(), out=out.as_posix()), encoding="utf-8")
    clock = FixedClock(datetime(2026, 11, 25, 9, 30))
    s = make_services(load_settings(config), clock=clock, start_sync=False)
    try:
        s.store.clerks.save(
            [{"username": "lan", "name": "Nguyễn Thị Lan", "pin_hash": hash_pin(PIN), "active": 1}]
        )
        (d,) = seed(
            s.desk,
            clock,
            [("Đặng Thị Ngọc Ánh", CITIZEN_ID, "0912345678", "1.004873", clock.now, 2)],
        )
    finally:
        s.close()
    return Counter(config, data, out, d.code)


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serving(
    counter: Counter, log: Path, *, browser: bool = False, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """``counter-tui --config … serve`` on a free port, up and answering; stopped after."""
    port = free_port()
    argv = [sys.executable, "-m", "counter_tui.cli", "--config", str(counter.config), "serve"]
    argv += ["--port", str(port), *([] if browser else ["--no-browser"])]
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            argv, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    served = Served(f"http://127.0.0.1:{port}/", proc, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(served.url, timeout=5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not start:\n{served.output()}") from None
                time.sleep(0.2)
        yield served
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def served(counter: Counter, tmp_path: Path) -> Iterator[Served]:
    """`counter-tui serve --no-browser` on the counter, for a test's own Chromium."""
    missing = chromium_missing()
    if missing and not os.environ.get("CI"):
        pytest.skip(missing)
    with serving(counter, tmp_path / "serve.log") as served:
        yield served
