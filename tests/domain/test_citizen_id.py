"""Citizen IDs, legacy CMND numbers and card QR payloads."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter_tui.domain.citizen_id import (
    Gender,
    IdError,
    encode,
    looks_like_card_qr,
    parse_any_id,
    parse_card_qr,
    parse_citizen_id,
    provinces,
)

TODAY = date(2026, 11, 28)


def test_decodes_province_gender_and_year():
    cid = parse_citizen_id("001 203-012345", today=TODAY)
    assert cid.number == "001203012345"
    assert cid.province_name == "Hà Nội"
    assert cid.gender is Gender.MALE
    assert cid.birth_year == 2003


def test_odd_century_digit_is_female_and_even_male():
    assert parse_citizen_id("079185000001", today=TODAY).gender is Gender.FEMALE
    assert parse_citizen_id("079185000001", today=TODAY).birth_year == 1985
    assert parse_citizen_id("079085000001", today=TODAY).gender is Gender.MALE


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("", "id.empty", "Chưa nhập"),
        ("00120301234", "id.length", "12 chữ số (đang có 11)"),
        ("0012030123456", "id.length", "đang có 13"),
        ("00120301234a", "id.not_digits", "chỉ gồm chữ số"),
        ("003203012345", "id.province", "Mã tỉnh 003"),
        ("001299012345", "id.future_year", "2099"),
        ("001403012345", "id.future_year", "2103"),
    ],
)
def test_rejections_say_exactly_what_is_wrong(text, code, words):
    with pytest.raises(IdError) as info:
        parse_citizen_id(text, today=TODAY)
    assert info.value.code == code
    assert words in info.value.text("vi")
    assert info.value.text("en") and info.value.text("en") != info.value.text("vi")


def test_no_invented_checksum_any_serial_is_accepted():
    for serial in ("000000", "999999", "123456", "654321"):
        assert parse_citizen_id(f"001090{serial}", today=TODAY).serial == serial


def test_legacy_nine_digit_cmnd_is_a_separate_kind():
    legacy = parse_any_id("012 345 678", today=TODAY)
    assert type(legacy).__name__ == "LegacyId"
    assert legacy.number == "012345678"


@given(
    province=st.sampled_from(sorted(provinces())),
    gender=st.sampled_from(list(Gender)),
    year=st.integers(1900, TODAY.year),
    serial=st.integers(0, 999_999),
)
def test_every_valid_id_decodes_and_reencodes_to_itself(province, gender, year, serial):
    number = encode(province, gender, year, f"{serial:06d}")
    cid = parse_citizen_id(number, today=TODAY)
    assert (cid.province_code, cid.gender, cid.birth_year) == (province, gender, year)
    assert encode(cid.province_code, cid.gender, cid.birth_year, cid.serial) == number


QR = "001203012345|012345678|Nguyễn Văn An|15042003|Nam|Số 1 Hàng Bạc, Hoàn Kiếm, Hà Nội|01052021"


def test_card_qr_fills_every_field():
    assert looks_like_card_qr(QR)
    rec = parse_card_qr(QR, today=TODAY)
    assert rec.citizen_id.number == "001203012345"
    assert rec.old_id is not None and rec.old_id.number == "012345678"
    assert rec.full_name == "Nguyễn Văn An"
    assert rec.birth_date == date(2003, 4, 15)
    assert rec.gender is Gender.MALE
    assert rec.address.startswith("Số 1 Hàng Bạc")
    assert rec.issue_date == date(2021, 5, 1)
    assert rec.check == {}


def test_card_qr_with_empty_old_id():
    rec = parse_card_qr(QR.replace("|012345678|", "||"), today=TODAY)
    assert rec.old_id is None


def test_scanner_that_dropped_diacritics_flags_name_and_address():
    rec = parse_card_qr(
        "001203012345||Nguyen Van An|15042003|Nam|So 1 Hang Bac, Ha Noi|01052021", today=TODAY
    )
    assert set(rec.check) == {"full_name", "address"}
    assert rec.citizen_id.number == "001203012345"
    assert rec.birth_date == date(2003, 4, 15)


def test_garbled_name_is_flagged():
    rec = parse_card_qr(
        "001203012345||Nguy[n V8n An|15042003|Nam|Số 1 Hàng Bạc|01052021", today=TODAY
    )
    assert "full_name" in rec.check
    assert "ký tự lạ" in rec.check["full_name"].vi


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("001203012345|x|y", "qr.shape"),
        ("001203012345||Nguyễn Thị Bình|15042003|Nữ|Hà Nội|01052021", "qr.gender_mismatch"),
        ("001203012345||Nguyễn Văn An|15042004|Nam|Hà Nội|01052021", "qr.year_mismatch"),
        ("001203012345||Nguyễn Văn An|31022003|Nam|Hà Nội|01052021", "qr.date"),
        ("001203012345||Nguyễn Văn An|15042003|Nam|Hà Nội|2021", "qr.date"),
        ("999203012345||Nguyễn Văn An|15042003|Nam|Hà Nội|01052021", "id.province"),
    ],
)
def test_bad_card_payloads_are_rejected_with_the_field(payload, code):
    with pytest.raises(IdError) as info:
        parse_card_qr(payload, today=TODAY)
    assert info.value.code == code


def test_the_first_three_digits_are_labelled_birth_registration_not_current_province(capsys):
    # 031 was Hải Phòng before the 2025 mergers; the citizen may live anywhere now.
    cid = parse_citizen_id("031090123456", today=TODAY)
    assert cid.birth_registration.vi == (
        "Nơi đăng ký khai sinh (mã tỉnh cũ, trước 2025): 031 Hải Phòng"
    )
    from counter_tui.cli import main

    assert main(["id", "031090123456"]) == 0
    out = capsys.readouterr().out
    assert "Nơi đăng ký khai sinh (mã tỉnh cũ, trước 2025): 031 Hải Phòng" in out
    assert "Tỉnh:" not in out


def test_a_mojibake_name_from_a_scanner_is_read_back():
    from datetime import date

    from counter_tui.domain.citizen_id import parse_card_qr, unmangle

    assert unmangle("Tráº§n Thá»‹ Hoa") == "Trần Thị Hoa"
    assert unmangle("Trần Thị Hoa") == "Trần Thị Hoa"
    assert unmangle("Nguyen Van An") == "Nguyen Van An"
    card = parse_card_qr(
        "001203012345|012345678|Tráº§n Thá»‹ Hoa|15042003|Nam|Số 1|01052021",
        today=date(2026, 11, 25),
    )
    assert card.full_name == "Trần Thị Hoa" and "sai bảng mã" in card.check["full_name"].vi
