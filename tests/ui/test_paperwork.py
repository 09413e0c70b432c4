"""The one-stop cycle at the counter (transfer, result back, apology, withdrawal, supplement),
printing slips with F10, and the F6 report with its exports, through the real app."""

from __future__ import annotations

import csv
import sys
from datetime import datetime

import openpyxl
import pypdf
from textual.widgets import DataTable, Input, OptionList, Static

from counter_tui.domain.status import Action, Status
from counter_tui.ui.screens.dialogs import ChoicePicker, FieldsDialog, ReasonDialog, SlipScreen
from counter_tui.ui.screens.dossier import DossierScreen
from counter_tui.ui.screens.report import ReportScreen
from tests.ui.conftest import NOW, seed


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def fill(pilot, **values: str) -> None:
    """Type into a FieldsDialog's inputs and press Enter on the last one."""
    screen = pilot.app.screen
    assert isinstance(screen, FieldsDialog)
    for key, value in values.items():
        screen.query_one(f"#f_{key}", Input).value = value
    last = list(screen.query(Input))[-1]
    last.focus()
    await pilot.press("enter")
    await pilot.pause()


def one(services, clock, status=2, at=datetime(2026, 11, 16, 9, 0)):
    return seed(
        services.desk,
        clock,
        [("Đặng Thị Ngọc Ánh", "001203012345", "0912345678", "1.004873", at, status)],
    )[0]


async def test_transfer_and_result_back_record_form_05_rows(app, services, clock):
    d = one(services, clock)
    async with app.run_test(size=(130, 45)) as pilot:
        app.push_screen(DossierScreen(d.uid))
        await pilot.pause()
        await pilot.press("ctrl+t")
        await fill(pilot, unit="", person="Đỗ Văn Bảy")
        # Refused on screen, under the unit's field, the cursor put there; nothing saved.
        assert "Cần ghi đơn vị" in text(app, "#f_unit_msg")
        assert app.focused is app.screen.query_one("#f_unit", Input)
        assert services.desk.dossier(d.uid).status == Status.RECEIVED
        await fill(pilot, unit="Công chức Tư pháp - Hộ tịch", person="Đỗ Văn Bảy")
        doc = services.desk.dossier(d.uid)
        assert doc.status == Status.PROCESSING
        assert doc.events[-1].data == {
            "unit": "Công chức Tư pháp - Hộ tịch",
            "person": "Đỗ Văn Bảy",
        }
        await pilot.press("ctrl+n")
        # The unit comes back from where it went: prefilled.
        assert app.screen.query_one("#f_unit", Input).value == "Công chức Tư pháp - Hộ tịch"
        await fill(pilot, person="Đỗ Văn Bảy")
        assert services.desk.dossier(d.uid).status == Status.READY
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ChoicePicker) and app.screen.list_id == "forms"
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        # Received in November 2026: the TT 03/2025 set, where the control slip is form 06.
        assert ids == ["01", "06"]
        options.highlighted = 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SlipScreen)
        slip = text(app, "#slip_text")
        assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in slip
        assert "Đỗ Văn Bảy" in slip and "Quá hạn" in slip  # back 25/11, due 19/11
        rows = app.screen.slip.rows["control"]
        assert [r["receiver_unit"] for r in rows] == [
            "Công chức Tư pháp - Hộ tịch",
            "Bộ phận tiếp nhận và trả kết quả",
        ]


async def test_the_apology_dialog_puts_each_error_under_its_field_and_the_cursor_there(
    app, services, clock
):
    """Issue 21: the apology dialog's message was at its bottom, the cursor left on the
    field last typed in; now each message is under the field at fault, which gets the cursor,
    and a message goes once its field is fixed."""
    d = one(services, clock)  # received Mon 16/11 09:00, due Thu 19/11 09:00
    async with app.run_test(size=(130, 45)) as pilot:
        app.push_screen(DossierScreen(d.uid))
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        dialog = app.screen
        await fill(pilot, new_due="31/02/2026", reason="Chờ xác minh")  # Enter on the reason
        assert "không hợp lệ" in text(app, "#f_new_due_msg")
        assert text(app, "#f_reason_msg") == ""
        assert app.focused is dialog.query_one("#f_new_due", Input)
        await fill(pilot, new_due="27/11/2026", reason="")
        assert "Cần ghi lý do" in text(app, "#f_reason_msg")
        assert text(app, "#f_new_due_msg") == ""  # the date is right now: its message went
        assert app.focused is dialog.query_one("#f_reason", Input)
        assert app.screen is dialog and services.desk.dossier(d.uid).reschedules == 0


async def test_apology_once_with_a_checked_new_date_and_its_slip(app, services, clock):
    d = one(services, clock)  # received Mon 16/11 09:00, due Thu 19/11 09:00
    async with app.run_test(size=(130, 45)) as pilot:
        app.push_screen(DossierScreen(d.uid))
        await pilot.pause()
        actions = text(app, "#actions")
        assert "Ctrl+R Xin lỗi, hẹn lại" in actions and "F10 In phiếu" in actions
        assert "Ctrl+G" not in actions  # nothing to hand over before the result is back
        await pilot.press("ctrl+r")
        shown = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "[Enter] ô tiếp theo / xác nhận" in shown and "[Esc] Quay lại" in shown
        for bad, says in [
            ("31/02/2026", "không hợp lệ"),
            ("28/11/2026", "không phải ngày làm việc"),  # a Saturday
            ("18/11/2026", "phải sau hẹn hiện tại"),
        ]:
            await fill(pilot, new_due=bad, reason="Chờ xác minh")
            assert says in text(app, "#f_new_due_msg"), bad
        assert services.desk.dossier(d.uid).reschedules == 0
        await fill(pilot, new_due="27/11/2026", reason="Chờ UBND huyện xác minh")
        assert isinstance(app.screen, SlipScreen)
        slip = text(app, "#slip_text")
        # Received in November 2026: the TT 03/2025 form 04 and its title.
        assert "PHIẾU XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in slip
        assert "Chờ UBND huyện xác minh" in slip and "27 tháng 11 năm 2026" in slip
        doc = services.desk.dossier(d.uid)
        assert doc.due_at == "2026-11-27T09:00:00" and doc.reschedules == 1
        await pilot.press("escape")
        await pilot.pause()
        # Once per dossier: the key is now disabled and does nothing.
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, DossierScreen)
        assert services.desk.dossier(d.uid).reschedules == 1
        assert "Ctrl+R" not in text(app, "#actions")
        pending = services.store.outbox.pending()
        assert pending[-1]["action"] == Action.RESCHEDULE.value


async def test_withdrawal_and_supplement_received_at_the_counter(app, services, clock):
    d = one(services, clock)
    w = one(services, clock, at=datetime(2026, 11, 17, 9, 0))
    services.desk.act(d.uid, Action.REQUEST_SUPPLEMENT, data={"missing": ["Tờ khai"]})
    async with app.run_test(size=(130, 45)) as pilot:
        app.push_screen(DossierScreen(d.uid))
        await pilot.pause()
        clock.now = datetime(2026, 11, 26, 10, 0)
        await pilot.press("ctrl+b")
        await pilot.pause()
        doc = services.desk.dossier(d.uid)
        assert doc.status == Status.RECEIVED
        # The clock stopped while waiting: the due date moved later than the first one.
        assert doc.due_at > doc.original_due_at
        await pilot.press("escape")
        app.push_screen(DossierScreen(w.uid))
        await pilot.pause()
        await pilot.press("ctrl+w")
        await pilot.pause()
        assert isinstance(app.screen, ReasonDialog)
        app.screen.query_one("#reason", Input).value = "Công dân xin rút để bổ sung sau"
        await pilot.press("enter")
        await pilot.pause()
        doc = services.desk.dossier(w.uid)
        assert doc.status == Status.WITHDRAWN and doc.reason.startswith("Công dân xin rút")


async def test_f10_saves_the_receipt_pdf_and_a_printer_command_gets_it(
    app, services, clock, tmp_path
):
    d = one(services, clock)
    copy = tmp_path / "printer-got.pdf"
    async with app.run_test(size=(130, 45)) as pilot:
        app.push_screen(SlipScreen(services.paperwork.slip("01", d.uid)))
        await pilot.pause()
        await pilot.press("f10")
        await app.workers.wait_for_complete()
        await pilot.pause()
        saved = app.screen.delivered
        assert saved is not None and not saved.printed
        assert str(saved.path).startswith(str(tmp_path / "out"))
        assert "Đã lưu phiếu" in text(app, "#slip_status")
        reader = pypdf.PdfReader(saved.path)
        assert d.code in reader.pages[0].extract_text().replace("\n", "")
        services.settings.print_commands = {
            "linux": [
                sys.executable,
                "-c",
                "import shutil,sys; shutil.copy(*sys.argv[1:])",
                "{file}",
                str(copy),
            ],
            "windows": [
                sys.executable,
                "-c",
                "import shutil,sys; shutil.copy(*sys.argv[1:])",
                "{file}",
                str(copy),
            ],
            "macos": [
                sys.executable,
                "-c",
                "import shutil,sys; shutil.copy(*sys.argv[1:])",
                "{file}",
                str(copy),
            ],
        }
        await pilot.press("f10")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.delivered.printed and copy.exists()
        services.settings.print_commands = {
            k: ["khong-co-may-in"] for k in ("linux", "windows", "macos")
        }
        await pilot.press("f10")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Không tìm thấy lệnh in" in text(app, "#slip_status")


def report_fixture(services, clock):
    rows = [
        # received 16/11 (due 19/11): handed back on time / late / still open (overdue)
        ("Lê Văn Một", "001203000001", "0900000001", "1.004873", datetime(2026, 11, 16, 9), 9),
        ("Lê Văn Hai", "001203000002", "0900000002", "1.004873", datetime(2026, 11, 16, 10), 4),
        ("Lê Văn Ba", "001203000003", "0900000003", "1.004873", datetime(2026, 11, 24, 9), 2),
        ("Lê Văn Bốn", "001203000004", "0900000004", "1.001193", datetime(2026, 11, 3, 9), 9),
    ]
    return seed(services.desk, clock, rows)


async def test_report_screen_figures_overdue_list_and_exports(app, services, clock, tmp_path):
    docs = report_fixture(services, clock)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        summary = text(app, "#r_summary")
        assert "Kỳ báo cáo 01/11/2026 – 25/11/2026" in summary
        assert "Tiếp nhận: 4" in summary
        # Seeded as ready at the moment of receipt: #1 (due 19/11) early, #4 (same-day) on time.
        assert "trước hạn 1, đúng hạn 1, trễ hạn 0" in summary and "100,00%" in summary
        assert "trong hạn 1, quá hạn 1" in summary  # #3 due 27/11; #2 due 19/11
        assert "Trước hạn" in text(app, "#r_chart") and "█" in text(app, "#r_chart")
        overdue = screen.query_one("#r_overdue", DataTable)
        assert overdue.row_count == 1
        assert str(overdue.get_row_at(0)[0]) == docs[1].code
        overdue.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DossierScreen) and app.screen.uid == docs[1].uid
        await pilot.press("escape")
        await pilot.pause()
        screen.query_one("#r_from", Input).value = "32/11/2026"
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert "không hợp lệ" in text(app, "#r_msg")
        screen.query_one("#r_from", Input).value = "01/11/2026"
        screen.query_one("#r_from", Input).focus()  # the key must work from a date field too
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Đã xuất" in text(app, "#r_msg")
    folder = tmp_path / "out" / "bao-cao"
    with (folder / "tong-hop-20261101-20261125.csv").open(encoding="utf-8-sig") as f:
        summary_rows = list(csv.reader(f))
    assert ["Tiếp nhận trong kỳ", "4"] in summary_rows and [
        "Tỷ lệ đúng hạn (%)",
        "100.0",
    ] in summary_rows
    wb = openpyxl.load_workbook(folder / "bao-cao-20261101-20261125.xlsx")
    assert wb.sheetnames == ["tong-hop", "theo-thu-tuc", "qua-han", "so-hoa", "so-theo-doi"]

    def norm(v):  # a spreadsheet reads 100.0 back as 100: compare numbers as numbers
        try:
            return float(v)
        except (TypeError, ValueError):
            return "" if v is None else str(v)

    for sheet in wb.sheetnames:
        with (folder / f"{sheet}-20261101-20261125.csv").open(encoding="utf-8-sig") as f:
            from_csv = [[norm(v) for v in row] for row in csv.reader(f)]
        from_xlsx = [[norm(v) for v in row] for row in wb[sheet].iter_rows(values_only=True)]
        assert from_csv == from_xlsx, sheet
    book = [r for r in wb["so-theo-doi"].iter_rows(values_only=True)][1:]
    assert sorted(r[1] for r in book) == sorted(d.code for d in docs)
    # The owner's column: its place differs between the TT 01/2018 and TT 03/2025 books.
    owner = next(wb["so-theo-doi"].iter_rows(values_only=True)).index("Tên cá nhân, tổ chức")
    assert any(r[owner] == "Lê Văn Bốn" for r in book)  # names with diacritics intact
    assert wb["qua-han"].cell(2, 1).value == docs[1].code


async def test_the_tracking_book_from_the_report_screen(app, services, clock):
    docs = report_fixture(services, clock)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.press("f10")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SlipScreen)
        book = text(app, "#slip_text")
        assert "SỔ THEO DÕI HỒ SƠ" in book and "4 hồ sơ" in book
        assert all(d.code[-6:] in book for d in docs)
    assert NOW.month == 11


async def test_a_result_handed_back_after_an_apology_still_counts_late(app, services, clock):
    """The apology admits lateness: F4 and the return receipt say 'Trễ hạn', with the apology
    noted, even when the new date is met (the same rule as the F6 report)."""
    from tests.ui.test_flows import _hand_over

    d = one(services, clock)  # due 19/11
    new_due = services.desk.reschedule_date(d.uid, "27/11/2026")
    services.desk.act(
        d.uid, Action.RESCHEDULE, note="Chờ xác minh", data={"new_due": new_due.isoformat()}
    )
    services.desk.act(d.uid, Action.TRANSFER, data={"unit": "Tư pháp"})
    services.desk.act(d.uid, Action.RESULT_BACK, data={"unit": "Tư pháp"})  # 25/11, before 27/11
    async with app.run_test(size=(130, 45)) as pilot:
        await pilot.press("f4")
        app.screen.query_one("#ho_key", Input).value = d.code
        app.screen.query_one("#ho_key", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "Có kết quả lúc 09:30 25/11/2026: Trễ hạn (đã xin lỗi, hẹn lại)" in text(
            app, "#ho_info"
        )
        slip = await _hand_over(pilot, d.code)
        assert "Kết quả: Trễ hạn" in slip


async def test_closing_the_slip_before_the_pdf_is_ready_still_saves_and_says_so(
    app, services, clock, tmp_path
):
    d = one(services, clock)
    async with app.run_test(size=(130, 45)) as pilot:
        app.push_screen(SlipScreen(services.paperwork.slip("01", d.uid)))
        await pilot.pause()
        await pilot.press("f10", "escape")  # Esc at once, while the worker renders
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, SlipScreen)
        assert list((tmp_path / "out" / "phieu").glob("mau01-*.pdf"))


async def test_opening_f6_computes_once_and_choosing_all_offices_recomputes(app, services, clock):
    from textual.widgets import Select

    report_fixture(services, clock)
    calls = []
    real = services.paperwork.report

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    services.paperwork.report = counted  # a spy on the real use case, nothing replaced
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(calls) == 1 and calls[0][2] == "000.00.00.H56"
        app.screen.query_one("#r_office", Select).value = "__all__"
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(calls) == 2 and calls[1][2] is None
        assert "tất cả cơ quan" in text(app, "#r_summary")
        assert "Tiếp nhận: 4" in text(app, "#r_summary")


async def test_f6_figures_add_up_with_supplements_at_the_counter_apart(app, services, clock):
    """The demo's F6 said received 276 but resolved + open + supplement 303: the citizens
    asked at the counter to complete their papers (never received) were counted in
    "Chờ bổ sung". Hand count, 01-25/11: received #1-#4; resolved #1 #4; in progress #2
    (overdue) and #3 (received, then asked for a supplement); Nga asked at the counter."""
    from counter_tui.domain.dossier import Applicant

    docs = report_fixture(services, clock)
    clock.now = datetime(2026, 11, 25, 8, 0)
    services.desk.act(docs[2].uid, Action.REQUEST_SUPPLEMENT, data={"missing": ["Tờ khai"]})
    clock.now = datetime(2026, 11, 20, 9, 0)
    d = services.desk.draft("1.004873", Applicant("Vũ Thị Nga", citizen_id="001203000005"))
    services.desk.receive(d, outcome=Action.REQUEST_SUPPLEMENT)
    clock.now = NOW
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = text(app, "#r_summary")
    assert "Tồn kỳ trước: 0   Tiếp nhận: 4" in summary
    assert "Đã giải quyết: 2 —" in summary
    assert "Đang giải quyết: 2 — trong hạn 0, quá hạn 1, chờ bổ sung 1" in summary
    assert "Yêu cầu bổ sung tại quầy (chưa tiếp nhận): 1" in summary
    assert "Phí, lệ phí thu khi tiếp nhận: 0 hồ sơ, 0 đồng" in summary


async def test_f6_opens_in_its_first_date_and_the_keys_scroll_to_the_last_section(
    app, services, clock
):
    """A newcomer at 35 rows could not reach "Số hóa hồ sơ và kết quả" at the bottom:
    nothing had focus and PageDown/End did nothing."""
    services.settings.digitise = True  # the digitisation section is shown
    report_fixture(services, clock)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        assert screen.focused is screen.query_one("#r_from", Input)
        title = screen.query_one("#r_digit_title")
        assert title.display and not screen.region.contains_region(title.region)
        for _ in range(10):
            await pilot.press("pagedown")
        await pilot.pause()
        assert screen.region.contains_region(title.region)
        await pilot.press("home")
        await pilot.pause()
        assert not screen.region.contains_region(title.region)
        await pilot.press("end")
        await pilot.pause()
        assert screen.region.contains_region(title.region)
        await pilot.press("pageup")
        await pilot.pause()
        assert screen.query_one("#r_scroll").scroll_y < screen.query_one("#r_scroll").max_scroll_y
        await pilot.press("f1")  # the keys are declared, so the help lists them
        await pilot.pause()
        table = app.screen.query_one("#help_keys", DataTable)
        listed = {str(table.get_row_at(i)[2]) for i in range(table.row_count)}
        assert {"report_page_up", "report_page_down", "report_top", "report_bottom"} <= listed
        await pilot.press("escape")
        screen.query_one("#r_procs", DataTable).focus()
        await pilot.press("f3", "f6")  # back to F6 later: the cursor is in the first date again
        await pilot.pause()
        assert app.screen is screen and screen.focused is screen.query_one("#r_from", Input)
