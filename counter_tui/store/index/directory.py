"""The dossier directory: in-memory indexes by code, phone, part of a number and words.

One compact row per dossier (a tab-separated UTF-8 string), each dossier
numbered by its position in ``_uids``. The code, phone and part-of-a-number
indexes are sorted arrays of (key hash, position) with a small overlay for
changes (index/packed.py): every lookup re-checks its candidates against the
current row. The name words keep posting lists of uids. The lookup by citizen
ID needs no entry here: dossiers are partitioned by citizen ID, so the shard
*is* that index. Kept in step with every commit through the store's change
listener; saved at full checkpoints (``saved_index``: a derived cache, rebuilt from
the shards and the log if it is missing or damaged). The row's format and the keys
read off it are in ``row_format``.
"""

from __future__ import annotations

import gc
import heapq
import threading
import time
import zlib
from array import array
from bisect import bisect_left, insort
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from counter_tui.domain.status import CLOCK_RUNNING, OPEN, Status
from counter_tui.domain.summary import Summary as Summary  # re-exported for store.local
from counter_tui.domain.text import fold
from counter_tui.store.engine import gc_policy
from counter_tui.store.engine.cipher import Cipher
from counter_tui.store.index import saved_index
from counter_tui.store.index.packed import Builder, Packed, key_hash
from counter_tui.store.index.row_format import (
    citizen_hashes,
    code_digits,
    code_of,
    day_slot_number,
    fields_of,
    legal_due,
    newest_first,
    normalize_phone,
    part_hashes,
    phone_hashes,
    summary_of,
    words_of,
)
from counter_tui.store.index.rows import Rows
from counter_tui.store.index.saved_index import SavedParts

# A save rewrites the buffer and its arrays (renumbering the dossiers) once the rows
# changed since it was built are this share of it; else it saves them as they are,
# with the changes beside them: a rewrite at 500,000 took 2.7 s more under the lock.
COMPACT_SHARE = 8
NEWEST_KEPT = 1000  # the newest rows kept for ``recent``
_OPEN = frozenset(int(s) for s in OPEN)
_RUNNING = frozenset(int(s) for s in CLOCK_RUNNING)


def code_index(rows: Iterable[bytes]) -> array[int]:
    """The code index's base over ``rows`` in order (a row's position is its index)."""
    b = Builder()
    crc = zlib.crc32
    for pos, row in enumerate(rows):
        b.add(crc(code_of(row)), pos)
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
        # Code, phone and part of a number (see part_keys): sorted arrays of
        # (key hash, position) plus an overlay of what changed since (index/packed.py).
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
            for h in phone_hashes(f):
                self.by_phone.add(h, pos)
            for h in citizen_hashes(f):
                self.by_citizen.add(h, pos)
            for h in part_hashes(f):
                self.by_part.add(h, pos)
            self._keep_newest(uid, None, f[6].encode("utf-8"))
            old_tokens: set[str] = set()
        else:
            old_f = old.decode("utf-8").split("\t")
            self._restep(self.by_code, {key_hash(old_f[0])}, {key_hash(f[0])}, pos)
            self._restep(self.by_phone, phone_hashes(old_f), phone_hashes(f), pos)
            self._restep(self.by_citizen, citizen_hashes(old_f), citizen_hashes(f), pos)
            self._restep(self.by_part, part_hashes(old_f), part_hashes(f), pos)
            self._keep_newest(uid, old_f[6].encode("utf-8"), f[6].encode("utf-8"))
            old_tokens = words_of(old_f)
        if f[0]:
            self._note_number(f[0])
        # Words are never taken out: a search re-checks each found row's words.
        for tok in words_of(f) - old_tokens:
            postings = self.by_token.get(tok)
            if postings is None:
                postings = self.by_token[tok] = array("I")
                insort(self._tokens_sorted, tok)
            postings.append(pos)
        status = int(f[4])
        if status in _OPEN:
            self.open[uid] = (status, legal_due(doc, f[5]))

    def _remove(self, uid: str) -> None:
        old = self.rows.get(uid)
        if old is None:
            return
        old_f = old.decode("utf-8").split("\t")
        pos = self._position(uid)
        self._restep(self.by_code, {key_hash(old_f[0])}, set(), pos)
        self._restep(self.by_phone, phone_hashes(old_f), set(), pos)
        self._restep(self.by_citizen, citizen_hashes(old_f), set(), pos)
        self._restep(self.by_part, part_hashes(old_f), set(), pos)
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
        found = day_slot_number(code)
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
                found = day_slot_number(code.decode("utf-8"))
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
            if row is not None and code_of(row) == want:
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
            if code_digits(code).endswith(digits) or (
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
                    for h in part_hashes(f):
                        parts.add(h, pos)
                    for tok in words_of(f):
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
        saved_index.write(
            path,
            SavedParts(txn, uids, buf, offs, uid_index, codes, changes, code_changes, self.open),
            cipher,
        )

    @staticmethod
    def saved_by_older_version(path: Path, cipher: Cipher | None = None) -> bool:
        """Whether ``path`` holds an index in an earlier version's format (see saved_index)."""
        return saved_index.saved_by_older_version(path, cipher)

    @classmethod
    def load(cls, path: Path, cipher: Cipher | None = None) -> Directory | None:
        """The saved directory, or None if missing or damaged (then rebuild)."""
        saved = saved_index.read(path, cipher)
        if saved is None:
            return None
        txn, uids, buf, offs, uid_index, codes, changes, code_changes, open_ = saved
        n = len(offs) - 1
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
