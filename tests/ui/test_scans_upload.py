"""Scans reach the centre by the uploader the app starts (issue 14, "synced whole"): the
real app (Pilot) with the real store and a real central service on each engine. An attached
scan arrives byte-identical and is acknowledged in the cache, F5 shows nothing waiting and
the upload rate; a counter killed mid-upload sends, once restarted, only what the centre
lacks (through the fault proxy, slowed so the kill lands mid-file)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from counter_tui.domain.dossier import Applicant
from counter_tui.launch import make_services
from counter_tui.settings import Settings
from counter_tui.ui.app import build_app
from tests.support.scans import png_bytes, write
from tests.sync.conftest import central, central_db, engine, proxy, tokens  # noqa: F401
from tests.ui.conftest import settings
from tests.ui.test_flows import text

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


def counter_settings(folder: Path, url: str, token: str) -> Settings:
    return settings(
        central_url=url,
        central_token=token,
        digitise=True,
        print_folder=str(folder / "out"),
    )


def big_scan(n: int, seed: int = 0) -> bytes:
    """A PNG of ``n`` bytes: a real header (what the counter checks), then filler."""
    head = png_bytes(1700, 2200)
    return head + bytes((i * 7 + seed) % 251 for i in range(n - len(head)))


def received(url: str, token: str, sha: str) -> dict[str, object]:
    http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    with http:
        return dict(http.get(f"/v1/files/{sha}/upload").json())


def fetch(url: str, token: str, sha: str) -> bytes:
    http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    with http:
        r = http.get(f"/v1/files/{sha}")
        assert r.status_code == 200, r.text
        return r.content


def receive_unscanned(svc, name: str = "Trần Thị Bình"):
    d = svc.desk.draft("1.004873", Applicant(name, citizen_id="079185000001"))
    for item in d.documents:
        item.received = True
    return svc.desk.receive(d, scan_reason="Máy quét hỏng")


def wait_until(cond, what: str, limit: float = 120.0) -> None:
    """Poll until ``cond()``; the limit only ends a hung test, nothing is timed here."""
    end = time.monotonic() + limit
    while not cond():
        assert time.monotonic() < end, f"never happened: {what}"
        time.sleep(0.05)


async def test_a_scan_attached_in_the_app_reaches_the_centre_and_f5_shows_none_waiting(
    tmp_path,
    central,  # noqa: F811
    tokens,  # noqa: F811
):
    token = tokens["q1"][1]
    svc = make_services(
        counter_settings(tmp_path, central.url, token), data=tmp_path / "cache", start_sync=True
    )
    assert svc.uploader is not None
    # Only the attach's notify may wake it: left alone it would look again in an hour.
    svc.uploader.interval = 3600.0
    d = receive_unscanned(svc)
    data = big_scan(3 * MIB + 5)
    app = build_app(svc)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            prepared = svc.scans.prepare(write(tmp_path / "in", "cccd.png", data))
            svc.scans.attach(d.uid, "1", [prepared])
            sha = prepared.sha
            end = time.monotonic() + 120
            while svc.store.files.pending_files():
                assert time.monotonic() < end, "the scan never reached the centre"
                await pilot.pause(0.1)
            assert fetch(central.url, token, sha) == data
            assert received(central.url, token, sha)["complete"] is True
            await pilot.press("f5")
            await pilot.pause()
            shown = text(app, "#sync_state")
            assert "Bản số hóa chờ gửi: 0 tệp" in shown
            assert "Tốc độ gửi bản số hóa:" in shown
    finally:
        svc.close()
    # The cache keeps it, acknowledged: it may now be evicted when room is short.
    reopened = make_services(
        counter_settings(tmp_path, central.url, token), data=tmp_path / "cache", start_sync=False
    )
    try:
        assert reopened.store.files.pending_files() == []
        assert reopened.scans.usage().waiting_files == 0
    finally:
        reopened.close()


def test_a_counter_killed_mid_upload_resumes_and_sends_only_what_the_centre_lacks(
    tmp_path,
    central,  # noqa: F811
    tokens,  # noqa: F811
    proxy,  # noqa: F811
):
    token = tokens["q1"][1]
    data = big_scan(6 * MIB + 11, seed=3)
    svc = make_services(counter_settings(tmp_path, proxy.url, token), data=tmp_path / "cache")
    try:
        d = receive_unscanned(svc)
        prepared = svc.scans.prepare(write(tmp_path / "in", "giay-to.png", data))
        svc.scans.attach(d.uid, "1", [prepared])
    finally:
        svc.close()  # nothing started: nothing sent yet
    sha = prepared.sha
    proxy.set("delay", 0.05)  # each 64 KiB held a moment: the upload takes seconds
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.ui.upload_child", str(tmp_path), proxy.url, token],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        wait_until(
            lambda: (
                int(received(central.url, token, sha)["received"] or 0) >= MIB
                or child.poll() is not None
            ),
            "a first chunk at the centre",
        )
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
    held = received(central.url, token, sha)
    assert held["complete"] is False, "the upload ended before the kill: nothing was cut"
    at_restart = int(held["received"] or 0)
    assert 0 < at_restart < len(data)
    proxy.set("pass")
    svc = make_services(
        counter_settings(tmp_path, proxy.url, token), data=tmp_path / "cache", start_sync=False
    )
    try:
        assert svc.store.files.pending_files() == [(sha, len(data))]  # still to send
        assert svc.uploader is not None
        assert svc.uploader.upload_pending() is True
        # Only the rest went: the centre's part was not sent again.
        assert svc.uploader.status().sent_bytes == len(data) - at_restart
        assert svc.store.files.pending_files() == []
        assert fetch(central.url, token, sha) == data
        assert svc.scans.usage().waiting_files == 0
    finally:
        svc.close()


async def test_f5_names_a_scan_the_centre_refused_and_the_others_still_go(
    tmp_path,
    central_db,  # noqa: F811
):
    from tests.support.central import OFFICE, CentralProcess

    # A centre that takes at most 1 MiB a file; the counter's own limit is 20 MB.
    small_centre = CentralProcess(
        central_db, extra=["--files-max-mb", "1"], files=tmp_path / "central-files"
    )
    small_centre.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    _c, token = small_centre.db.clients.add(OFFICE, "Q1")
    small_centre.start()
    svc = make_services(
        counter_settings(tmp_path, small_centre.url, token),
        data=tmp_path / "cache",
        start_sync=False,
    )
    try:
        d = receive_unscanned(svc)
        big = svc.scans.prepare(write(tmp_path / "in", "lon.png", big_scan(2 * MIB)))
        small_data = big_scan(5000, seed=1)
        small = svc.scans.prepare(write(tmp_path / "in", "nho.png", small_data))
        svc.scans.attach(d.uid, "1", [big, small])
        assert svc.uploader is not None
        assert svc.uploader.upload_pending() is False  # one file is set aside
        assert fetch(small_centre.url, token, small.sha) == small_data
        assert svc.store.files.pending_files() == [(big.sha, 2 * MIB)]
        app = build_app(svc)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f5")
            await pilot.pause()
            shown = text(app, "#sync_state")
            assert "Bản số hóa chờ gửi: 1 tệp" in shown
            assert "Trung tâm từ chối 1 tệp (sẽ gửi lại sau):" in shown
            assert f"{big.sha[:12]}… lớn hơn giới hạn trung tâm nhận" in shown
            assert small.sha[:12] not in shown
    finally:
        svc.close()
        small_centre.close()


async def test_an_evicted_scan_is_fetched_back_when_opened_and_offline_says_why(
    tmp_path,
    central,  # noqa: F811
    tokens,  # noqa: F811
):
    from textual.widgets import DataTable

    from counter_tui.ui.screens.dossier import DossierScreen

    token = tokens["q1"][1]
    svc = make_services(
        counter_settings(tmp_path, central.url, token), data=tmp_path / "cache", start_sync=False
    )
    # No viewer is launched in tests: the command that would run is recorded instead.
    opened: list[list[str]] = []
    svc.scans.launch = opened.append
    try:
        d = receive_unscanned(svc)
        data = big_scan(MIB + 3, seed=5)
        prepared = svc.scans.prepare(write(tmp_path / "in", "bien-ban.png", data))
        svc.scans.attach(d.uid, "1", [prepared])
        sha = prepared.sha
        assert svc.uploader is not None and svc.uploader.upload_pending() is True
        # Room was short: the acknowledged scan left the cache.
        assert svc.store.files.evict(10**12) == len(data)
        assert svc.store.files.evicted(sha)
        app = build_app(svc)
        async with app.run_test(size=(120, 40)) as pilot:
            app.push_screen(DossierScreen(d.uid))
            await pilot.pause()
            table = app.screen.query_one("#files", DataTable)
            table.focus()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "Đã mở bien-ban.png" in text(app, "#action_msg")
            assert len(opened) == 1 and Path(opened[0][-1]).read_bytes() == data
            assert not svc.store.files.evicted(sha)  # back in the cache
            assert svc.store.files.read(sha) == data
            # Evicted again, and the centre cannot be reached: said, nothing opened.
            svc.store.files.evict(10**12)
            central.stop()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            shown = text(app, "#action_msg")
            assert "đã chuyển lên trung tâm" in shown and "không lấy về được" in shown
            assert len(opened) == 1 and svc.store.files.evicted(sha)
    finally:
        svc.close()


def test_a_scan_attached_at_another_counter_of_the_office_is_fetched_from_the_centre(
    tmp_path,
    central,  # noqa: F811
    tokens,  # noqa: F811
):
    """Counter Q2 pulls a dossier Q1 scanned: its cache never held that scan, which the
    centre holds for the office. Opening it fetches it (checked), as for an evicted one;
    before, Q2 said the scan was at the centre and never fetched it."""
    one = make_services(
        counter_settings(tmp_path / "q1", central.url, tokens["q1"][1]),
        data=tmp_path / "q1" / "cache",
        start_sync=False,
    )
    two = make_services(
        counter_settings(tmp_path / "q2", central.url, tokens["q2"][1]),
        data=tmp_path / "q2" / "cache",
        start_sync=False,
    )
    opened: list[list[str]] = []
    two.scans.launch = opened.append  # no viewer is launched in tests
    try:
        d = receive_unscanned(one)
        data = big_scan(MIB + 5, seed=9)
        prepared = one.scans.prepare(write(tmp_path / "in", "to-khai.png", data))
        one.scans.attach(d.uid, "1", [prepared])
        assert one.uploader is not None and one.uploader.upload_pending() is True
        assert one.sync is not None and one.sync.sync_once()
        assert two.sync is not None and two.sync.sync_once()
        seen = two.desk.dossier(d.uid)
        assert seen is not None and [f.sha for f in two.scans.files_of(seen)] == [prepared.sha]
        assert two.scans.at_centre_only(prepared.sha)
        two.scans.open_file(prepared.sha, "to-khai.png")
        assert len(opened) == 1 and Path(opened[0][-1]).read_bytes() == data
        assert two.store.files.read(prepared.sha) == data
        assert two.store.files.pending_files() == []  # the centre has it: never sent back
    finally:
        one.close()
        two.close()
