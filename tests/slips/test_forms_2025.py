"""The TT 03/2025/TT-VPCP forms: each renders as text and PDF for a realistic dossier, the
new fields read back from the PDF with their diacritics, and the set is chosen by the day
the dossier was received against the set's ``valid_from``."""

import io
from datetime import date, datetime

import pypdf
import pytest

from counter_tui.domain.calendar import WorkCalendar
from counter_tui.domain.dossier import (
    Applicant,
    Context,
    Dossier,
    FeePaid,
    Submitter,
    TrackingEntry,
    apply,
)
from counter_tui.domain.status import Action
from counter_tui.slips import (
    BASIS,
    BASIS_2025,
    Office,
    book_slip,
    dossier_slip,
    forms_for,
    registry,
)
from counter_tui.slips.render_pdf import render_pdf
from counter_tui.slips.templates import load_registry
from tests.domain.test_report import Make, at

OFFICE = Office("UBND phường Tây Hồ", "000.00.00.H56", "Hà Nội", "Q1", "Lê Thị Hường")
NOW = datetime(2026, 3, 2, 10, 30)


def pdf_flat(data: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(p.extract_text() for p in pages).split())


def act(m: Make, action: Action, when: datetime, note: str = "", **data) -> Make:
    ctx = Context(
        at=when,
        actor="huong",
        actor_name="Lê Thị Hường",
        counter="Q1",
        note=note,
        calendar=WorkCalendar(),
        procedure=m.p,
        data=data,
    )
    m.d = apply(m.d, action, ctx)
    return m


def filed_for_another() -> Make:
    """A dossier brought by a husband for his wife, with the fee paid at receipt."""
    m = Make("T")
    m.d.code = "000.00.00.H56-260210-10042"
    m.d.applicant = Applicant(
        "Nguyễn Thị Ánh Tuyết",
        citizen_id="001203012345",
        address="Số 12 ngõ 45 phố Thụy Khuê, phường Tây Hồ, Hà Nội",
        phone="0912345678",
        email="tuyet@example.vn",
    )
    m.d.submitter = Submitter(
        "Phạm Đức Hưởng",
        citizen_id="001099004321",
        relation="chồng",
        phone="0987654321",
        address="Số 12 ngõ 45 phố Thụy Khuê",
        email="huong.pd@example.vn",
        authorisation="Giấy ủy quyền số 15/UQ ngày 05/02/2026",
    )
    m.d.return_method = "post"
    m.d.fee_paid = FeePaid(8000, "cash", "BL-0012345")
    act(m, Action.RECEIVE, at(10, 9))
    m.d.tracking = TrackingEntry("1", 2026, 17)
    return m


def full_life() -> Dossier:
    m = filed_for_another()
    act(m, Action.TRANSFER, at(10, 10), unit="Công chức Tư pháp - Hộ tịch", person="Đỗ Văn Bảy")
    act(m, Action.RESCHEDULE, at(13, 8), "Chờ xác minh nơi cư trú cũ", new_due="2026-02-26T17:00")
    act(m, Action.RESULT_BACK, at(25, 9), unit="Công chức Tư pháp - Hộ tịch", person="Đỗ Văn Bảy")
    act(
        m,
        Action.HAND_OVER,
        at(26, 8),
        receiver_name="Phạm Đức Hưởng",
        receiver_id="001099004321",
        relation="authorised",
        receiver_address="Số 12 ngõ 45 phố Thụy Khuê",
        receiver_phone="0987654321",
        authorisation="Giấy ủy quyền số 15/UQ ngày 05/02/2026",
        fee=0,
    )
    return m.d


def stopped() -> Dossier:
    m = filed_for_another()
    return act(m, Action.STOP, at(12, 9), "Cơ quan có thẩm quyền yêu cầu dừng để xác minh").d


def supplement() -> Dossier:
    m = Make("S")
    m.d.code = "000.00.00.H56-260212-10008"
    for item in m.d.documents:
        item.received = False
    return act(
        m,
        Action.REQUEST_SUPPLEMENT,
        at(12, 9),
        "Bản sao không có chứng thực",
        missing=["Bản sao trích lục ly hôn có chứng thực"],
    ).d


def refused() -> Dossier:
    m = Make("R")
    m.d.code = "000.00.00.H56-260212-10007"
    return act(m, Action.REFUSE, at(12, 9), "Không thuộc thẩm quyền giải quyết của xã").d


CASES = {
    "01": (full_life, ["Phạm Đức Hưởng", "001099004321", "huong.pd@example.vn",
                       "Nguyễn Thị Ánh Tuyết", "Giấy ủy quyền số 15/UQ ngày 05/02/2026",
                       "Qua dịch vụ bưu chính công ích", "Quyển số 1/2026 Số thứ tự 17",
                       "8.000 đồng, nộp tiền mặt, biên lai số BL-0012345", "Lê Thị Hường"]),
    "02": (supplement, ["Bản sao trích lục ly hôn có chứng thực",
                        "Lý do: Bản sao không có chứng thực", "NGƯỜI HƯỚNG DẪN"]),
    "03": (refused, ["Không thuộc thẩm quyền giải quyết của xã", "TỪ CHỐI"]),
    "04": (full_life, ["Chờ xác minh nơi cư trú cũ", "ĐỀ NGHỊ GIA HẠN", "26/02/2026"]),
    "05": (stopped, ["THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
                     "Cơ quan có thẩm quyền yêu cầu dừng để xác minh", "Lê Thị Hường"]),
    "06": (full_life, ["Trước hạn", "Quá hạn", "Đỗ Văn Bảy", "PHIẾU KIỂM SOÁT"]),
    "BN": (full_life, ["Giấy ủy quyền số 15/UQ ngày 05/02/2026", "Số 12 ngõ 45 phố Thụy Khuê",
                       "Lê Thị Hường"]),
}  # fmt: skip


@pytest.mark.parametrize("form", sorted(CASES))
def test_each_2025_form_renders_as_text_and_pdf_with_its_new_fields(form):
    make, expected = CASES[form]
    d = make()
    slip = dossier_slip(form, d, OFFICE, NOW, processing="03 ngày làm việc")
    assert slip.template.basis == BASIS_2025
    text = " ".join(slip.text().split())
    flat = pdf_flat(render_pdf(slip))
    for value in expected:
        assert value in text, value
        assert value in flat, value  # diacritics intact in the PDF, not boxes or '?'


def test_the_receipt_leaves_no_blank_for_what_the_app_knows():
    d = full_life()
    text = dossier_slip("01", d, OFFICE, NOW, processing="03 ngày làm việc").text()
    assert "…" not in text
    # Owner submitting in person, no email given: the slip says so, not a dotted blank.
    m = Make("O")
    m.d.code = "000.00.00.H56-260210-10043"
    m.d.tracking = None
    act(m, Action.RECEIVE, at(10, 9))
    m.d.tracking = TrackingEntry("1", 2026, 18)
    own = " ".join(dossier_slip("01", m.d, OFFICE, NOW, processing="1 ngày").text().split())
    assert "…" not in own
    assert "Nộp thay cho: Không (người nộp là chủ hồ sơ)" in own
    assert "Email: Không có" in own
    assert "Không thu khi tiếp nhận" in own


def test_control_slip_judges_every_hand_over_row():
    slip = dossier_slip("06", full_life(), OFFICE, NOW)
    rows = slip.rows["control"]
    # Transfer on the day of receipt, result back 25/02 and hand-over 26/02 after the legal
    # due date (an apology's new date does not move it): each row judged on its own.
    assert [(r["giver_unit"], r["result"]) for r in rows] == [
        ("Bộ phận tiếp nhận và trả kết quả", "Trước hạn"),
        ("Công chức Tư pháp - Hộ tịch", "Quá hạn"),
        ("Bộ phận tiếp nhận và trả kết quả", "Quá hạn"),
    ]


def test_both_slip_sets_sign_each_hand_over_with_the_clerks_full_name():
    """Form 05 of TT 01/2018 and form 06 of TT 03/2025 list the same hand-overs the same way:
    the clerk who gave or took the dossier signs by name, never by login ("huong")."""
    d = full_life()
    old = dossier_slip("05", d, OFFICE, NOW, basis=BASIS).rows["transfers"]
    new = dossier_slip("06", d, OFFICE, NOW).rows["control"]
    assert [(r["giver"], r["receiver"]) for r in old] == [
        ("Lê Thị Hường", "Đỗ Văn Bảy"),
        ("Đỗ Văn Bảy", "Lê Thị Hường"),
    ]
    assert [(r["giver"], r["receiver"]) for r in new] == [
        ("Lê Thị Hường", "Đỗ Văn Bảy"),
        ("Đỗ Văn Bảy", "Lê Thị Hường"),
        ("Lê Thị Hường", "Phạm Đức Hưởng"),
    ]
    flat = pdf_flat(render_pdf(dossier_slip("05", d, OFFICE, NOW, basis=BASIS)))
    assert "huong" not in flat.replace("Hường", "")


def test_the_tracking_book_2025_has_book_numbers_and_how_the_result_went():
    d = full_life()
    slip = book_slip([d], OFFICE, NOW, date(2026, 2, 1), date(2026, 2, 28))
    assert slip.template.form == "07" and slip.template.basis == BASIS_2025
    flat = pdf_flat(render_pdf(slip))
    assert "1/2026-17" in flat
    assert "người được ủy quyền Phạm Đức Hưởng" in flat


def test_forms_of_a_stopped_dossier_include_the_stop_notice():
    assert forms_for(stopped()) == ["01", "05", "06"]


def received_on(day: date) -> Dossier:
    m = Make("V")
    m.d.code = f"000.00.00.H56-{day:%y%m%d}-10001"
    return act(m, Action.RECEIVE, datetime(day.year, day.month, day.day, 9, 0)).d


def test_the_set_is_chosen_by_the_receipt_day_against_valid_from():
    valid_from = registry().sets[BASIS_2025].valid_from
    assert valid_from == date(2025, 9, 15)  # the signing date: docs/slips.md says why
    before = received_on(date(2025, 9, 12))  # a Friday; 14/09 is a Sunday
    on_day = received_on(valid_from)
    assert dossier_slip("01", before, OFFICE, NOW).template.basis == BASIS
    assert dossier_slip("01", on_day, OFFICE, NOW).template.basis == BASIS_2025
    # the day before valid_from exactly (a Sunday receipt is still a receipt that day)
    eve = received_on(date(2025, 9, 14))
    assert dossier_slip("01", eve, OFFICE, NOW).template.basis == BASIS


def test_a_province_moves_valid_from_with_its_own_set_file(tmp_path):
    (tmp_path / "_set.toml").write_text(
        'basis = "TT 03/2025/TT-VPCP"\nvalid_from = 2026-01-01\n'
        'source = "Quyết định của UBND tỉnh áp dụng mẫu mới từ 01/01/2026"\n',
        encoding="utf-8",
    )
    registry.cache_clear()
    try:
        d = received_on(date(2025, 12, 31))
        assert dossier_slip("01", d, OFFICE, NOW, templates=str(tmp_path)).template.basis == BASIS
        later = received_on(date(2026, 1, 5))
        slip = dossier_slip("01", later, OFFICE, NOW, templates=str(tmp_path))
        assert slip.template.basis == BASIS_2025
    finally:
        registry.cache_clear()


def test_a_set_file_without_a_source_is_refused(tmp_path):
    (tmp_path / "_set.toml").write_text(
        'basis = "TT 03/2025/TT-VPCP"\nvalid_from = 2026-01-01\n', encoding="utf-8"
    )
    with pytest.raises(Exception, match="source"):
        load_registry(tmp_path)


def test_a_dossier_stored_before_the_new_fields_still_loads_and_prints():
    raw = full_life().to_dict()
    for key in ("received_by", "fee_paid", "tracking", "handling_agency", "handling_agency_name"):
        raw.pop(key)
    for key in ("address", "email", "authorisation"):
        raw["submitter"].pop(key)
    for e in raw["events"]:
        e.pop("actor_name")
    old = Dossier.from_dict(raw)
    assert old.tracking is None and old.fee_paid is None
    for form in ("01", "04", "06", "BN"):
        slip = dossier_slip(form, old, OFFICE, NOW, processing="03 ngày làm việc")
        assert "Nguyễn Thị Ánh Tuyết" in pdf_flat(render_pdf(slip))
    text = " ".join(dossier_slip("01", old, OFFICE, NOW).text().split())
    assert "Quyển số (chưa vào sổ)" in text and "Không thu khi tiếp nhận" in text
