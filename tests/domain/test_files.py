"""File checks: kind by magic bytes matching the name, size limit, pages and pixel size."""

import pytest

from counter_tui.domain.files import (
    EXEMPT_REASONS,
    MB,
    FileRefused,
    check_entry,
    check_file,
    exempt_reason,
    kind_of_bytes,
)
from tests.support.scans import jpeg_bytes, pdf_bytes, png_bytes, tiff_bytes

LIMIT = 20 * MB


def test_each_kind_is_recognised_and_its_facts_are_read():
    pdf = check_file("giay-khai-sinh.PDF", pdf_bytes(3), LIMIT)
    assert (pdf.kind, pdf.pages, pdf.width) == ("pdf", 3, None)
    assert "3 trang" in pdf.describe()
    jpg = check_file("cccd.jpg", jpeg_bytes(2480, 3508), LIMIT)
    assert (jpg.kind, jpg.width, jpg.height) == ("jpeg", 2480, 3508)
    assert "2480×3508" in jpg.describe()
    png = check_file("anh.png", png_bytes(640, 480), LIMIT)
    assert (png.width, png.height) == (640, 480)
    tif = check_file("scan.tiff", tiff_bytes(1700, 2200), LIMIT)
    assert (tif.kind, tif.width, tif.height) == ("tiff", 1700, 2200)


def test_a_file_whose_name_lies_about_its_content_is_refused_in_vietnamese():
    with pytest.raises(FileRefused) as info:
        check_file("to-khai.pdf", jpeg_bytes(), LIMIT)
    assert info.value.code == "file.mismatch"
    assert "mang đuôi PDF nhưng nội dung là JPEG" in info.value.msg.vi


def test_a_renamed_office_document_is_refused():
    with pytest.raises(FileRefused) as info:
        check_file("don.pdf", b"PK\x03\x04 a docx really", LIMIT)
    assert "nội dung không phải PDF, JPEG, PNG hay TIFF" in info.value.msg.vi
    with pytest.raises(FileRefused) as info:
        check_file("don.docx", b"PK\x03\x04", LIMIT)
    assert info.value.code == "file.type"


def test_size_limit_and_empty_file():
    with pytest.raises(FileRefused) as info:
        check_file("big.png", png_bytes() + b"\0" * (2 * MB), 2 * MB)
    assert info.value.code == "file.too_big" and "quá lớn" in info.value.msg.vi
    with pytest.raises(FileRefused) as info:
        check_file("x.pdf", b"", LIMIT)
    assert info.value.code == "file.empty"


def test_a_torn_pdf_is_refused():
    data = pdf_bytes(2)
    with pytest.raises(FileRefused) as info:
        check_file("torn.pdf", data[:40], LIMIT)
    assert info.value.code in ("file.pdf_damaged", "file.pdf_empty")


def test_magic_bytes_alone():
    assert kind_of_bytes(b"MM\x00*rest") == "tiff"
    assert kind_of_bytes(b"GIF89a") is None


def test_exemption_reasons_are_the_four_of_tt03():
    assert set(EXEMPT_REASONS) == {"online", "shown", "interagency", "classified"}
    assert exempt_reason("shown").vi == "Giấy tờ xuất trình"
    with pytest.raises(FileRefused):
        exempt_reason("lazy")


def test_a_malformed_entry_from_an_operation_is_refused_not_a_crash():
    good = {"sha": "a" * 64, "size": 10, "name": "x.pdf", "kind": "pdf", "item": "1"}
    assert check_entry({**good, "role": "document"})["sha"] == "a" * 64
    for bad in (
        None,
        {**good, "role": "x"},
        {**good, "sha": "A" * 64, "role": "document"},
        {**good, "size": True, "role": "document"},
    ):
        with pytest.raises(FileRefused):
            check_entry(bad)


def test_sizes_read_as_what_they_are():
    from counter_tui.domain.files import size_text

    assert size_text(0) == "0 KB"  # nothing waiting is not "1 KB"
    assert size_text(24) == "24 byte"
    assert size_text(1500) == "2 KB"
    assert size_text(5_200_000) == "5,2 MB"
