"""End-to-end flows through the real app (Pilot), the real store and, for the offline path,
a real central service on 127.0.0.1."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import DataTable, Input, Label, Static

from counter_tui.domain.status import Action, Status
from counter_tui.launch import make_services
from counter_tui.ui.app import build_app
from counter_tui.ui.screens.dialogs import ConfirmDialog, ReasonDialog, SlipScreen
from counter_tui.ui.screens.help import HelpScreen
from counter_tui.ui.screens.receive import ReceiveScreen
from tests.ui.conftest import NOW, seed, settings


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def pick_procedure(pilot, code: str) -> None:
    app = pilot.app
    app.screen.query_one("#proc", Input).value = code
    await pilot.pause()
    app.screen.query_one("#proc", Input).focus()
    await pilot.press("enter")
    await pilot.pause()


async def tick_all(pilot) -> None:
    screen = pilot.app.screen
    cl = screen.query_one("#checklist")
    cl.focus()
    for i in range(len(screen.documents)):
        cl.index = i
        if not screen.documents[i].received:
            await pilot.press("space")


async def test_receive_with_a_typed_id(app, services):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        screen = app.screen
        assert isinstance(screen, ReceiveScreen)
        screen.query_one("#cid", Input).value = "079185000001"
        await pilot.pause()
        # The first three digits: where the birth was registered (old list), not where she lives.
        assert (
            "Nữ · sinh năm 1985 · Nơi đăng ký khai sinh (mã tỉnh cũ, trước 2025): 079 Hồ Chí Minh"
            in text(app, "#cid_msg")
        )
        screen.query_one("#name", Input).value = "Trần Thị Bình"
        screen.query_one("#phone", Input).value = "0912345678"
        await pick_procedure(pilot, "1.004873")
        assert "1.004873" in text(app, "#proc_info")
        assert "xác nhận tình trạng hôn nhân" in text(app, "#proc_info")
        assert "Hẹn trả kết quả: 09:30 Thứ Hai 30/11/2026" in text(app, "#due")
        await tick_all(pilot)
        assert "Đủ giấy tờ" in text(app, "#checklist_msg")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SlipScreen)
        slip = str(app.screen.query_one("#slip_text", Static).render())
        assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in slip
        assert "000.00.00.H56-261125-10001" in slip and "Trần Thị Bình" in slip
        assert "09 giờ 30 phút, ngày 30/11/2026" in slip
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#cid", Input).value == ""
    store = services.store
    doc = store.dossiers.by_code("000.00.00.H56-261125-10001")
    assert doc["status"] == Status.RECEIVED and doc["applicant"]["full_name"] == "Trần Thị Bình"
    assert store.outbox.pending_count() == 1


async def test_receive_with_a_card_qr_scan(app, services):
    payload = "001203012345|012345678|Nguyen Van An|15042003|Nam|So 1 Hang Bac, Ha Noi|01052021"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        screen = app.screen
        screen.query_one("#cid", Input).value = payload
        screen.query_one("#cid", Input).focus()
        await pilot.press("enter")  # the scanner ends its payload with Enter
        await pilot.pause()
        assert screen.query_one("#cid", Input).value == "001203012345"
        assert screen.query_one("#name", Input).value == "Nguyen Van An"
        assert screen.query_one("#birth", Input).value == "15/04/2003"
        assert screen.query_one("#address", Input).value.startswith("So 1 Hang Bac")
        assert "không có dấu" in text(app, "#name_msg")  # flagged for the clerk to check
        screen.query_one("#name", Input).value = "Nguyễn Văn An"
        await pick_procedure(pilot, "2.000815")
        await tick_all(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SlipScreen)
    doc = services.store.dossiers.of_citizen("001203012345")[0]
    assert doc["applicant"]["birth_date"] == "2003-04-15"
    assert doc["applicant"]["gender"] == "male"
    assert doc["due_at"] == "2026-11-25T17:00:00"  # same-day procedure before 15:00


async def test_incomplete_checklist_offers_the_supplement_request(app, services):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        screen = app.screen
        screen.query_one("#cid", Input).value = "031090123456"
        screen.query_one("#name", Input).value = "Lê Văn Cường"
        await pick_procedure(pilot, "1.004873")
        assert "Còn thiếu" in text(app, "#checklist_msg")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "Mẫu 02" in str(app.screen.query_one("#confirm_body", Static).render())
        await pilot.press("enter")
        await pilot.pause()
        # Form 02 states the reason: the clerk is asked for it.
        assert isinstance(app.screen, ReasonDialog)
        app.screen.query_one("#reason", Input).value = "Bản sao chưa được chứng thực"
        await pilot.press("enter")
        await pilot.pause()
        slip = str(app.screen.query_one("#slip_text", Static).render())
        assert "PHIẾU YÊU CẦU BỔ SUNG" in slip
        assert "Lý do: Bản sao chưa được chứng thực" in " ".join(slip.split())
    doc = services.store.dossiers.of_citizen("031090123456")[0]
    assert doc["status"] == Status.AWAITING_SUPPLEMENT
    assert doc["missing"] and doc["due_at"] is None


async def test_bad_input_shows_a_message_and_saves_nothing(app, services):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        screen = app.screen
        screen.query_one("#cid", Input).value = "00120301234"
        await pilot.pause()
        assert "11/12" in text(app, "#cid_msg")
        screen.query_one("#cid", Input).value = "003203012345"
        await pilot.pause()
        assert "Mã tỉnh 003" in text(app, "#cid_msg")
        screen.query_one("#phone", Input).value = "12ab"
        screen.query_one("#birth", Input).value = "31/02/2001"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReceiveScreen)
        msg = text(app, "#save_msg")
        assert "Chưa lưu" in msg and "Số CCCD" in msg and "Họ tên" in msg and "Thủ tục" in msg
        assert "Điện thoại" in msg and "Ngày sinh" in msg
        assert "không hợp lệ" in text(app, "#phone_msg")  # under the phone, not the address
        await pilot.press("ctrl+r")  # refusing needs valid input too
        await pilot.pause()
        assert isinstance(app.screen, ReceiveScreen)
    assert services.store.dossiers.count() == 0
    assert services.store.outbox.pending_count() == 0


async def _lookup(pilot, query: str) -> list[str]:
    app = pilot.app
    app.screen.query_one("#query", Input).value = query
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    table = app.screen.query_one("#results", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_lookup_by_each_key_with_and_without_diacritics(app, services, clock):
    d1, d2, _d3 = seed(
        services.desk,
        clock,
        [
            (
                "Nguyễn Văn An",
                "001203012345",
                "0912345678",
                "1.004873",
                datetime(2026, 11, 20, 9),
                2,
            ),
            (
                "Đặng Thị Ánh",
                "079185000001",
                "0987654321",
                "2.000815",
                datetime(2026, 11, 21, 9),
                9,
            ),
            (
                "Nguyễn Văn Anh",
                "031090123456",
                "0911111111",
                "1.004873",
                datetime(2026, 11, 22, 9),
                4,
            ),
        ],
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        assert await _lookup(pilot, d1.code) == [d1.code]
        assert await _lookup(pilot, "001203012345") == [d1.code]
        assert await _lookup(pilot, "0987 654 321") == [d2.code]
        assert await _lookup(pilot, "dang thi anh") == [d2.code]
        assert await _lookup(pilot, "ĐẶNG THỊ ÁNH") == [d2.code]
        assert set(await _lookup(pilot, "nguyen van an")) >= {d1.code}
        assert len(await _lookup(pilot, "nguyen van")) == 2
        assert await _lookup(pilot, "không có ai") == []
        assert "Không tìm thấy" in text(app, "#lookup_msg")
        # filters: ready to hand over
        app.screen.query_one("#query", Input).value = ""
        await pilot.press("ctrl+f")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#results", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [d2.code]
        # Enter opens the dossier
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert d2.code in text(app, "#summary")
        assert "Mới có ở quầy này" in text(app, "#summary")


async def _hand_over(pilot, code: str) -> str:
    app = pilot.app
    await pilot.press("f4")
    app.screen.query_one("#ho_key", Input).value = code
    app.screen.query_one("#ho_key", Input).focus()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(app.screen, SlipScreen), text(app, "#ho_msg")
    slip = str(app.screen.query_one("#slip_text", Static).render())
    await pilot.press("escape")
    return slip


async def test_hand_over_on_time_and_late(app, services, clock):
    on_time, late, not_ready = seed(
        services.desk,
        clock,
        [
            (
                "Phạm Thị Dung",
                "001185000123",
                "0912000001",
                "1.004873",
                datetime(2026, 11, 19, 9, 30),
                4,
            ),
            ("Võ Văn Em", "048090000002", "0912000002", "1.004873", datetime(2026, 11, 16, 9), 4),
            (
                "Hồ Thị Giang",
                "036185000321",
                "0912000003",
                "1.004873",
                datetime(2026, 11, 23, 9),
                4,
            ),
        ],
    )
    # 19/11 + 3 working days = 25/11 (24/11 is a holiday): ready today, on time;
    # 16/11 + 3 = 19/11, ready 20/11: late. Judged when the result is ready (docs/reports.md).
    for d, ready_at in ((on_time, NOW), (late, datetime(2026, 11, 20, 10))):
        clock.now = ready_at
        services.desk.act(d.uid, Action.RESULT_BACK, data={"unit": "Tư pháp"})
    clock.now = NOW
    async with app.run_test(size=(120, 40)) as pilot:
        slip = await _hand_over(pilot, on_time.code)
        assert "GIẤY BIÊN NHẬN TRẢ KẾT QUẢ" in slip and "Đúng hạn" in slip
        slip = await _hand_over(pilot, late.code)
        assert "Trễ hạn" in slip
        await pilot.press("f4")
        app.screen.query_one("#ho_key", Input).value = not_ready.code
        app.screen.query_one("#ho_key", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "Chưa có kết quả" in text(app, "#ho_info")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Chưa trả" in text(app, "#ho_msg")
    store = services.store
    assert store.dossiers.by_code(on_time.code)["status"] == Status.RETURNED
    assert store.dossiers.by_code(late.code)["handover"]["receiver_name"] == "Võ Văn Em"
    assert store.dossiers.by_code(not_ready.code)["status"] == Status.PROCESSING


async def test_help_is_generated_from_the_real_bindings(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help_keys", DataTable)
        rows = {str(table.get_row_at(i)[2]) for i in range(table.row_count)}
        assert {"save", "refuse", "receive", "lookup", "hand_over", "sync"} <= rows
        await pilot.press("escape")
        assert isinstance(app.screen, ReceiveScreen)


async def test_keys_are_remapped_by_binding_id(tmp_path, clock):
    keys = {"receive": "f9", "filter_overdue": "f7", "reschedule": "f8"}
    s = make_services(settings(keys=keys), clock=clock, data=tmp_path / "c", start_sync=False)
    (late,) = seed(
        s.desk, clock, [("Lê Văn Cường", "031090123456", "", "1.004873", datetime(2026, 11, 2), 2)]
    )
    app = build_app(s)
    async with app.run_test(size=(120, 40)) as pilot:
        # The lookup's hint names the keys that work, remapped ones included.
        await pilot.press("f3")
        await pilot.pause()
        hint = str(app.screen.query_one("#filter_label", Label).render())
        assert "F7 quá hạn" in hint and "Ctrl+T hạn hôm nay" in hint, hint
        await pilot.press("f7")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#results", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [late.code]
        # So does the dossier's line of what can be done now.
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "F8 Xin lỗi, hẹn lại" in text(app, "#actions")
        await pilot.press("escape", "f9")
        await pilot.pause()
        assert isinstance(app.screen, ReceiveScreen)
    s.close()


async def test_command_palette_lists_the_actions(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"
        await pilot.press(*"tiep nhan")
        # The palette searches in a worker: wait for its first answer (a loaded CI
        # machine may take longer than any fixed pause), at most 10 s.
        from textual.widgets import OptionList

        for _ in range(200):
            await pilot.pause(0.05)
            if app.screen.query_one(OptionList).option_count:
                break
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReceiveScreen)


async def test_offline_path_with_a_real_central_service(tmp_path, clock):
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
    ready = seed(
        s.desk,
        clock,
        [
            (
                "Bùi Thị Hoa",
                "040172830833",
                "0912000009",
                "1.004873",
                datetime(2026, 11, 19, 10),
                9,
            ),
        ],
    )[0]
    assert s.sync.sync_once()
    app = build_app(s)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            central.stop()
            s.sync.sync_once()
            app.refresh_status()
            await pilot.pause()
            bar = str(app.screen.query_one("StatusBar").render())
            assert "Mất kết nối" in bar and "Chờ gửi: 0" in bar
            # receive still works
            await pilot.press("f2")
            screen = app.screen
            screen.query_one("#cid", Input).value = "079185000001"
            screen.query_one("#name", Input).value = "Trần Thị Bình"
            await pick_procedure(pilot, "2.000884")
            await tick_all(pilot)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, SlipScreen)
            await pilot.press("escape")
            # hand over still works
            await _hand_over(pilot, ready.code)
            app.refresh_status()
            await pilot.pause()
            assert "Chờ gửi: 2" in str(app.screen.query_one("StatusBar").render())
            central.start()
            await pilot.press("f5")
            await pilot.press("ctrl+y")
            await pilot.pause()
            await app.workers.wait_for_complete()
            app.refresh_status()
            await pilot.pause()
            bar = str(app.screen.query_one("StatusBar").render())
            assert "Trực tuyến" in bar and "Chờ gửi: 0" in bar
        assert central.db.dossiers.by_code(OFFICE, ready.code)[0]["status"] == Status.RETURNED
        assert central.db.dossiers.count() == 2
    finally:
        central.stop()
        s.close()


async def test_a_lookup_that_misses_locally_asks_the_centre_when_online(tmp_path, clock):
    from tests.support.central import OFFICE, CentralProcess
    from tests.support.counter import make_counter

    central = CentralProcess(tmp_path / "central.sqlite3")
    central.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    q1, t1 = central.db.clients.add(OFFICE, "Q1")
    q2, t2 = central.db.clients.add(OFFICE, "Q2")
    central.start()
    s = make_services(
        settings(central_url=central.url, central_token=t1, slot=q1.slot),
        clock=clock,
        data=tmp_path / "c",
        start_sync=False,
    )
    assert s.sync.sync_once()  # Q1 is online ...
    other = make_counter(tmp_path / "q2", central.url, t2, q2.slot, name="Q2")
    theirs = other.receive("Mai Thị Xuân", "001185000777")
    assert other.engine.sync_once()  # ... and Q2's new dossier is at the centre, not yet at Q1
    assert s.store.dossiers.by_code(theirs.code) is None
    app = build_app(s)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f3")
            assert await _lookup(pilot, theirs.code) == [theirs.code]
            assert "trung tâm" in text(app, "#lookup_msg")
        assert s.store.dossiers.by_code(theirs.code)["_sync"]["confirmed"] is True
    finally:
        other.close()
        central.stop()
        s.close()


async def test_english_is_selectable(tmp_path, clock):
    from counter_tui.ui.i18n import set_language

    s = make_services(settings(language="en"), clock=clock, data=tmp_path / "c", start_sync=False)
    app = build_app(s)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f2")
            screen = app.screen
            labels = " ".join(str(w.render()) for w in screen.query(".lbl"))
            assert "Full name" in labels and "Procedure" in labels
            screen.query_one("#cid", Input).value = "00120301234a"
            await pilot.pause()
            assert "digits only" in text(app, "#cid_msg")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert "Not saved" in text(app, "#save_msg")
    finally:
        set_language("vi")
        s.close()
