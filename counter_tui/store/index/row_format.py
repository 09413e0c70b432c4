"""One dossier as the directory holds it: a tab-separated row, and the keys read off it.

The row's fields (``FIELDS``) are what a lookup shows and what the indexes are keyed
by, so the directory never parses a stored dossier again; ``summary_of`` turns a row
back into the domain's :class:`~counter_tui.domain.summary.Summary`. Pure functions,
shared by the directory and the store that fills it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from counter_tui.domain.dossier import Dossier
from counter_tui.domain.summary import Summary
from counter_tui.domain.text import fold
from counter_tui.store.index.packed import key_hash

FIELDS = (
    "code",
    "citizen_id",
    "phone",
    "name",
    "status",
    "due_at",
    "received_at",
    "procedure_code",
    "shard_key",  # SAME_AS_CITIZEN when it is the citizen ID
    "folded",
    "folded_more",  # the submitter's name and the address, folded: found by words too
)
SAME_AS_CITIZEN = "="  # never a shard key: those are citizen IDs and "uid:..."
_CODE_TAIL = re.compile(r"-(?P<day>\d{6})-(?P<tail>\d{5,})$")


def normalize_phone(phone: str) -> str:
    digits = phone if phone.isdigit() else "".join(ch for ch in phone or "" if ch.isdigit())
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


_FOLDED: dict[str, str] = {}
_FOLDED_MAX = 200_000  # words; names and addresses repeat a small vocabulary


def fold_words(text: str) -> str:
    """``fold(text)``, one word at a time through a cache: indexing 100,000 pulled
    dossiers folded the same few thousand words (Nguyễn, Văn, Thôn…) over and over.
    Folding is per character apart from the spaces it puts between words, so folding
    each word and joining the non-empty results gives the same string."""
    out = []
    cache = _FOLDED
    for word in text.split():
        folded = cache.get(word)
        if folded is None:
            if len(cache) >= _FOLDED_MAX:
                cache.clear()
            folded = cache[word] = fold(word)
        if folded:
            out.append(folded)
    return " ".join(out)


def row_of(doc: dict[str, Any], shard_key: str) -> bytes:
    return "\t".join(fields_of(doc, shard_key)).encode("utf-8")


def fields_of(doc: dict[str, Any], shard_key: str) -> list[str]:
    """The row's fields (see FIELDS), tabs already replaced."""
    a = doc.get("applicant") or {}
    name = str(a.get("full_name", ""))
    cid = str(a.get("citizen_id") or "")
    values = (
        str(doc.get("code", "")),
        cid,
        normalize_phone(str(a.get("phone", ""))),
        name,
        str(doc.get("status") if doc.get("status") is not None else 0),
        str(doc.get("due_at") or ""),
        str(doc.get("received_at") or ""),
        str(doc.get("procedure_code", "")),
        # Nearly always the citizen ID again: 12 bytes a row, 6 MB at 500,000 dossiers.
        SAME_AS_CITIZEN if shard_key == cid and cid else shard_key,
        fold_words(name),
        fold_words(f"{(doc.get('submitter') or {}).get('full_name', '')} {a.get('address', '')}"),
    )
    return [v.replace("\t", " ") for v in values]


def legal_due(doc: dict[str, Any], due_at: str) -> str:
    """The due date the overdue list judges by: the legal one, as the report and the
    hand-over do (an apology's new date does not make an open dossier on time again)."""
    if not any(e.get("action") == "reschedule" for e in doc.get("events") or ()):
        return due_at  # the common case, without building a Dossier
    return Dossier.from_dict(doc).legal_due_at() or due_at


def words_of(f: list[str]) -> set[str]:
    """The words a row is found by: the owner's name, the submitter's, the address."""
    return set(f[9].split()) | (set(f[10].split()) if len(f) > 10 else set())


def part_keys(f: list[str]) -> set[str]:
    """Keys of the part index: the code's last 5 digits (its number), the last 6 digits
    of the citizen ID and of the phone, and the first 6 of the citizen ID (``^``)."""
    keys = set()
    code_digits = "".join(ch for ch in f[0].rsplit("-", 2)[-1] if ch.isdigit())
    if len(code_digits) >= 5:
        keys.add(code_digits[-5:])
    for number in (f[1], f[2]):
        if len(number) >= 6:
            keys.add(number[-6:])
    if len(f[1]) >= 6:
        keys.add("^" + f[1][:6])
    return keys


def day_slot_number(code: str) -> tuple[str, int, int] | None:
    """(yymmdd, slot, number) of a code of either shape (domain/codes.py): the office
    one's tail is the slot then 4 digits; the national one's (7 digits or more) is the
    owner, the slot in 2 digits, then the number. Both draw on one counter a day."""
    m = _CODE_TAIL.search(code)
    if m is None:
        return None
    tail = m["tail"]
    if len(tail) <= 6:
        return m["day"], int(tail[:-4]), int(tail[-4:])
    return m["day"], int(tail[2:4]), int(tail[4:])


def code_digits(code: str) -> str:
    """The digits of a code after the office part: "261125-10001" gives 26112510001."""
    tail = code.split("-", 1)[1] if "-" in code else code
    return "".join(ch for ch in tail if ch.isdigit())


def summary_of(uid: str, row: bytes) -> Summary:
    f = row.decode("utf-8").split("\t")
    shard_key = f[1] if f[8] == SAME_AS_CITIZEN else f[8]
    return Summary(uid, f[0], f[1], f[2], f[3], int(f[4]), f[5], f[6], f[7], shard_key)


def newest_first(summaries: Iterable[Summary]) -> list[Summary]:
    """Newest received first; at the same moment (or with no time yet) the higher code,
    then the uid. A whole order, so the citizen-ID lookup answers alike from the shard
    (before the background build) and from the directory (after it): the shard's table
    order and the directory's numbering disagree about dossiers that tie."""
    return sorted(summaries, key=lambda s: (s.received_at, s.code, s.uid), reverse=True)


def part_hashes(f: list[str] | None) -> set[int]:
    return {key_hash(k) for k in part_keys(f)} if f is not None else set()


def phone_hashes(f: list[str] | None) -> set[int]:
    return {key_hash(f[2])} if f is not None and f[2] else set()


def citizen_hashes(f: list[str] | None) -> set[int]:
    return {key_hash(f[1])} if f is not None and f[1] else set()


def code_of(row: bytes) -> bytes:
    return row[: row.index(b"\t")]
