"""Every slip renders from a realistic dossier; the PDF is read back as a reader would read it.

The PDF's text is extracted with pypdf, its first page rasterised with pdfium
and the QR code decoded with zxing-cpp: nothing here trusts the renderer's word.
"""

import io
import sys
from datetime import date, datetime
from functools import partial
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from counter_tui.domain.dossier import Applicant, Dossier, Submitter
from counter_tui.domain.status import Action
from counter_tui.slips import BASIS, Office, book_slip, dossier_slip, forms_for, registry
from counter_tui.slips.output import PrintError, deliver
from counter_tui.slips.render_pdf import render_pdf
from counter_tui.slips.templates import TemplateError, load_registry
from tests.domain.test_report import Make, at

OFFICE = Office("UBND phường Tây Hồ", "000.00.00.H56", "Hà Nội", "Q1", "Lê Thị Hường")
NOW = datetime(2026, 3, 2, 10, 30)
# The tests below written for the TT 01/2018 forms pin that set: their dossiers are received
# in 2026, when a dossier prints the TT 03/2025 set (tests/slips/test_forms_2025.py).
tt01_slip = partial(dossier_slip, basis=BASIS)
tt01_book = partial(book_slip, basis=BASIS)


def life() -> Dossier:
    """A dossier that went through every step: receipt, transfer, apology, result, hand-over."""
    m = Make("X")
    m.d.code = "000.00.00.H56-260210-10042"
    m.d.applicant = Applicant(
        "Nguyễn Thị Ánh Tuyết",
        citizen_id="001203012345",
        address="Số 12 ngõ 45 phố Thụy Khuê, phường Tây Hồ, Hà Nội",
        phone="0912345678",
        email="tuyet@example.vn",
    )
    m.d.submitter = Submitter("Phạm Đức Hưởng", citizen_id="001099004321", relation="chồng")
    return (
        m.do(Action.RECEIVE, at(10, 9))
        .do(Action.TRANSFER, at(10, 10), unit="Công chức Tư pháp - Hộ tịch", person="Đỗ Văn Bảy")
        .do(
            Action.RESCHEDULE,
            at(13, 8),
            "Chờ xác minh tại nơi cư trú cũ",
            new_due="2026-02-26T17:00:00",
        )
        .do(Action.RESULT_BACK, at(25, 9), unit="Công chức Tư pháp - Hộ tịch", person="Đỗ Văn Bảy")
        .do(Action.HAND_OVER, at(26, 8), receiver_name="Nguyễn Thị Ánh Tuyết", fee=8000)
        .doc
    )


def refused() -> Dossier:
    m = Make("R")
    m.d.code = "000.00.00.H56-260212-10007"
    return m.do(Action.REFUSE, at(12, 9), "Không thuộc thẩm quyền giải quyết của xã").doc


def supplement() -> Dossier:
    m = Make("S")
    m.d.code = "000.00.00.H56-260212-10008"
    for item in m.d.documents:
        item.received = False
    return m.do(
        Action.REQUEST_SUPPLEMENT, at(12, 9), "Thiếu giấy tờ", missing=["Bản sao trích lục ly hôn"]
    ).doc


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_the_forms_that_fit_each_dossier():
    # Received in 2026: the TT 03/2025 set, where the control slip is form 06.
    assert forms_for(life()) == ["01", "04", "06", "BN"]
    assert forms_for(refused()) == ["03"]
    assert forms_for(supplement()) == ["02"]


@pytest.mark.parametrize("form", ["01", "04", "05", "BN"])
def test_each_slip_of_a_full_dossier_as_text_and_pdf(form):
    doc = life()
    slip = tt01_slip(form, doc, OFFICE, NOW, processing="03 ngày làm việc")
    text = slip.text()
    assert doc.code in text and "Nguyễn Thị Ánh Tuyết" in text
    pdf = render_pdf(slip)
    extracted = pdf_text(pdf)
    assert doc.code in extracted.replace("\n", "")
    assert "Nguyễn Thị Ánh Tuyết" in extracted  # diacritics intact, not boxes or '?'
    assert "UBND PHƯỜNG TÂY HỒ" in extracted  # the header, upper-cased
    if form in ("01", "04", "05"):  # these name the office in their text too
        assert "UBND phường Tây Hồ" in extracted


def test_the_receipt_carries_every_field_a_citizen_relies_on():
    doc = life()
    extracted = pdf_text(
        render_pdf(tt01_slip("01", doc, OFFICE, NOW, processing="03 ngày làm việc"))
    )
    flat = " ".join(extracted.split())
    assert "09 giờ 00 phút, ngày 10/02/2026" in flat  # receipt time
    assert "17 giờ 00 phút, ngày 26/02/2026" in flat  # due date and time (after the apology)
    assert "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân" in flat  # checklist row
    assert "Bản chính" in flat and "Tại bộ phận một cửa" in flat
    assert "NGƯỜI NỘP HỒ SƠ" in flat and "NGƯỜI TIẾP NHẬN HỒ SƠ" in flat
    assert "Phạm Đức Hưởng (chồng)" in flat


def test_the_apology_names_the_first_and_the_new_date_and_the_reason():
    flat = " ".join(pdf_text(render_pdf(tt01_slip("04", life(), OFFICE, NOW))).split())
    assert "09 giờ 00 phút, ngày 13/02/2026" in flat
    assert "ngày 26 tháng 02 năm 2026" in flat
    assert "Chờ xác minh tại nơi cư trú cũ" in flat


def test_the_control_slip_has_a_row_per_hand_over_with_the_result():
    slip = tt01_slip("05", life(), OFFICE, NOW)
    rows = slip.rows["transfers"]
    assert [(r["giver_unit"], r["receiver_unit"]) for r in rows] == [
        ("Bộ phận tiếp nhận và trả kết quả", "Công chức Tư pháp - Hộ tịch"),
        ("Công chức Tư pháp - Hộ tịch", "Bộ phận tiếp nhận và trả kết quả"),
    ]
    assert rows[1]["result"] == "Trễ hạn"  # back on 25/02, the legal date was 13/02
    flat = " ".join(pdf_text(render_pdf(slip)).split())
    assert "Đỗ Văn Bảy" in flat and "10 giờ 00 phút, ngày 10/02/2026" in flat


def test_refusal_and_supplement_slips_name_the_reason_and_the_missing_papers():
    flat = " ".join(pdf_text(render_pdf(tt01_slip("03", refused(), OFFICE, NOW))).split())
    assert "Không thuộc thẩm quyền giải quyết của xã" in flat
    flat = " ".join(pdf_text(render_pdf(tt01_slip("02", supplement(), OFFICE, NOW))).split())
    assert "Bản sao trích lục ly hôn" in flat


def test_the_receipt_qr_decodes_to_the_dossier_code():
    doc = life()
    pdf = pdfium.PdfDocument(render_pdf(tt01_slip("01", doc, OFFICE, NOW)))
    image = pdf[0].render(scale=3).to_pil()
    found = zxingcpp.read_barcodes(image)
    assert [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode] == [doc.code]


def test_the_font_is_embedded_in_the_pdf():
    raw = render_pdf(tt01_slip("01", life(), OFFICE, NOW))
    reader = pypdf.PdfReader(io.BytesIO(raw))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = [
        f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        for f in fonts.values()
    ]
    assert descriptors and all("/FontFile2" in d for d in descriptors)
    assert all("SourceSans" in str(d["/FontName"]) for d in descriptors)


def test_the_tracking_book_lists_the_dossiers_of_the_period():
    docs = [life(), supplement(), refused()]
    slip = tt01_book(docs, OFFICE, NOW, date(2026, 2, 1), date(2026, 2, 28))
    assert slip.template.orientation == "landscape"
    rows = slip.rows["book"]
    # Refused or sent back at the counter: never received, so not in the book.
    assert [r["code"] for r in rows] == ["000.00.00.H56-260210-10042"]
    x = next(r for r in rows if r["code"].endswith("10042"))
    assert (x["received"], x["transferred"], x["result_back"], x["returned"]) == (
        "10/02/2026",
        "10/02/2026",
        "25/02/2026",
        "26/02/2026",
    )
    assert x["unit"] == "Công chức Tư pháp - Hộ tịch" and x["receiver"] == "Nguyễn Thị Ánh Tuyết"
    flat = " ".join(pdf_text(render_pdf(slip)).split())
    assert "SỔ THEO DÕI HỒ SƠ" in flat and "Từ ngày 01/02/2026 đến ngày 28/02/2026" in flat


SHIPPED = Path(__file__).resolve().parents[2] / "config" / "slips"


def test_a_province_folder_replaces_a_form_without_code(tmp_path):
    text = (SHIPPED / "tt01-2018" / "01-tiep-nhan.toml").read_text(encoding="utf-8")
    mine = text.replace('"{unit_name}"]', '"TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ"]', 1)
    (tmp_path / "01.toml").write_text(mine, encoding="utf-8")
    registry.cache_clear()
    slip = tt01_slip("01", life(), OFFICE, NOW, templates=str(tmp_path))
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ" in slip.text()
    # Only form 01 was replaced: the others still come from the shipped folder.
    assert (
        "Bộ phận tiếp nhận" in tt01_slip("05", life(), OFFICE, NOW, templates=str(tmp_path)).text()
    )


def test_a_template_naming_an_unknown_field_is_refused_with_the_place(tmp_path):
    text = (SHIPPED / "tt01-2018" / "02-bo-sung.toml").read_text(encoding="utf-8")
    (tmp_path / "02.toml").write_text(text.replace("{reason}", "{ly_do}"), encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        load_registry(tmp_path)
    assert "02.toml" in info.value.text("vi") and "{ly_do}" in info.value.text("vi")


def test_newest_version_wins_within_a_folder(tmp_path):
    text = (SHIPPED / "tt01-2018" / "03-tu-choi.toml").read_text(encoding="utf-8")
    (tmp_path / "a.toml").write_text(
        text.replace('version = "2018.1"', 'version = "2018.10"').replace(
            "PHIẾU TỪ CHỐI", "PHIẾU MỚI"
        ),
        encoding="utf-8",
    )
    (tmp_path / "b.toml").write_text(
        text.replace('version = "2018.1"', 'version = "2018.9"'), encoding="utf-8"
    )
    reg = load_registry(tmp_path)
    assert reg.get("TT 01/2018/TT-VPCP", "03").title.startswith("PHIẾU MỚI")


def test_saving_is_the_default_and_a_printer_command_gets_the_file(tmp_path):
    data = render_pdf(tt01_slip("01", life(), OFFICE, NOW))
    saved = deliver(data, tmp_path / "phieu", "mau01-x")
    assert not saved.printed and saved.path.read_bytes() == data
    copy = tmp_path / "printed.pdf"
    cmd = [
        sys.executable,
        "-c",
        "import shutil,sys; shutil.copy(sys.argv[1], sys.argv[2])",
        "{file}",
        str(copy),
    ]
    sent = deliver(data, tmp_path / "phieu", "mau01-y", cmd)
    assert sent.printed and copy.read_bytes() == data
    assert "Đã gửi in" in sent.message()


def test_a_broken_printer_keeps_the_slip_and_says_so_in_vietnamese(tmp_path):
    data = b"%PDF-1.4 test"
    with pytest.raises(PrintError) as info:
        deliver(data, tmp_path, "a", [sys.executable, "-c", "import sys; sys.exit('het giay')"])
    assert "In không được" in info.value.text("vi") and (tmp_path / "a.pdf").exists()
    with pytest.raises(PrintError) as info:
        deliver(data, tmp_path, "b", ["khong-co-lenh-in-nay"])
    assert "Không tìm thấy lệnh in" in info.value.text("vi") and (tmp_path / "b.pdf").exists()


def test_a_broken_province_template_stops_the_start_with_its_name(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "mau"
    folder.mkdir()
    text = (SHIPPED / "tt01-2018" / "01-tiep-nhan.toml").read_text(encoding="utf-8")
    (folder / "01.toml").write_text(text.replace("{due_at}", "{han_tra}"), encoding="utf-8")
    config = tmp_path / "counter.toml"
    config.write_text(
        f'[counter]\ndata_dir = "{(tmp_path / "data").as_posix()}"\n'
        f'[printing]\ntemplates = "{folder.as_posix()}"\n',
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "counter_tui.cli", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 2
    assert "01.toml" in run.stderr and "{han_tra}" in run.stderr
