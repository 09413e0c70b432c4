"""The 2025 rules at the counter (issue 13), through the use cases and the real app on a real
store: the TT 03/2025 fields at receipt, the tracking book, the fee paid at receipt, the stop
action, codes refused under the example office code, holiday decisions received as data."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from textual.widgets import DataTable, Input, Select, Static

from counter_tui.domain.calendar import HolidayDecisions
from counter_tui.domain.codes import EXAMPLE_AGENCY
from counter_tui.domain.dossier import Applicant, FeePaid, Submitter
from counter_tui.domain.messages import DomainError
from counter_tui.domain.ops import apply_op
from counter_tui.domain.status import Action, Status
from counter_tui.launch import make_services
from counter_tui.ui.screens.dialogs import ReasonDialog, SlipScreen
from counter_tui.ui.screens.dossier import DossierScreen
from counter_tui.usecases.desk import Desk
from tests.support.stores import count_shard_reads
from tests.ui.conftest import NOW, seed, settings


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def receive(desk: Desk, proc: str = "1.004873", **kw) -> object:
    d = desk.draft(proc, Applicant("Trần Thị Bình", citizen_id="079185000001"), **kw)
    for item in d.documents:
        item.received = True
    return desk.receive(d)


def test_codes_are_refused_while_the_office_code_is_the_example(tmp_path, clock):
    s = make_services(
        settings(office=EXAMPLE_AGENCY), clock=clock, data=tmp_path / "c", start_sync=False
    )
    try:
        with pytest.raises(DomainError) as info:
            receive(s.desk)
        assert "[counter] office" in info.value.msg.vi and EXAMPLE_AGENCY in info.value.msg.vi
        assert s.desk.recent() == []  # nothing saved
    finally:
        s.close()


def test_the_tracking_book_numbers_per_year_never_reused_and_recoverable(services, clock):
    desk = services.desk
    first, second = receive(desk), receive(desk)
    assert (first.tracking.book, first.tracking.year, first.tracking.number) == ("1", 2026, 1)
    assert second.tracking.number == 2
    # A supplement requested at the counter is not received: no line in the book yet...
    d = desk.draft("1.004873", Applicant("Lê Văn Cường", citizen_id="031090123456"))
    waiting = desk.receive(d, outcome=Action.REQUEST_SUPPLEMENT, note="Thiếu giấy tờ")
    assert waiting.tracking is None
    # ...until the papers come back and it is received.
    back = desk.act(waiting.uid, Action.SUPPLEMENT_RECEIVED)
    assert back.tracking.number == 3
    # The centre, applying the same two operations, records the same book line.
    ops = services.store.outbox.pending()
    receive_op, action_op = ops[-2], ops[-1]
    at_centre = apply_op(None, receive_op, catalog=desk.catalog, calendar=desk.calendar)
    at_centre = apply_op(at_centre, action_op, catalog=desk.catalog, calendar=desk.calendar)
    assert at_centre["tracking"] == {"book": "1", "year": 2026, "number": 3}
    # The counter kept in the cache's meta is lost: the next number still follows the data.
    services.store.meta.set("book:1:2026", None)
    assert receive(desk).tracking.number == 4
    clock.now = datetime(2027, 1, 4, 9, 0)
    assert receive(desk).tracking.number == 1  # a new year opens a new numbering
    clock.now = NOW


def test_the_signer_is_the_clerks_full_name(services):
    services.desk.sign_in("huong", "Lê Thị Hường")
    d = receive(services.desk)
    assert d.received_by == "Lê Thị Hường" and d.events[-1].actor == "huong"
    slip = " ".join(services.paperwork.slip("01", d.uid).text().split())
    assert "Lê Thị Hường" in slip and "Vào Sổ theo dõi hồ sơ, Quyển số 1/2026 Số thứ tự 1" in slip


async def test_the_dossier_screen_shows_the_book_line_fee_and_submitter(app, services):
    desk = services.desk
    d = desk.draft(
        "2.000884",
        Applicant("Trần Thị Bình", citizen_id="079185000001"),
        submitter=Submitter("Phạm Văn Hưởng", citizen_id="001099004321", authorisation="GUQ 15"),
    )
    for item in d.documents:
        item.received = True
    d.fee_paid = FeePaid(10000, "cash", "BL-7")
    d = desk.receive(d)
    async with app.run_test(size=(130, 45)) as pilot:
        app.push_screen(DossierScreen(d.uid))
        await pilot.pause()
        shown = text(app, "#summary")
    assert "Sổ theo dõi: quyển 1/2026, số thứ tự 1" in shown
    assert "Phí khi tiếp nhận: 10.000 đồng, tiền mặt, biên lai BL-7" in shown
    assert "Người nộp thay: Phạm Văn Hưởng" in shown and "giấy ủy quyền: GUQ 15" in shown


def test_a_holiday_table_from_the_centre_changes_the_next_due_date_not_earlier_ones(
    services, clock, tmp_path
):
    desk = services.desk
    clock.now = datetime(2025, 12, 31, 10, 0)
    one_day = "1.010041"  # 1 working day
    before = receive(desk, one_day)
    assert before.due.date() == date(2026, 1, 5)  # the seeded 2026 decision
    # The centre sends a table without the January swap (say, a province's correction).
    table = desk.holiday_decisions().to_dict()
    table["off"] = [o for o in table["off"] if o["date"] != "2026-01-02"]
    table["work"] = [o for o in table["work"] if o["date"] != "2026-01-10"]
    desk.use_holiday_decisions(table)
    after = receive(desk, one_day)
    assert after.due.date() == date(2026, 1, 2)
    assert desk.dossier(before.uid).due.date() == date(2026, 1, 5)  # stored, unchanged
    # Kept in the cache: a restart uses the received table, not the seeded file.
    again = Desk(services.store, desk.catalog, desk.calendar.with_decisions(
        HolidayDecisions()), desk.identity, clock=clock)  # fmt: skip
    assert date(2026, 1, 2) not in again.calendar.extra_off
    assert date(2026, 8, 31) in again.calendar.extra_off
    with pytest.raises(DomainError):
        desk.use_holiday_decisions({"off": [{"date": "2026-01-02"}]})  # no source
    assert desk.calendar.decisions.to_dict() == HolidayDecisions.from_dict(table).to_dict()
    clock.now = NOW


async def test_receive_screen_takes_the_new_fields_and_the_fee(app, services):
    async with app.run_test(size=(130, 60)) as pilot:
        await pilot.press("f2")
        s = app.screen
        s.query_one("#cid", Input).value = "079185000001"
        s.query_one("#name", Input).value = "Trần Thị Bình"
        s.query_one("#proc", Input).value = "2.000884"  # chứng thực chữ ký, 10.000 đ
        await pilot.pause()
        s.query_one("#proc", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        for item in s.documents:  # every paper shown (ticking has its own tests)
            item.received = True
        s.query_one("#email", Input).value = "binh@example"
        s.query_one("#submitter", Input).value = "Phạm Văn Hưởng"
        s.query_one("#submitter_id", Input).value = "00109900432"  # 11 digits
        s.query_one("#fee_method", Select).value = "cash"
        await pilot.press("ctrl+s")
        await pilot.pause()
        # Each message under its own field, the cursor on the first at fault.
        assert "Email không đúng dạng" in text(app, "#email_msg")
        assert "12 chữ số" in text(app, "#submitter_id_msg")
        assert app.focused is s.query_one("#email", Input)
        assert services.desk.recent() == []  # nothing saved
        s.query_one("#email", Input).value = "binh@example.vn"
        s.query_one("#submitter_id", Input).value = "001099004321"
        s.query_one("#authorisation", Input).value = "Giấy ủy quyền số 15/UQ"
        await pilot.press("ctrl+s")
        await pilot.pause()
        # The fee needs its receipt number: said under that field, the cursor put there.
        assert "Cần ghi số biên lai" in text(app, "#fee_receipt_msg")
        assert "Số biên lai" in text(app, "#save_msg")
        assert app.focused is s.query_one("#fee_receipt", Input)
        assert text(app, "#email_msg") == ""  # fixed: its message is gone
        s.query_one("#fee_receipt", Input).value = "BL-0099"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SlipScreen)
        slip = " ".join(str(app.screen.query_one("#slip_text", Static).render()).split())
        assert "10.000 đồng, nộp tiền mặt, biên lai số BL-0099" in slip
        assert "Giấy ủy quyền số 15/UQ" in slip and "001099004321" in slip
    d = services.desk.dossier(services.desk.recent()[0].uid)
    assert d.applicant.email == "binh@example.vn"
    assert d.submitter == Submitter(
        "Phạm Văn Hưởng",
        citizen_id="001099004321",
        relation="được ủy quyền",
        authorisation="Giấy ủy quyền số 15/UQ",
    )
    assert (d.fee_paid.amount, d.fee_paid.method, d.fee_paid.receipt_no) == (
        10000,
        "cash",
        "BL-0099",
    )
    report = services.paperwork.report(date(2026, 11, 1), date(2026, 11, 30), None)
    assert (report.fees_at_receipt, report.fees_at_receipt_total) == (1, 10000)


async def test_stop_a_dossier_with_a_reason_prints_the_stop_notice(app, services, clock):
    d = seed(
        services.desk,
        clock,
        [("Đặng Thị Ngọc Ánh", "001203012345", "0912345678", "1.004873", NOW, 4)],
    )[0]
    async with app.run_test(size=(130, 45)) as pilot:
        app.push_screen(DossierScreen(d.uid))
        await pilot.pause()
        assert "Ctrl+D Dừng giải quyết" in text(app, "#actions")
        await pilot.press("f1")  # the help lists it too, from the same binding
        await pilot.pause()
        keys = app.screen.query_one("#help_keys", DataTable)
        rows = [[str(c) for c in keys.get_row_at(i)] for i in range(keys.row_count)]
        assert any(r[1] == "Dừng giải quyết" and r[2] == "stop_dossier" for r in rows)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press("enter")  # an empty reason is refused on screen
        assert services.desk.dossier(d.uid).status == Status.PROCESSING
        app.screen.query_one("#reason", Input).value = "Cơ quan giải quyết yêu cầu dừng"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SlipScreen)
        slip = " ".join(str(app.screen.query_one("#slip_text", Static).render()).split())
        assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in slip
        assert "Lý do: Cơ quan giải quyết yêu cầu dừng" in slip
    assert services.desk.dossier(d.uid).status == Status.STOPPED


async def test_an_authorised_receivers_id_is_checked_like_any_citizen_id(app, services, clock):
    d = seed(
        services.desk,
        clock,
        [("Đặng Thị Ngọc Ánh", "001203012345", "0912345678", "1.004873", NOW, 9)],
    )[0]
    async with app.run_test(size=(130, 45)) as pilot:
        await pilot.press("f4")
        s = app.screen
        s.query_one("#ho_key", Input).value = d.code
        s.query_one("#ho_key", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        s.query_one("#ho_relation", Select).value = "authorised"
        s.query_one("#ho_name", Input).value = "Phạm Văn Hưởng"
        s.query_one("#ho_id", Input).value = "003099004321"  # no province 003
        s.query_one("#ho_authorisation", Input).value = "Giấy ủy quyền số 20/UQ"
        await pilot.press("ctrl+s")
        await pilot.pause()
        # The message sits under the receiver's ID field; the line below names the field.
        assert "Mã tỉnh 003" in text(app, "#ho_id_msg")
        assert "Số giấy tờ người nhận" in text(app, "#ho_msg")
        assert services.desk.dossier(d.uid).status == Status.READY
        s.query_one("#ho_id", Input).value = "001099004321"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SlipScreen)
        slip = " ".join(str(app.screen.query_one("#slip_text", Static).render()).split())
        assert "Giấy ủy quyền số 20/UQ" in slip
    h = services.desk.dossier(d.uid).handover
    assert h["receiver_id"] == "001099004321" and h["authorisation"] == "Giấy ủy quyền số 20/UQ"


def test_a_dossier_received_for_another_agency_records_it(services):
    from counter_tui.domain.boundary import boundary_from_dict

    desk = services.desk
    desk.boundary = boundary_from_dict(
        {
            "procedures": [
                {
                    "code": "1.004873",
                    "agency": "000.00.00.H40",
                    "name": "Sở Nội vụ tỉnh Nghệ An",
                    "valid_from": date(2025, 11, 20),
                    "source": "QĐ 3783/QĐ-UBND ngày 20/11/2025",
                }
            ]
        }
    )
    assert desk.handling_agencies("1.004873") == [("Sở Nội vụ tỉnh Nghệ An", "000.00.00.H40")]
    d = desk.draft("1.004873", Applicant("Trần Thị Bình", citizen_id="079185000001"))
    for item in d.documents:
        item.received = True
    d.handling_agency = "000.00.00.H99"  # not on the list
    with pytest.raises(DomainError, match="không có trong danh sách"):
        desk.receive(d)
    d.handling_agency = "000.00.00.H40"
    saved = desk.receive(d)
    assert desk.dossier(saved.uid).handling_agency_name == "Sở Nội vụ tỉnh Nghệ An"
    slip = " ".join(services.paperwork.slip("01", saved.uid).text().split())
    assert "Cơ quan giải quyết: Sở Nội vụ tỉnh Nghệ An (000.00.00.H40)" in slip


async def test_an_undecided_tet_warns_on_f2_and_f6(app, services, clock):
    clock.now = datetime(2027, 2, 1, 9, 0)  # 2027: no Tết decision in the table yet
    try:
        async with app.run_test(size=(130, 60)) as pilot:
            await pilot.press("f2")
            s = app.screen
            s.query_one("#proc", Input).value = "1.004873"  # 3 working days: due around Tết
            await pilot.pause()
            s.query_one("#proc", Input).focus()
            await pilot.press("enter")
            await pilot.pause()
            assert "Chưa có quyết định nghỉ Tết năm 2027" in text(app, "#due")
            await pilot.press("f6")  # the report runs on opening, in a worker
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "Chưa có quyết định nghỉ Tết năm 2027" in text(app, "#r_summary")
        clock.now = datetime(2027, 6, 1, 9, 0)  # far from Tết: F2 says nothing
        assert services.desk.calendar.tet_warning(date(2027, 6, 4)) is None
    finally:
        clock.now = NOW


def test_the_book_restarts_from_this_years_dossiers_without_loading_the_cache(tmp_path, clock):
    # Every counter's first receive of a year finds no book counter for the year: it used
    # to read every stored dossier inside the write, which never evicts a shard (10 s and
    # +430 MB at 100k). Only this year's dossiers can hold this year's numbers.
    from counter_tui.store.local import LocalStore

    s = make_services(settings(), clock=clock, data=tmp_path / "c", start_sync=False)
    try:
        for i in range(60):
            d = s.desk.draft("1.004873", Applicant(f"Người {i}", citizen_id=f"0011850{i:05d}"))
            for item in d.documents:
                item.received = True
            s.desk.receive(d)
    finally:
        s.close()
    store = LocalStore(tmp_path / "c", background=False, cache_shards=4)
    try:
        desk = Desk(store, s.desk.catalog, s.desk.calendar, s.desk.identity, clock=clock)
        loads = count_shard_reads(store)  # a spy: the real reads run
        clock.now = datetime(2027, 1, 4, 9, 0)
        assert receive(desk).tracking.number == 1
        data_loads = [n for n in loads if n.startswith("d/")]
        assert len(data_loads) <= 2, data_loads  # the new dossier's own, not last year's 60
        clock.now = datetime(2027, 1, 4, 9, 5)
        store.meta.set("book:1:2027", None)  # the counter lost mid-year: the data still tells
        assert receive(desk).tracking.number == 2
    finally:
        clock.now = NOW
        store.close()
