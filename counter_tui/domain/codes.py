"""Dossier codes (mã hồ sơ): ``{agency code}-{yyMMdd}-{sequence}``, unique without the server.

The sequence is the counter's slot in its office (1-99, assigned by the
central service when the counter is registered) followed by a 4-digit number
of that counter's dossiers on that date: ``000.00.00.H56-250715-30001`` is the
first dossier of counter 3 on 15/07/2025. Two counters of one office own
disjoint sequences, so both can issue final codes while offline. The store
keeps the last number used for every date and never reuses one, even if the
PC's clock jumps back. See docs/dossier-codes.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from counter_tui.domain.messages import DomainError, Msg

AGENCY_RE = re.compile(r"^[0-9A-Z]{2,4}(\.[0-9A-Z]{2,4}){0,5}$")
CODE_RE = re.compile(r"^(?P<agency>[0-9A-Z.]+)-(?P<date>\d{6})-(?P<slot>\d{1,2})(?P<n>\d{4})$")
MAX_PER_DAY = 9999
MAX_SLOT = 99


class CodeError(DomainError):
    pass


@dataclass(frozen=True)
class DossierCode:
    agency: str
    day: date
    slot: int
    number: int

    def __str__(self) -> str:
        return f"{self.agency}-{self.day:%y%m%d}-{self.slot}{self.number:04d}"


def check_agency(agency: str) -> str:
    if not AGENCY_RE.match(agency or ""):
        raise CodeError(
            "code.agency",
            Msg(
                f"Mã định danh cơ quan {agency!r} không đúng dạng (ví dụ 000.00.00.H56).",
                f"Agency code {agency!r} has the wrong shape (e.g. 000.00.00.H56).",
            ),
            "agency",
        )
    return agency


def make_code(agency: str, day: date, slot: int, number: int) -> DossierCode:
    check_agency(agency)
    if not 1 <= slot <= MAX_SLOT:
        raise CodeError("code.slot", Msg("Số quầy phải từ 1 đến 99.", "Slot must be 1-99."), "slot")
    if not 1 <= number <= MAX_PER_DAY:
        raise CodeError(
            "code.full",
            Msg(
                f"Quầy đã cấp hết {MAX_PER_DAY} số trong ngày {day:%d/%m/%Y}.",
                f"The counter used all {MAX_PER_DAY} numbers of {day:%d/%m/%Y}.",
            ),
        )
    return DossierCode(agency, day, slot, number)


def parse_code(text: str) -> DossierCode:
    """Parse and validate a code; raise :class:`CodeError` saying what is wrong."""
    m = CODE_RE.match((text or "").strip().upper())
    if not m:
        raise CodeError(
            "code.shape",
            Msg(
                f"Mã hồ sơ {text!r} không đúng dạng mã cơ quan-yyMMdd-số thứ tự.",
                f"Dossier code {text!r} is not agency-yyMMdd-sequence.",
            ),
            "code",
        )
    raw = m["date"]
    try:
        day = date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]))
    except ValueError as exc:
        raise CodeError(
            "code.date", Msg(f"Ngày {raw} trong mã không hợp lệ.", f"Bad date {raw}."), "code"
        ) from exc
    check_agency(m["agency"])
    slot, number = int(m["slot"]), int(m["n"])
    return make_code(m["agency"], day, slot, number)


def looks_like_code(text: str) -> bool:
    return bool(CODE_RE.match((text or "").strip().upper()))
