"""Attaching scans on the screens (Pilot): F2 from the scanner folder and by path, refusals,
the reason asked when a required scan is lacking; the dossier screen's files."""

from __future__ import annotations

from textual.widgets import Input, Static

from counter_tui.ui.app import build_app
from counter_tui.ui.screens.dialogs import ReasonDialog, SlipScreen
from counter_tui.ui.screens.scan_dialog import ScanDialog
from tests.support.scans import jpeg_bytes, pdf_bytes, png_bytes, write
from tests.ui.test_flows import pick_procedure, text, tick_all


async def _fill(pilot):
    screen = pilot.app.screen
    screen.query_one("#cid", Input).value = "079185000001"
    screen.query_one("#name", Input).value = "Trần Thị Bình"
    screen.query_one("#phone", Input).value = "0912345678"
    await pick_procedure(pilot, "1.004873")
    await tick_all(pilot)


async def _open_scan(pilot, index):
    cl = pilot.app.screen.query_one("#checklist")
    cl.focus()
    cl.index = index
    await pilot.press("f")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ScanDialog)


async def _settle(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def test_f2_attach_from_scanner_folder_and_by_path_refusal_and_reason(svc, tmp_path):
    app = build_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await _fill(pilot)
        screen = app.screen
        required = [i for i, d in enumerate(screen.documents) if d.required]
        assert len(required) >= 2
        assert "chưa quét" in text(app, "#checklist_msg")
        # A scan appears in the scanner folder after the form was opened.
        write(tmp_path / "scan", "scan0001.pdf", pdf_bytes(2))
        await _open_scan(pilot, required[0])
        assert "scan0001.pdf" in str(
            app.screen.query_one("#scan_list").get_option_at_index(0).prompt
        )
        await pilot.press("enter")
        await _settle(pilot)
        assert app.screen is screen
        assert screen.documents[required[0]].files[0]["pages"] == 2
        assert "Đã đính kèm scan0001.pdf (PDF, 2 trang" in text(app, "#save_msg")
        # A notice too, naming the item: the message line may be below the fold.
        notices = [str(n.message) for n in app._notifications]
        assert any("scan0001.pdf" in n and screen.documents[required[0]].name in n for n in notices)
        # A file whose name lies is refused in Vietnamese; nothing changes.
        bad = write(tmp_path, "cmnd.pdf", jpeg_bytes())
        await _open_scan(pilot, required[1])
        app.screen.query_one("#scan_path", Input).value = str(bad)
        app.screen.query_one("#scan_path", Input).focus()
        await pilot.press("enter")
        await _settle(pilot)
        assert isinstance(app.screen, ScanDialog)
        msg = str(app.screen.query_one("#scan_msg", Static).render())
        assert "Không đính kèm" in msg and "mang đuôi PDF nhưng nội dung là JPEG" in msg
        await pilot.press("escape")
        await pilot.pause()
        assert screen.documents[required[1]].files == []
        # Saving with a required scan lacking asks why; the reason is kept.
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ReasonDialog)
        app.screen.query_one("#reason", Input).value = "Máy quét hỏng"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SlipScreen)
    doc = svc.store.dossiers.by_code("000.00.00.H56-261125-10001")
    assert doc["documents"][required[0]]["files"][0]["name"] == "scan0001.pdf"
    assert doc["events"][-1]["data"]["digitisation"]["reason"] == "Máy quét hỏng"
    assert len(svc.store.files.pending_files()) == 1


async def test_x_marks_shown_papers_that_need_no_scan(svc):
    app = build_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await _fill(pilot)
        screen = app.screen
        cl = screen.query_one("#checklist")
        cl.focus()
        for i, d in enumerate(screen.documents):
            if d.required:
                cl.index = i
                await pilot.press("x")
        assert "chưa quét" not in text(app, "#checklist_msg")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SlipScreen)  # no reason asked


async def test_scan_keys_are_hidden_where_the_counter_does_not_digitise(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await _fill(pilot)
        app.screen.query_one("#checklist").focus()
        await pilot.press("f")
        await pilot.pause()
        assert not isinstance(app.screen, ScanDialog)


async def test_dossier_screen_attach_later_lists_files_and_enter_opens_one(svc, tmp_path):
    from textual.widgets import DataTable

    from counter_tui.domain.dossier import Applicant
    from counter_tui.ui.screens.dialogs import ChoicePicker
    from counter_tui.ui.screens.dossier import DossierScreen

    d = svc.desk.draft("1.004873", Applicant("Nguyễn Văn An", citizen_id="001203012345"))
    for item in d.documents:
        item.received = True
    d = svc.desk.receive(d, scan_reason="Máy quét hỏng")
    # No viewer is launched in tests: the command that would run is recorded instead.
    opened: list[list[str]] = []
    svc.scans.launch = opened.append
    data = pdf_bytes(3)
    path = write(tmp_path, "bo-sung.pdf", data)
    app = build_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(DossierScreen(d.uid))
        await pilot.pause()
        assert not app.screen.query_one("#files", DataTable).display  # no scans yet
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, ChoicePicker) and app.screen.list_id == "items"
        await pilot.press("enter")  # the first document
        await pilot.pause()
        assert isinstance(app.screen, ScanDialog)
        app.screen.query_one("#scan_path", Input).value = str(path)
        app.screen.query_one("#scan_path", Input).focus()
        await pilot.press("enter")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, DossierScreen)
        table = screen.query_one("#files", DataTable)
        assert table.display and table.row_count == 1
        row = [str(c) for c in table.get_row_at(0)]
        assert row[1] == "bo-sung.pdf" and row[2].startswith("PDF, 3 trang")
        events = screen.query_one("#events", DataTable)
        steps = [str(events.get_row_at(i)[1]) for i in range(events.row_count)]
        assert steps[-1] == "Đính kèm bản số hóa"
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
    assert len(opened) == 1 and opened[0][0] in ("xdg-open", "open", "cmd")
    from pathlib import Path

    assert Path(opened[0][-1]).read_bytes() == data
    saved = svc.desk.dossier(d.uid)
    assert saved.events[-1].action == "attach" and saved.events[-1].actor == "canbo01"


def _receive(svc, tmp_path, *, scanned: bool, n: int):
    from counter_tui.domain.dossier import Applicant

    d = svc.desk.draft("1.004873", Applicant(f"Công dân {n}", citizen_id=f"00120301234{n}"))
    for i, item in enumerate(d.documents):
        item.received = True
        if scanned and item.required:
            p = svc.scans.prepare(write(tmp_path / "in", f"d{n}-{i}.pdf", pdf_bytes(1 + n + i)))
            svc.scans.add_to_draft(d, i, p)
    return svc.desk.receive(d, scan_reason="" if scanned else "Máy quét hỏng")


async def test_f5_files_waiting_f6_rates_export_and_slip_01(svc, tmp_path):
    import csv
    from datetime import date

    from textual.widgets import DataTable

    from counter_tui.slips.render_text import render_text

    done = _receive(svc, tmp_path, scanned=True, n=1)
    _receive(svc, tmp_path, scanned=False, n=2)
    waiting = svc.store.files.pending_files()
    app = build_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        from counter_tui.domain.files import size_text

        size = size_text(sum(s for _, s in waiting))
        assert f"Bản số hóa chờ gửi: {len(waiting)} tệp · {size}" in text(app, "#sync_state")
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#r_digit", DataTable)
        assert table.display
        first = [str(c) for c in table.get_row_at(0)]
        # Two received that needed scans, one scanned whole: 50 %; nothing handed over yet.
        assert first[0] == "1.004873" and first[2:7] == ["2", "1", "50,0%", "0", "0"]
    rows, total = svc.paperwork.digitisation(date(2026, 11, 1), date(2026, 11, 30), None)
    assert (total.received, total.digitised, total.exempt) == (2, 1, 0)
    svc.paperwork.export(date(2026, 11, 1), date(2026, 11, 30), None)
    path = tmp_path / "out" / "bao-cao" / "so-hoa-20261101-20261130.csv"
    with path.open(encoding="utf-8-sig") as f:
        lines = list(csv.reader(f))
    assert lines[1][:5] == ["1.004873", rows[0].procedure_name, "2", "1", "50.0"]
    assert lines[-1][1] == "Tổng cộng"
    slip = render_text(svc.paperwork.slip("01", done.uid))
    assert "(đã số hóa)" in slip


async def test_f4_f8_scans_the_result_at_hand_over(svc, tmp_path):
    from counter_tui.domain.status import Action
    from counter_tui.ui.screens.hand_over import HandOverScreen

    d = _receive(svc, tmp_path, scanned=False, n=3)
    svc.desk.act(d.uid, Action.RESULT_READY)
    result = write(tmp_path, "ket-qua.pdf", pdf_bytes(1))
    app = build_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_hand_over(d.code)
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HandOverScreen) and screen.dossier is not None
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, ScanDialog)
        app.screen.query_one("#scan_path", Input).value = str(result)
        app.screen.query_one("#scan_path", Input).focus()
        await pilot.press("enter")
        await _settle(pilot)
        assert app.screen is screen
        assert "Đã đính kèm bản quét kết quả ket-qua.pdf" in text(app, "#ho_msg")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SlipScreen)
    saved = svc.desk.dossier(d.uid)
    assert saved.status == 10 and saved.result_files[0]["name"] == "ket-qua.pdf"
    assert [e.action for e in saved.events][-2:] == ["attach", "hand_over"]


async def test_a_page_scanned_while_the_dialog_is_open_is_listed(svc, tmp_path):
    app = build_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await _fill(pilot)
        required = [i for i, d in enumerate(app.screen.documents) if d.required]
        await _open_scan(pilot, required[0])
        dialog = app.screen
        listing = dialog.query_one("#scan_list")
        # Empty, and saying why: nothing new since the dossier was opened.
        assert listing.option_count == 1 and listing.get_option_at_index(0).disabled
        assert "Chưa có tệp mới trong thư mục máy quét" in str(
            listing.get_option_at_index(0).prompt
        )
        write(tmp_path / "scan", "moi.pdf", pdf_bytes(1))
        # The dialog looks every 2 s; called here instead of waiting on the clock.
        dialog._rescan_if_new()
        await pilot.pause()
        assert dialog.query_one("#scan_list").option_count == 1
        assert "moi.pdf" in str(dialog.query_one("#scan_list").get_option_at_index(0).prompt)
        assert dialog.focused is dialog.query_one("#scan_path")  # typing is not interrupted


async def test_the_scan_dialog_warns_before_the_room_for_scans_fills(svc, tmp_path):
    svc.store.files.budget_bytes = 2_000
    p = svc.scans.prepare(write(tmp_path, "a.png", png_bytes() + b"\0" * 1_700))
    with svc.store.transaction():
        svc.store.files.register(p.sha, p.facts.size, "t")
    app = build_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await _fill(pilot)
        await _open_scan(pilot, next(i for i, d in enumerate(app.screen.documents) if d.required))
        room = str(app.screen.query_one("#scan_room", Static).render())
        assert "Bộ nhớ bản số hóa đã dùng" in room and "budget_mb" in room
