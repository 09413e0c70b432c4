"""Citizen ID numbers (số định danh cá nhân / CCCD), legacy CMND, and the chip card's QR payload.

The 12-digit number encodes the province of birth registration (digits 1-3,
the 63 pre-2025 codes), century and gender (digit 4: even male, odd female;
0/1 the 1900s, 2/3 the 2000s, ...), the last two digits of the birth year
(digits 5-6) and a random serial (digits 7-12). There is no official
checksum, so none is checked. See DOMAIN.md section 5.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources

from counter_tui.domain.messages import DomainError, Msg

_SEPARATORS = re.compile(r"[\s\-.]+")


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"

    @property
    def vi(self) -> str:
        return "Nam" if self is Gender.MALE else "Nữ"


@cache
def provinces() -> dict[str, str]:
    """Province code (3 digits) to the name of the pre-2025 province."""
    raw = (
        resources.files("counter_tui.domain")
        .joinpath("data/cccd_provinces.json")
        .read_text(encoding="utf-8")
    )
    return dict(json.loads(raw))


class IdError(DomainError):
    """A citizen ID, legacy ID or card payload was rejected; the message says why."""


# Digits 1-3 name where the birth was REGISTERED, on the list of 63 provinces before the
# 2025 mergers: never the citizen's current province (DOMAIN.md section 0a). Every place
# that shows them uses this label.
BIRTH_REGISTRATION = Msg(
    "Nơi đăng ký khai sinh (mã tỉnh cũ, trước 2025)",
    "Birth registered in (pre-2025 province code)",
)


@dataclass(frozen=True)
class CitizenId:
    """A valid 12-digit personal ID number, decoded. ``province_code``/``province_name``
    are the province where the birth was registered, under the pre-2025 list of 63."""

    number: str
    province_code: str
    province_name: str
    gender: Gender
    birth_year: int

    @property
    def birth_registration(self) -> Msg:
        """ "Nơi đăng ký khai sinh (mã tỉnh cũ, trước 2025): 031 Hải Phòng"."""
        where = f"{self.province_code} {self.province_name}"
        return Msg(f"{BIRTH_REGISTRATION.vi}: {where}", f"{BIRTH_REGISTRATION.en}: {where}")

    @property
    def serial(self) -> str:
        return self.number[6:]

    def __str__(self) -> str:
        return self.number

    def masked(self) -> str:
        """The number with its middle digits hidden, for logs."""
        return f"{self.number[:3]}******{self.number[-3:]}"


@dataclass(frozen=True)
class LegacyId:
    """An old 9-digit CMND number: accepted as a separate kind, nothing decoded."""

    number: str

    def __str__(self) -> str:
        return self.number


def normalize(text: str) -> str:
    """The ID as typed, without spaces, dashes or dots."""
    return _SEPARATORS.sub("", text or "")


def _century_digit(gender: Gender, birth_year: int) -> int:
    century_index = birth_year // 100 - 19
    return century_index * 2 + (1 if gender is Gender.FEMALE else 0)


def encode(province_code: str, gender: Gender, birth_year: int, serial: str) -> str:
    """Build a 12-digit number from its parts (the inverse of :func:`parse_citizen_id`)."""
    digit = _century_digit(gender, birth_year)
    if not 0 <= digit <= 9:
        raise ValueError(f"birth year {birth_year} cannot be encoded")
    if len(serial) != 6 or not serial.isdigit():
        raise ValueError("serial must be 6 digits")
    return f"{province_code}{digit}{birth_year % 100:02d}{serial}"


def parse_citizen_id(text: str, *, today: date) -> CitizenId:
    """Validate and decode a 12-digit ID number; raise :class:`IdError` saying what is wrong."""
    number = normalize(text)
    if not number:
        raise IdError("id.empty", Msg("Chưa nhập số CCCD.", "No citizen ID entered."), "citizen_id")
    if not number.isascii() or not number.isdigit():
        raise IdError(
            "id.not_digits",
            Msg("Số CCCD chỉ gồm chữ số.", "A citizen ID has digits only."),
            "citizen_id",
        )
    if len(number) != 12:
        raise IdError(
            "id.length",
            Msg(
                f"Số CCCD phải có 12 chữ số (đang có {len(number)}).",
                f"A citizen ID has 12 digits ({len(number)} given).",
            ),
            "citizen_id",
        )
    province_code = number[:3]
    name = provinces().get(province_code)
    if name is None:
        raise IdError(
            "id.province",
            Msg(
                f"Mã tỉnh {province_code} (3 chữ số đầu) không có trong danh mục 63 tỉnh.",
                f"Province code {province_code} (first 3 digits) is not one of the 63 codes.",
            ),
            "citizen_id",
        )
    digit = int(number[3])
    gender = Gender.FEMALE if digit % 2 else Gender.MALE
    birth_year = 1900 + (digit // 2) * 100 + int(number[4:6])
    if birth_year > today.year:
        raise IdError(
            "id.future_year",
            Msg(
                f"Năm sinh suy ra từ số CCCD ({birth_year}) ở tương lai.",
                f"The birth year implied by the ID ({birth_year}) is in the future.",
            ),
            "citizen_id",
        )
    return CitizenId(number, province_code, name, gender, birth_year)


def parse_legacy_id(text: str) -> LegacyId:
    """Validate an old 9-digit CMND number."""
    number = normalize(text)
    if len(number) != 9 or not number.isascii() or not number.isdigit():
        raise IdError(
            "legacy_id.format",
            Msg("Số CMND cũ phải có đúng 9 chữ số.", "An old CMND number has exactly 9 digits."),
            "legacy_id",
        )
    return LegacyId(number)


def parse_any_id(text: str, *, today: date) -> CitizenId | LegacyId:
    """A 12-digit ID, or a 9-digit legacy CMND."""
    number = normalize(text)
    if len(number) == 9 and number.isdigit():
        return parse_legacy_id(number)
    return parse_citizen_id(number, today=today)


# --- The chip card's QR payload -------------------------------------------------------------

_QR_FIELDS = 7
_VI_MARKS = re.compile(r"[^\x00-\x7f]")
# Characters a scanner in the wrong keyboard layout typically produces in place of letters.
_GARBLE = re.compile(r"[\[\]{};:\"<>?`~^=+*@#$%&\\]")


@dataclass(frozen=True)
class CardRecord:
    """What the chip card's QR code says about its holder.

    ``check`` lists the fields the clerk must look at by eye: a scanner in
    US-keyboard mode can deliver names and addresses without diacritics or garbled.
    """

    citizen_id: CitizenId
    old_id: LegacyId | None
    full_name: str
    birth_date: date
    gender: Gender
    address: str
    issue_date: date | None
    check: dict[str, Msg] = field(default_factory=dict)


def looks_like_card_qr(text: str) -> bool:
    """True when ``text`` has the shape of a card QR payload (7 fields joined by ``|``)."""
    return text.count("|") == _QR_FIELDS - 1


def _parse_ddmmyyyy(value: str, label_vi: str, label_en: str, field_name: str) -> date:
    v = value.strip()
    if len(v) == 8 and v.isdigit():
        try:
            return date(int(v[4:]), int(v[2:4]), int(v[:2]))
        except ValueError:
            pass
    raise IdError(
        "qr.date",
        Msg(
            f"{label_vi} trong mã QR không hợp lệ: {v!r} (cần ddMMyyyy).",
            f"{label_en} in the QR code is not valid: {v!r} (expected ddMMyyyy).",
        ),
        field_name,
    )


def _parse_gender(value: str) -> Gender:
    v = value.strip().casefold()
    if v in {"nam", "male", "m"}:
        return Gender.MALE
    if v in {"nữ", "nu", "female", "f", "n"} or (v.startswith("n") and len(v) <= 3):
        return Gender.FEMALE
    raise IdError(
        "qr.gender",
        Msg(f"Giới tính trong mã QR không đọc được: {value!r}.", f"Unreadable gender: {value!r}."),
        "gender",
    )


def unmangle(value: str) -> str:
    """``value`` read back as UTF-8 when it is UTF-8 shown as Windows-1252 (mojibake:
    "TrÃ¡ÂºÂ§n" style, "Tráº§n" for "Trần"), else ``value`` unchanged."""
    try:
        fixed = value.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return value
    return fixed


def _text_check(value: str, what_vi: str, what_en: str) -> Msg | None:
    if _GARBLE.search(value):
        return Msg(
            f"{what_vi} có ký tự lạ (máy quét có thể đang ở chế độ bàn phím khác): hãy kiểm tra.",
            f"{what_en} has stray characters (scanner keyboard layout?): please check.",
        )
    if value and not _VI_MARKS.search(value):
        return Msg(
            f"{what_vi} không có dấu (máy quét có thể đã bỏ dấu): hãy kiểm tra và sửa.",
            f"{what_en} has no diacritics (the scanner may have dropped them): please check.",
        )
    return None


def parse_card_qr(payload: str, *, today: date) -> CardRecord:
    """Parse ``ID|old ID|name|ddMMyyyy|gender|address|ddMMyyyy`` and cross-check it."""
    parts = payload.strip().split("|")
    if len(parts) != _QR_FIELDS:
        raise IdError(
            "qr.shape",
            Msg(
                f"Mã QR phải có 7 trường ngăn bởi '|' (đang có {len(parts)}).",
                f"The QR payload must have 7 '|'-separated fields ({len(parts)} found).",
            ),
            "citizen_id",
        )
    raw_id, raw_old, name, raw_birth, raw_gender, address, raw_issue = (p.strip() for p in parts)
    cid = parse_citizen_id(raw_id, today=today)
    old = parse_legacy_id(raw_old) if raw_old else None
    birth = _parse_ddmmyyyy(raw_birth, "Ngày sinh", "Birth date", "birth_date")
    issue = (
        _parse_ddmmyyyy(raw_issue, "Ngày cấp", "Issue date", "issue_date") if raw_issue else None
    )
    gender = _parse_gender(raw_gender)
    if gender is not cid.gender:
        raise IdError(
            "qr.gender_mismatch",
            Msg(
                f"Giới tính trong mã QR ({gender.vi}) không khớp số CCCD ({cid.gender.vi}).",
                f"Gender in the QR ({gender.value}) does not match the ID ({cid.gender.value}).",
            ),
            "gender",
        )
    if birth.year != cid.birth_year:
        raise IdError(
            "qr.year_mismatch",
            Msg(
                f"Năm sinh trong mã QR ({birth.year}) không khớp số CCCD ({cid.birth_year}).",
                f"Birth year in the QR ({birth.year}) does not match the ID ({cid.birth_year}).",
            ),
            "birth_date",
        )
    if birth > today:
        raise IdError(
            "qr.future_birth",
            Msg("Ngày sinh trong mã QR ở tương lai.", "The birth date in the QR is in the future."),
            "birth_date",
        )
    if not name:
        raise IdError("qr.name", Msg("Mã QR thiếu họ tên.", "The QR has no name."), "full_name")
    check: dict[str, Msg] = {}
    fixed = {"full_name": unmangle(name), "address": unmangle(address)}
    for key, value, vi, en in (
        ("full_name", name, "Họ tên", "Name"),
        ("address", address, "Địa chỉ", "Address"),
    ):
        if fixed[key] != value:
            # A scanner or driver that sends UTF-8 as Windows-1252: the text is read back,
            # and the clerk is told so, with what the card really says.
            check[key] = Msg(
                f"{vi} bị sai bảng mã trong mã QR ({value}); đã đọc lại là '{fixed[key]}': "
                "hãy kiểm tra.",
                f"{en} came in the wrong encoding ({value}); read back as '{fixed[key]}': "
                "please check.",
            )
            continue
        problem = _text_check(value, vi, en)
        if problem:
            check[key] = problem
    name, address = fixed["full_name"], fixed["address"]
    return CardRecord(cid, old, " ".join(name.split()), birth, gender, address, issue, check)
