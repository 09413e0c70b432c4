"""What kind of key the clerk typed: a dossier code, a citizen ID, a phone number or a name.

One rule for every search box (lookup, hand-over, asking the centre), so they
cannot disagree about what "079185000001" or "000.00.00.H56-261125-10001" is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from counter_tui.domain.citizen_id import normalize
from counter_tui.domain.codes import looks_like_code


class KeyKind(Enum):
    EMPTY = "empty"
    CODE = "code"  # a dossier code; value upper-cased
    CITIZEN_ID = "citizen_id"  # 12 digits
    PHONE = "phone"  # 9 to 11 digits (an old 9-digit CMND is searched as a phone too)
    DIGITS = "digits"  # too few digits to mean anything
    NAME = "name"  # words of a name


@dataclass(frozen=True)
class SearchKey:
    kind: KeyKind
    value: str


def search_key(text: str) -> SearchKey:
    q = text.strip()
    if not q:
        return SearchKey(KeyKind.EMPTY, "")
    if looks_like_code(q):
        return SearchKey(KeyKind.CODE, q.upper())
    digits = normalize(q)
    if digits.isdigit():
        if len(digits) == 12:
            return SearchKey(KeyKind.CITIZEN_ID, digits)
        if len(digits) >= 9:
            return SearchKey(KeyKind.PHONE, digits)
        return SearchKey(KeyKind.DIGITS, digits)
    return SearchKey(KeyKind.NAME, q)
