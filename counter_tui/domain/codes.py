"""Dossier codes (mã hồ sơ), unique without the server, in two shapes.

**Office shape** (NĐ 61/2018 practice): ``{agency}-{yyMMdd}-{slot}{nnnn}``. The
sequence is the counter's slot in its office (1-99, assigned by the central
service) followed by a 4-digit number of that counter's dossiers on that date:
``000.00.00.H56-250715-30001`` is the first dossier of counter 3 on 15/07/2025.
Its tail has 5 or 6 digits.

**National shape** (TT 04/2025/TT-VPCP, services the State provides centrally):
``{agency}-{yyMMdd}-{AA}{XXXX}``, AA two digits of the system owner's code and
XXXX a daily sequence of at least 4 digits, longer when needed, never wrapping.
Here XXXX is the counter's slot (2 digits) then its number that day (at least 3
digits): ``...-250715-3803001``. Its tail has at least 7 digits, so the two
shapes can never be read one for the other, nor collide.

Two counters of one office own disjoint sequences in both shapes, so both can
issue final codes while offline. The store keeps the last number used for every
date and never reuses one. See docs/dossier-codes.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from counter_tui.domain.messages import DomainError, Msg

AGENCY_RE = re.compile(r"^[0-9A-Z]{2,4}(\.[0-9A-Z]{2,4}){0,5}$")
CODE_RE = re.compile(r"^(?P<agency>[0-9A-Z.]+)-(?P<date>\d{6})-(?P<tail>\d{5,})$")
MAX_PER_DAY = 9999
MAX_SLOT = 99
# The agency code shipped in config/counter.example.toml and used when none is set: a
# counter still on it has not been configured, and must not issue codes that look official.
EXAMPLE_AGENCY = "000.00.00.X00"
OWNER_RE = re.compile(r"^\d{2}$")


class CodeError(DomainError):
    pass


class Scheme(StrEnum):
    OFFICE = "office"  # {agency}-{yyMMdd}-{slot}{nnnn}
    NATIONAL = "tt04-2025"  # {agency}-{yyMMdd}-{AA}{XXXX}

    @property
    def vi(self) -> str:
        return {
            "office": "mã hồ sơ của cơ quan (NĐ 61/2018)",
            "tt04-2025": "mã hồ sơ dịch vụ công toàn quốc (TT 04/2025/TT-VPCP)",
        }[self.value]


@dataclass(frozen=True)
class DossierCode:
    agency: str
    day: date
    slot: int
    number: int
    scheme: Scheme = Scheme.OFFICE
    owner: str = ""  # AA, the system owner's two digits (national shape only)

    def __str__(self) -> str:
        head = f"{self.agency}-{self.day:%y%m%d}-"
        if self.scheme is Scheme.NATIONAL:
            return f"{head}{self.owner}{self.slot:02d}{self.number:03d}"
        return f"{head}{self.slot}{self.number:04d}"


def _bad(code: str, vi: str, en: str, field: str = "code") -> CodeError:
    return CodeError(code, Msg(vi, en), field)


def check_agency(agency: str) -> str:
    if not AGENCY_RE.match(agency or ""):
        raise _bad(
            "code.agency",
            f"Mã định danh cơ quan {agency!r} không đúng dạng (ví dụ 000.00.00.H56).",
            f"Agency code {agency!r} has the wrong shape (e.g. 000.00.00.H56).",
            "agency",
        )
    return agency


def check_configured(agency: str) -> None:
    """Refuse to issue codes under the example agency code, saying what to configure."""
    if agency == EXAMPLE_AGENCY:
        raise _bad(
            "code.example_agency",
            f"Chưa cấu hình mã định danh của cơ quan (đang là mã mẫu {EXAMPLE_AGENCY}): "
            "đặt [counter] office = mã định danh điện tử của cơ quan (QĐ 20/2020/QĐ-TTg, "
            "vd 000.00.00.H56) trong counter.toml rồi mở lại chương trình.",
            f"The office's agency code is still the example {EXAMPLE_AGENCY}: set "
            "[counter] office to its electronic identifier code in counter.toml and restart.",
            "office",
        )


def check_owner(owner: str) -> str:
    if not OWNER_RE.match(owner or ""):
        raise _bad(
            "code.owner",
            f"Mã chủ quản hệ thống {owner!r} phải là đúng 2 chữ số (AA).",
            f"The system owner's code {owner!r} must be exactly 2 digits (AA).",
            "owner",
        )
    return owner


def _check_slot(slot: int) -> None:
    if not 1 <= slot <= MAX_SLOT:
        raise _bad("code.slot", "Số quầy phải từ 1 đến 99.", "Slot must be 1-99.", "slot")


def make_code(agency: str, day: date, slot: int, number: int) -> DossierCode:
    """An office-shape code; at most 9,999 a day at one counter."""
    check_agency(agency)
    _check_slot(slot)
    if not 1 <= number <= MAX_PER_DAY:
        raise _bad(
            "code.full",
            f"Quầy đã cấp hết {MAX_PER_DAY} số trong ngày {day:%d/%m/%Y}.",
            f"The counter used all {MAX_PER_DAY} numbers of {day:%d/%m/%Y}.",
        )
    return DossierCode(agency, day, slot, number)


def make_national_code(agency: str, day: date, owner: str, slot: int, number: int) -> DossierCode:
    """A TT 04/2025 code: the sequence grows past 4 digits when needed and never wraps."""
    check_agency(agency)
    check_owner(owner)
    _check_slot(slot)
    if number < 1:
        raise _bad("code.number", "Số thứ tự phải từ 1.", "The number starts at 1.")
    return DossierCode(agency, day, slot, number, Scheme.NATIONAL, owner)


def parse_code(text: str) -> DossierCode:
    """Parse and validate a code of either shape; raise :class:`CodeError` saying what is wrong."""
    cleaned = (text or "").strip().upper()
    m = CODE_RE.match(cleaned)
    if not m:
        raise _bad(
            "code.shape",
            f"Mã hồ sơ {text!r} không đúng dạng mã cơ quan-yyMMdd-số thứ tự.",
            f"Dossier code {text!r} is not agency-yyMMdd-sequence.",
        )
    raw = m["date"]
    try:
        day = date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]))
    except ValueError as exc:
        raise _bad("code.date", f"Ngày {raw} trong mã không hợp lệ.", f"Bad date {raw}.") from exc
    check_agency(m["agency"])
    tail = m["tail"]
    if len(tail) <= 6:
        slot, number = int(tail[:-4]), int(tail[-4:])
        if tail[0] == "0":
            raise _bad(
                "code.slot",
                f"Số thứ tự {tail}: số quầy không bắt đầu bằng 0.",
                f"Sequence {tail}: the slot has no leading zero.",
            )
        return make_code(m["agency"], day, slot, number)
    owner, slot_text, number_text = tail[:2], tail[2:4], tail[4:]
    if len(number_text) > 3 and number_text[0] == "0":
        raise _bad(
            "code.padding",
            f"Số thứ tự {number_text}: chỉ đệm số 0 tới 3 chữ số.",
            f"Sequence {number_text}: zero padding only up to 3 digits.",
        )
    if int(number_text) == 0:
        raise _bad("code.number", "Số thứ tự 0 không được cấp.", "Number 0 is never issued.")
    return make_national_code(m["agency"], day, owner, int(slot_text), int(number_text))


def looks_like_code(text: str) -> bool:
    return bool(CODE_RE.match((text or "").strip().upper()))
