"""The dossier directory: in-memory indexes by code, phone, part of a number and words.

One compact row per dossier (a tab-separated UTF-8 string), each dossier
numbered by its position in ``_uids``. The code, phone and part-of-a-number
indexes are sorted arrays of (key hash, position) with a small overlay for
changes (store/packed.py): every lookup re-checks its candidates against the
current row. The name words keep posting lists of uids. The lookup by citizen
ID needs no entry here: dossiers are partitioned by citizen ID, so the shard
*is* that index. Kept in step with every commit through the store's change
listener; saved at full checkpoints with ``marshal`` (a derived cache: if it is
missing or damaged it is rebuilt from the shards and the log).
"""

from __future__ import annotations

import gc
import heapq
import marshal
import re
import threading
import time
import zlib
from array import array
from bisect import bisect_left, insort
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from counter_tui.domain.dossier import Dossier
from counter_tui.domain.status import CLOCK_RUNNING, OPEN, Status
from counter_tui.domain.summary import Summary as Summary  # re-exported for store.local
from counter_tui.domain.text import fold
from counter_tui.store.engine import gc_policy
from counter_tui.store.engine.cipher import Cipher, CipherError
from counter_tui.store.engine.disk import write_atomic
from counter_tui.store.index.packed import Builder, Packed, key_hash
from counter_tui.store.index.rows import Rows

# 5 (issue 16.4): the rows in one buffer, the uid and code indexes as sorted arrays of
# (hash, position), and what changed since in dicts; 2: phone and name indexes are
# rebuilt after open, not saved.
MAGIC = b"CTDIR5\n"
# A save rewrites the buffer and its arrays (renumbering the dossiers) once the rows
# changed since it was built are this share of it; else it saves them as they are,
# with the changes beside them: a rewrite at 500,000 took 2.7 s more under the lock.
COMPACT_SHARE = 8
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
NEWEST_KEPT = 1000  # the newest rows kept for ``recent``
SAME_AS_CITIZEN = "="  # never a shard key: those are citizen IDs and "uid:..."
_CODE_TAIL = re.compile(r"-(?P<day>\d{6})-(?P<tail>\d{5,})$")
_OPEN = frozenset(int(s) for s in OPEN)
_RUNNING = frozenset(int(s) for s in CLOCK_RUNNING)


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


def _legal_due(doc: dict[str, Any], due_at: str) -> str:
    """The due date the overdue list judges by: the legal one, as the report and the
    hand-over do (an apology's new date does not make an open dossier on time again)."""
    if not any(e.get("action") == "reschedule" for e in doc.get("events") or ()):
        return due_at  # the common case, without building a Dossier
    return Dossier.from_dict(doc).legal_due_at() or due_at


def _words(f: list[str]) -> set[str]:
    """The words a row is found by: the owner's name, the submitter's, the address."""
    return set(f[9].split()) | (set(f[10].split()) if len(f) > 10 else set())


def _part_keys(f: list[str]) -> set[str]:
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


def _day_slot_number(code: str) -> tuple[str, int, int] | None:
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


def _code_digits(code: str) -> str:
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


def _part_hashes(f: list[str] | None) -> set[int]:
    return {key_hash(k) for k in _part_keys(f)} if f is not None else set()


def _phone_hashes(f: list[str] | None) -> set[int]:
    return {key_hash(f[2])} if f is not None and f[2] else set()


def _citizen_hashes(f: list[str] | None) -> set[int]:
    return {key_hash(f[1])} if f is not None and f[1] else set()


def _code_of(row: bytes) -> bytes:
    return row[: row.index(b"\t")]


def code_index(rows: Iterable[bytes]) -> array[int]:
    """The code index's base over ``rows`` in order (a row's position is its index)."""
    b = Builder()
    crc = zlib.crc32
    for pos, row in enumerate(rows):
        b.add(crc(_code_of(row)), pos)
    return b.build()


def code_index_of(buf: bytes, offs: array[int]) -> array[int]:
    """``code_index`` over rows in one buffer, without a bytes object per row."""
    b = Builder()
    crc, view, find = zlib.crc32, memoryview(buf), buf.index
    for pos in range(len(offs) - 1):
        start = offs[pos]
        b.add(crc(view[start : find(b"\t", start)]), pos)
    return b.build()


class Directory:
    def __init__(self) -> None:
        # A dossier's number: its position here. Positions from the saved index are
        # the saved rows' order; a dossier new since then is appended and noted in
        # ``_pos_new``. A removed one keeps its number (and gets it back if it returns).
        self._uids: list[str] = []
        self._pos_new: dict[str, int] = {}
        # uid -> row: the saved rows in one buffer, numbered as in ``_uids``.
        self.rows = Rows(self._uids)
        # Code, phone and part of a number (see _part_keys): sorted arrays of
        # (key hash, position) plus an overlay of what changed since (store/packed.py).
        self.by_code = Packed()
        self.by_phone = Packed()
        self.by_part = Packed()
        # By citizen ID (issue 16.4): the lookup's answer from the rows, without reading
        # the citizen's shard, whose size grows with the store (4,096 shards always).
        self.by_citizen = Packed()
        # Word -> positions of the dossiers found by it, in the order they came (4 bytes
        # a posting: about ten a dossier with the submitter's name and the address).
        self.by_token: dict[str, array[int]] = {}
        self.open: dict[str, tuple[int, str]] = {}
        # The newest rows by received time, oldest first (received_at, uid): kept as
        # dossiers come and go, found again when it falls short (see recent).
        self._newest: list[tuple[bytes, str]] | None = None
        self._tokens_sorted: list[str] = []
        self.txn = 0  # the log position this state covers
        # yymmdd -> slot -> highest daily number in use (computed per day when first asked).
        self._numbers: dict[str, dict[int, int]] = {}
        # The phone, part and name indexes are derived from ``rows`` after a load, in a
        # background thread (see build_secondary); lookups by phone or name wait for it.
        self.secondary_ready = threading.Event()
        self.secondary_ready.set()

    def __len__(self) -> int:
        return len(self.rows)

    # --- keeping in step ------------------------------------------------------------------

    def _position(self, uid: str, base_pos: int | None = None) -> int:
        """The dossier's number; a new one gets the next. ``base_pos``: its position in
        the rows' base when the caller has just looked it up (-1: not there)."""
        pos = self._pos_new.get(uid)
        if pos is None:
            if base_pos is None:
                pos = self.rows.base_position(uid)
            elif base_pos >= 0:
                pos = base_pos
        if pos is not None:
            return pos
        pos = len(self._uids)
        self._uids.append(uid)
        self._pos_new[uid] = pos
        return pos

    @staticmethod
    def _restep(index: Packed, old: set[int], new: set[int], pos: int) -> None:
        for h in old - new:
            index.discard(h, pos)
        for h in new - old:
            index.add(h, pos)

    def put(self, uid: str, doc: dict[str, Any] | None, shard_key: str = "") -> None:
        """Index the dossier ``uid`` as ``doc`` (None removes it). Idempotent."""
        if doc is None:
            self._remove(uid)
            return
        f = fields_of(doc, shard_key)
        # UTF-8 bytes, not str: a str holding one Vietnamese letter is stored 2 bytes a
        # character, and half a million rows is where that shows.
        new = "\t".join(f).encode("utf-8")
        old, base_pos = self.rows.swap(uid, new)
        if old == new:
            return
        pos = self._position(uid, base_pos)
        self.open.pop(uid, None)
        if old is None:
            # A dossier new here (every one of a first pull): only keys to add.
            self.by_code.add(key_hash(f[0]), pos)
            for h in _phone_hashes(f):
                self.by_phone.add(h, pos)
            for h in _citizen_hashes(f):
                self.by_citizen.add(h, pos)
            for h in _part_hashes(f):
                self.by_part.add(h, pos)
            self._keep_newest(uid, None, f[6].encode("utf-8"))
            old_tokens: set[str] = set()
        else:
            old_f = old.decode("utf-8").split("\t")
            self._restep(self.by_code, {key_hash(old_f[0])}, {key_hash(f[0])}, pos)
            self._restep(self.by_phone, _phone_hashes(old_f), _phone_hashes(f), pos)
            self._restep(self.by_citizen, _citizen_hashes(old_f), _citizen_hashes(f), pos)
            self._restep(self.by_part, _part_hashes(old_f), _part_hashes(f), pos)
            self._keep_newest(uid, old_f[6].encode("utf-8"), f[6].encode("utf-8"))
            old_tokens = _words(old_f)
        if f[0]:
            self._note_number(f[0])
        # Words are never taken out: a search re-checks each found row's words.
        for tok in _words(f) - old_tokens:
            postings = self.by_token.get(tok)
            if postings is None:
                postings = self.by_token[tok] = array("I")
                insort(self._tokens_sorted, tok)
            postings.append(pos)
        status = int(f[4])
        if status in _OPEN:
            self.open[uid] = (status, _legal_due(doc, f[5]))

    def _remove(self, uid: str) -> None:
        old = self.rows.get(uid)
        if old is None:
            return
        old_f = old.decode("utf-8").split("\t")
        pos = self._position(uid)
        self._restep(self.by_code, {key_hash(old_f[0])}, set(), pos)
        self._restep(self.by_phone, _phone_hashes(old_f), set(), pos)
        self._restep(self.by_citizen, _citizen_hashes(old_f), set(), pos)
        self._restep(self.by_part, _part_hashes(old_f), set(), pos)
        self.open.pop(uid, None)
        self._keep_newest(uid, old_f[6].encode("utf-8"), None)
        self.rows.pop(uid, None)

    def compact(self) -> None:
        """Renumber the dossiers by received time and rebuild the code index over them;
        the phone, part and name indexes are then rebuilt by ``build_secondary``.
        For a directory filled one put at a time (a rebuild from the shards).

        In time order, not the shards': a name search walks the numbers from the
        newest end and stops at its cap, so a common name must meet today's first."""
        items = sorted(self.rows.items(), key=lambda kv: kv[1].split(b"\t", 7)[6])
        uids, rows = [uid for uid, _row in items], [row for _uid, row in items]
        del items
        self._uids, self._pos_new = uids, {}
        self.rows = Rows.of(uids, rows)
        self.by_code = Packed(code_index(rows))
        self.by_phone, self.by_part, self.by_citizen = Packed(), Packed(), Packed()
        self.by_token, self._tokens_sorted = {}, []
        self.secondary_ready.clear()

    def _note_number(self, code: str) -> None:
        found = _day_slot_number(code)
        if found is None:
            return
        day = self._numbers.get(found[0])
        if day is not None:
            _day, slot, n = found
            day[slot] = max(day.get(slot, 0), n)

    def highest_number(self, day: date, slot: int) -> int:
        """The highest daily number of a code in use for ``day`` and ``slot`` (0 if none).

        Derived from the dossiers themselves, so the code counter never depends on
        one file alone. The first call for a day scans the codes once.
        """
        key = day.strftime("%y%m%d")
        numbers = self._numbers.get(key)
        if numbers is None:
            numbers = self._numbers[key] = {}
            for code in self.rows.codes_with(f"-{key}-".encode()):
                found = _day_slot_number(code.decode("utf-8"))
                if found is not None and found[0] == key:
                    _day, s, n = found
                    numbers[s] = max(numbers.get(s, 0), n)
        return numbers.get(slot, 0)

    # --- lookups --------------------------------------------------------------------------

    def summary(self, uid: str) -> Summary | None:
        row = self.rows.get(uid)
        return summary_of(uid, row) if row is not None else None

    def uid_by_code(self, code: str) -> str | None:
        want = code.strip().upper().encode("utf-8")
        if not want:
            return None
        # Newest entry first: the overlay's, after the base's.
        for pos in reversed(self.by_code.positions(zlib.crc32(want))):
            row = self.rows.at(pos)
            if row is not None and _code_of(row) == want:
                return self._uids[pos]
        return None

    def by_citizen_id(self, citizen_id: str) -> list[Summary]:
        """Dossiers of this citizen, newest received first (after ``secondary_ready``),
        in the order of ``newest_first``: the shard's answer before the build is too."""
        return newest_first(self._matching(self.by_citizen, citizen_id, 1))

    def by_phone_number(self, phone: str) -> list[Summary]:
        """Dossiers with this phone number, newest received first."""
        return self._matching(self.by_phone, normalize_phone(phone), 2)

    def _matching(self, index: Packed, want: str, field: int) -> list[Summary]:
        """The rows whose ``field`` is ``want``, found through ``index``; newest first."""
        if not want:
            return []
        wanted = want.encode("utf-8")
        found: dict[str, tuple[bytes, int, bytes]] = {}
        for pos in index.positions(key_hash(want)):
            uid = self._uids[pos]
            row = self.rows.at(pos)
            if uid in found or row is None:
                continue
            f = row.split(b"\t", 7)
            if f[field] == wanted:
                found[uid] = (f[6], pos, row)
        ordered = sorted(found.items(), key=lambda kv: kv[1][:2], reverse=True)
        return [summary_of(uid, row) for uid, (_at, _pos, row) in ordered]

    def search_name(
        self, query: str, limit: int = 50, count_cap: int = 1000
    ) -> tuple[list[Summary], int]:
        """Dossiers whose applicant name has every query word (the last as a prefix).

        Walks the rarest word's posting list from its newest end, checks the
        others by set membership and the row's folded name, and stops at
        ``count_cap`` matches (the UI then says "more than"): the cost follows
        the rarest word and the cap, never the size of the cache. Exact
        full-name matches first, then newest first.
        """
        digits = "".join(ch for ch in query if ch not in " .-")
        if digits.isdigit():
            return self.search_part(digits, limit=limit, count_cap=count_cap)
        words = fold(query).split()
        if not words:
            return [], 0
        *whole, last = words
        lists: list[array[int]] = []
        for w in whole:
            postings = self.by_token.get(w)
            if postings is None:
                return [], 0
            lists.append(postings)
        i = bisect_left(self._tokens_sorted, last)
        prefix_lists: list[array[int]] = []
        while i < len(self._tokens_sorted) and self._tokens_sorted[i].startswith(last):
            prefix_lists.append(self.by_token[self._tokens_sorted[i]])
            i += 1
        if not prefix_lists:
            return [], 0

        uids, rows = self._uids, self.rows

        def received(pos: int) -> bytes:
            row = rows.at(pos)
            return row.split(b"\t", 7)[6] if row is not None else b""

        def newest_first(postings: list[array[int]]) -> Iterable[int]:
            # Each posting list grows in time order: merge them from their newest ends.
            return heapq.merge(*(reversed(p) for p in postings), key=received, reverse=True)

        prefix_total = sum(len(p) for p in prefix_lists)
        walk: Iterable[int]
        if lists:
            # Narrow with set operations (in C), then walk the rarest whole word's
            # postings from the newest end, keeping the survivors: no sort needed.
            lists.sort(key=len)
            base = lists[0]
            survivors = set(base).intersection(*lists[1:]) if len(lists) > 1 else set(base)
            if prefix_total <= 100_000:
                survivors.intersection_update(set().union(*prefix_lists))
            walk = (p for p in reversed(base) if p in survivors)
        else:
            walk = newest_first(prefix_lists)
        needles = [f" {w} ".encode() for w in whole]
        prefix = f" {last}".encode()
        # "Ngô Ng…" must find a second word starting with "ng", not "Ngô" again.
        need = 1 + sum(w.startswith(last) for w in whole)
        matched: list[tuple[bytes, str]] = []
        seen: set[str] = set()
        for pos in walk:
            uid = uids[pos]
            if uid in seen:
                continue  # under a word twice (removed and put back)
            row = rows.at(pos)
            if row is None:
                continue
            fields = row.split(b"\t")
            folded = b" " + b" ".join(fields[9:]) + b" "
            if folded.count(prefix) < need or not all(n in folded for n in needles):
                continue
            seen.add(uid)
            matched.append((row, uid))
            if len(matched) >= count_cap:
                break
        exact = fold(query).encode()
        # The walk follows the numbering, which is time order only for dossiers added
        # one by one: a rebuild numbers them shard by shard. Sorted here, so the newest
        # come first whenever the matches are under ``count_cap``.
        matched.sort(key=lambda m: m[0].split(b"\t", 7)[6], reverse=True)
        matched.sort(key=lambda m: m[0].split(b"\t")[9] != exact)
        return [summary_of(uid, row) for row, uid in matched[:limit]], len(matched)

    def search_part(
        self, digits: str, limit: int = 50, count_cap: int = 1000
    ) -> tuple[list[Summary], int]:
        """Dossiers whose code ends with ``digits`` (5 or more: "10004", "26113010003"),
        or whose citizen ID starts or ends with them, or whose phone ends with them
        (6 or more). Newest first; the cost follows the few uids under one key."""
        if len(digits) < 5:
            return [], 0
        keys = {digits[-5:]}
        if len(digits) >= 6:
            keys |= {digits[-6:], "^" + digits[:6]}
        candidates = {pos for key in keys for pos in self.by_part.positions(key_hash(key))}
        matched: list[tuple[str, str, bytes]] = []
        for pos in candidates:
            row = self.rows.at(pos)
            if row is None:
                continue
            f = row.decode("utf-8").split("\t", 3)
            code, cid, phone = f[0], f[1], f[2]
            if _code_digits(code).endswith(digits) or (
                len(digits) >= 6
                and (cid.startswith(digits) or cid.endswith(digits) or phone.endswith(digits))
            ):
                matched.append((row.split(b"\t", 7)[6].decode(), self._uids[pos], row))
        # Every candidate checked before the cut: stopping at ``count_cap`` in the set's
        # order kept an arbitrary thousand, so the start of a citizen ID shared by
        # thousands (province and birth year) could leave today's dossier out.
        matched.sort(reverse=True)
        shown = [summary_of(uid, row) for _at, uid, row in matched[:limit]]
        return shown, min(len(matched), count_cap)

    def _keep_newest(self, uid: str, before: bytes | None, received: bytes | None) -> None:
        """Keep ``_newest`` the true top of the rows by received time. Every row left
        out of it is no newer than its first (oldest) entry, so a leaver makes it
        shorter but still true, and a row at least as new as that entry goes in."""
        newest = self._newest
        if newest is None:
            return
        if before is not None:
            i = bisect_left(newest, (before, ""))
            while i < len(newest) and newest[i][0] == before:
                if newest[i][1] == uid:
                    del newest[i]
                    break
                i += 1
        if not newest:
            self._newest = None  # nothing left to compare with: found again when asked
        elif received is not None and received >= newest[0][0]:
            insort(newest, (received, uid))
            if len(newest) > NEWEST_KEPT:
                del newest[0]

    def recent(self, limit: int = 200) -> list[Summary]:
        """The most recently received dossiers, newest first, parsing only those shown.

        The newest NEWEST_KEPT are kept as dossiers come and go: the lookup screen asks
        for them each time it opens, and finding them among 500,000 rows took 0.4-1 s."""
        newest = self._newest
        if newest is None or (len(newest) < limit and len(newest) < len(self.rows)):
            top = self.rows.largest(max(limit, NEWEST_KEPT), 6)
            newest = [(row.split(b"\t", 7)[6], uid) for uid, row in reversed(top)]
            self._newest = newest
        shown = newest[-limit:] if limit > 0 else []
        return [summary_of(uid, self.rows[uid]) for _at, uid in reversed(shown)]

    def summaries(self) -> list[Summary]:
        """Every dossier's summary, in the rows' order."""
        at, uids = self.rows.at, self._uids
        return [summary_of(uids[p], row) for p in range(len(uids)) if (row := at(p)) is not None]

    def open_lists(self, today: date, limit: int = 500) -> dict[str, list[Summary]]:
        """Due today, overdue, awaiting supplement, ready to hand over (open dossiers only).

        Each list is sorted by due date and cut at ``limit`` rows.
        """
        iso = today.isoformat()
        keys: dict[str, list[tuple[str, str]]] = {
            "due_today": [],
            "overdue": [],
            "awaiting_supplement": [],
            "ready": [],
        }
        for uid, (status, due) in self.open.items():
            key = None
            if status == Status.AWAITING_SUPPLEMENT:
                key = "awaiting_supplement"
            elif status == Status.READY:
                key = "ready"
            elif status in _RUNNING and due:
                day = due[:10]
                if day == iso:
                    key = "due_today"
                elif day < iso:
                    key = "overdue"
            if key:
                keys[key].append((due, uid))
        out: dict[str, list[Summary]] = {}
        for name, items in keys.items():
            items.sort()
            out[name] = [summary_of(uid, self.rows[uid]) for _due, uid in items[:limit]]
        return out

    # --- persistence ----------------------------------------------------------------------

    def build_secondary(self, lock: threading.RLock, chunk: int = 20_000) -> None:
        """Derive the phone, citizen ID, part and name indexes from the rows, a chunk at a time.

        Loading them from disk cost 0.5 s of the open at 500k dossiers; deriving
        them in the background keeps the open short, and the lock is released
        between chunks so the clerk's saves and lookups go on meanwhile (what they
        change meanwhile goes to the overlays; a lookup re-checks every candidate).
        """
        with lock:
            count = len(self._uids)
        phones, parts, citizens = Builder(), Builder(), Builder()
        for start in range(0, count, chunk):
            with lock:
                rows, by_token = self.rows, self.by_token
                for pos in range(start, min(count, start + chunk)):
                    row = rows.at(pos)
                    if row is None:
                        continue  # removed
                    f = row.decode("utf-8").split("\t")
                    if f[2]:
                        phones.add(key_hash(f[2]), pos)
                    if f[1]:
                        citizens.add(key_hash(f[1]), pos)
                    for h in _part_hashes(f):
                        parts.add(h, pos)
                    for tok in _words(f):
                        postings = by_token.get(tok)
                        if postings is None:
                            postings = by_token[tok] = array("I")
                        postings.append(pos)
            time.sleep(0)
        # Sorted outside the lock: the arrays are this thread's until handed over.
        phone_base, part_base, citizen_base = phones.build(), parts.build(), citizens.build()
        with lock:
            self.by_phone.base, self.by_part.base = phone_base, part_base
            self.by_citizen.base = citizen_base
            self._tokens_sorted = sorted(self.by_token)
            # Long-lived now: out of the cyclic GC's full passes, as the rest of the index.
            gc.freeze()
        gc_policy.give_back_free_memory()
        self.secondary_ready.set()

    def save(
        self, path: Path, txn: int, cipher: Cipher | None = None, *, compact: bool | None = None
    ) -> None:
        """Save the directory (``compact``: in one new buffer; by default once the
        changes are a COMPACT_SHARE of the rows, else the changes beside the buffer)."""
        self.txn = txn
        rows = self.rows
        if compact is None:
            compact = len(rows.changes) > max(1000, rows.base_len // COMPACT_SHARE)
        if compact:
            uids, buf, offs, uid_index = rows.parts()
            codes, changes, code_changes = code_index_of(buf, offs), {}, {}
        else:
            uids, (buf, offs, uid_index) = self._uids, rows.base()
            codes, changes, code_changes = self.by_code.base, rows.changes, self.by_code.extra
        payload = marshal.dumps(
            (
                txn,
                uids,
                buf,
                offs.tobytes(),
                uid_index.tobytes(),
                codes.tobytes(),
                changes,
                code_changes,
                self.open,
            ),
            4,
        )
        data = MAGIC + b"%08x\n" % zlib.crc32(payload) + payload
        write_atomic(path, cipher.seal(data) if cipher else data)

    @staticmethod
    def saved_by_older_version(path: Path, cipher: Cipher | None = None) -> bool:
        """Whether ``path`` holds an index an earlier version saved in its own format: it is
        rebuilt like a damaged one, but the clerk is told why, not that something broke."""
        try:
            raw = path.read_bytes()
            if cipher is not None:
                raw = cipher.open(raw)
        except (OSError, CipherError):
            return False
        return raw.startswith(MAGIC[:5]) and not raw.startswith(MAGIC)

    @classmethod
    def load(cls, path: Path, cipher: Cipher | None = None) -> Directory | None:
        """The saved directory, or None if missing or damaged (then rebuild)."""
        try:
            raw = path.read_bytes()
            if cipher is not None:
                raw = cipher.open(raw)
        except (FileNotFoundError, CipherError):
            return None
        head = len(MAGIC) + 9
        if not raw.startswith(MAGIC) or len(raw) < head:
            return None
        try:
            crc = int(raw[len(MAGIC) : head - 1], 16)
        except ValueError:
            return None
        payload = memoryview(raw)[head:]
        if zlib.crc32(payload) != crc:
            return None
        # Millions of new objects: keep the cyclic GC from scanning them as they appear.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            txn, uids, buf, *arrays, changes, code_changes, open_ = marshal.loads(payload)
            offs, uid_index, codes = (array("Q") for _ in range(3))
            for a, raw_array in zip((offs, uid_index, codes), arrays, strict=True):
                a.frombytes(raw_array)
        except (ValueError, EOFError, TypeError):
            return None
        finally:
            if was_enabled:
                gc.enable()
        n = len(offs) - 1
        if not (
            isinstance(uids, list)
            and isinstance(changes, dict)
            and isinstance(code_changes, dict)
            and n <= len(uids)
            and len(uid_index) == len(codes) == n
            and offs[-1] == len(buf)
        ):
            return None
        d = cls()
        d.txn, d.open = txn, open_
        d._uids = uids
        # Numbered after the base: dossiers added since it was built.
        d._pos_new = {uids[pos]: pos for pos in range(n, len(uids))}
        d.rows = Rows(uids, buf, offs, uid_index, changes)
        d.by_code = Packed(codes)
        d.by_code.extra = code_changes
        d.secondary_ready.clear()
        return d
