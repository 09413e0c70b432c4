"""The connection through its use case (``services.link``, issue 21.4): F5 and the status
bar redraw when the engine tells of a change, from whichever thread it ran on; marking a
refused operation handled is one call that audits it and lowers the conflict count."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable

from counter_tui.launch import make_services
from counter_tui.ui.app import build_app
from counter_tui.ui.screens.sync import SyncScreen
from counter_tui.usecases.connection import Changed
from tests.ui.conftest import NOW, seed, settings

ROW = ("Lê Văn Tám", "001090000008", "", "1.004873", NOW, 1)


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def settle(pilot, times: int = 5) -> None:
    # A message from a thread takes a hop to the app, then one to the screen; no delay.
    for _ in range(times):
        await pilot.pause()


async def test_f5_and_the_status_bar_redraw_when_a_cycle_ends_on_the_engines_thread(
    tmp_path, clock
):
    from tests.support.central import OFFICE, CentralProcess

    central = CentralProcess(tmp_path / "central.sqlite3")
    central.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    q1, token = central.db.clients.add(OFFICE, "Q1")
    central.start()
    s = make_services(
        settings(central_url=central.url, central_token=token, slot=q1.slot),
        clock=clock,
        data=tmp_path / "c",
        start_sync=False,
    )
    seed(s.desk, clock, [ROW])
    app = build_app(s)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f5")
            await settle(pilot)
            assert isinstance(app.screen, SyncScreen)
            assert "Chờ gửi: 1" in text(app, "#sync_state")
            assert "chưa lần nào" in text(app, "#sync_state")  # never synced yet
            # The cycle runs on another thread, as the engine's own does; nothing is
            # pressed after it: what F5 shows next it learnt from the engine's word.
            assert await asyncio.to_thread(s.sync.sync_once)
            await settle(pilot)
            shown = text(app, "#sync_state")
            assert "Chờ gửi: 0" in shown and "Trực tuyến" in shown
            assert "chưa lần nào" not in shown
            assert "Chờ gửi: 0" in text(app, "StatusBar")
    finally:
        central.stop()
        s.close()
    assert central.db.dossiers.count() == 1


async def test_marking_a_refused_operation_handled_lowers_the_conflict_count_at_once(
    tmp_path, clock
):
    # An engine is configured (its centre on a port nothing answers: no cycle runs here).
    s = make_services(
        settings(central_url="http://127.0.0.1:9", central_token="t0ken"),
        clock=clock,
        data=tmp_path / "c",
        start_sync=False,
    )
    (d,) = seed(s.desk, clock, [ROW])
    # The centre's answer, as the engine records it (tests/sync covers the real push).
    s.store.outbox.ack([{"seq": 1, "status": "rejected", "reason": "hồ sơ trùng"}])
    s.sync.refresh_conflicts()
    app = build_app(s)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f5")
            await settle(pilot)
            assert "Xung đột: 1" in text(app, "StatusBar")
            table = app.screen.query_one("#rejected", DataTable)
            assert table.row_count == 1 and str(table.get_row_at(0)[1]) == d.code
            table.focus()
            await pilot.press("ctrl+k")
            await settle(pilot)
            assert table.row_count == 0
            assert "Xung đột: 0" in text(app, "StatusBar")
            assert "Cần xử lý: 0" in text(app, "#sync_state")
    finally:
        s.close()
    assert s.store.audit.entries()[-1]["action"] == "resolve_rejected"


def test_the_link_tells_each_listener_until_it_stops_watching(services, clock):
    # Standalone: no engine, yet marking handled is still told (F5 redraws on it).
    link = services.link
    assert not link.configured() and link.status() is None and link.sync_now() is False
    seed(services.desk, clock, [ROW, ("Đỗ Thị Chín", "001190000009", "", "1.004873", NOW, 1)])
    services.store.outbox.ack(
        [{"seq": n, "status": "rejected", "reason": "hồ sơ trùng"} for n in (1, 2)]
    )
    heard: list[Changed] = []
    unwatch = link.watch(heard.append)
    link.resolve_rejected(1)
    assert heard == [Changed.OUTBOX] and [op.seq for op in services.desk.rejected()] == [2]
    unwatch()
    link.resolve_rejected(2)
    assert heard == [Changed.OUTBOX] and services.desk.rejected() == []
