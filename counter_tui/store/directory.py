"""The dossier directory: in-memory indexes by code, phone and folded name words.

One compact row per dossier (a tab-separated string) plus dicts pointing at
it. The lookup by citizen ID needs no entry here: dossiers are partitioned by
citizen ID, so the shard *is* that index. Kept in step with every commit
through the store's change listener; saved at full checkpoints with
``marshal`` (a derived cache: if it is missing or damaged it is rebuilt from
the shards and the log).
"""

from __future__ import annotations

import marshal
import zlib
from bisect import bisect_left, insort
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from counter_tui.domain.status import CLOCK_RUNNING, OPEN, Status
from counter_tui.domain.text import fold
from counter_tui.store.files import write_atomic

MAGIC = b"CTDIR1\n"
FIELDS = (
    "code",
    "citizen_id",
    "phone",
    "name",
    "status",
    "due_at",
    "received_at",
    "procedure_code",
    "shard_key",
    "folded",
)
_OPEN = frozenset(int(s) for s in OPEN)
_RUNNING = frozenset(int(s) for s in CLOCK_RUNNING)


def normalize_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


@dataclass(frozen=True)
class Summary:
    """What a result list shows about a dossier, without loading it."""

    uid: str
    code: str
    citizen_id: str
    phone: str
    name: str
    status: int
    due_at: str
    received_at: str
    procedure_code: str
    shard_key: str

    @property
    def state(self) -> Status:
        return Status(self.status)


def row_of(doc: dict[str, Any], shard_key: str) -> str:
    a = doc.get("applicant") or {}
    name = str(a.get("full_name", ""))
    values = (
        str(doc.get("code", "")),
        str(a.get("citizen_id") or ""),
        normalize_phone(str(a.get("phone", ""))),
        name,
        str(doc.get("status") if doc.get("status") is not None else 0),
        str(doc.get("due_at") or ""),
        str(doc.get("received_at") or ""),
        str(doc.get("procedure_code", "")),
        shard_key,
        fold(name),
    )
    return "\t".join(v.replace("\t", " ") for v in values)


def summary_of(uid: str, row: str) -> Summary:
    f = row.split("\t")
    return Summary(uid, f[0], f[1], f[2], f[3], int(f[4]), f[5], f[6], f[7], f[8])


class Directory:
    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.by_code: dict[str, str] = {}
        self.by_phone: dict[str, list[str]] = {}
        self.by_token: dict[str, list[str]] = {}
        self.open: dict[str, tuple[int, str]] = {}
        self._tokens_sorted: list[str] = []
        self.txn = 0  # the log position this state covers

    def __len__(self) -> int:
        return len(self.rows)

    # --- keeping in step ------------------------------------------------------------------

    def put(self, uid: str, doc: dict[str, Any] | None, shard_key: str = "") -> None:
        """Index the dossier ``uid`` as ``doc`` (None removes it). Idempotent."""
        old = self.rows.get(uid)
        new = row_of(doc, shard_key) if doc is not None else None
        if old == new:
            return
        if old is not None:
            f = old.split("\t")
            if self.by_code.get(f[0]) == uid:
                del self.by_code[f[0]]
            if f[2]:
                lst = self.by_phone.get(f[2])
                if lst and uid in lst:
                    lst.remove(uid)
                    if not lst:
                        del self.by_phone[f[2]]
            self.open.pop(uid, None)
        if new is None:
            self.rows.pop(uid, None)
            return
        self.rows[uid] = new
        f = new.split("\t")
        if f[0]:
            self.by_code[f[0]] = uid
        if f[2]:
            lst = self.by_phone.setdefault(f[2], [])
            if uid not in lst:
                lst.append(uid)
        old_tokens = set(old.split("\t")[9].split()) if old is not None else set()
        for tok in set(f[9].split()) - old_tokens:
            postings = self.by_token.get(tok)
            if postings is None:
                postings = self.by_token[tok] = []
                insort(self._tokens_sorted, tok)
            postings.append(uid)
        status = int(f[4])
        if status in _OPEN:
            self.open[uid] = (status, f[5])

    # --- lookups --------------------------------------------------------------------------

    def summary(self, uid: str) -> Summary | None:
        row = self.rows.get(uid)
        return summary_of(uid, row) if row is not None else None

    def uid_by_code(self, code: str) -> str | None:
        return self.by_code.get(code.strip().upper())

    def by_phone_number(self, phone: str) -> list[Summary]:
        uids = self.by_phone.get(normalize_phone(phone), [])
        return [summary_of(u, self.rows[u]) for u in reversed(uids) if u in self.rows]

    def search_name(
        self, query: str, limit: int = 50, count_cap: int = 1000
    ) -> tuple[list[Summary], int]:
        """Dossiers whose applicant name has every query word (the last as a prefix).

        Newest first; counts matches up to ``count_cap`` (the UI says "more than").
        """
        words = fold(query).split()
        if not words:
            return [], 0
        *whole, last = words
        if whole:
            lists = [self.by_token.get(w) for w in whole]
            if any(lst is None for lst in lists):
                return [], 0
            candidates: list[str] | set[str] = min(lists, key=len)  # type: ignore[arg-type]
            ordered = True
        else:
            i = bisect_left(self._tokens_sorted, last)
            merged: set[str] = set()
            while i < len(self._tokens_sorted) and self._tokens_sorted[i].startswith(last):
                merged.update(self.by_token[self._tokens_sorted[i]])
                i += 1
                if len(merged) > 200_000:
                    break
            candidates = merged
            ordered = False
        needles = [f" {w} " for w in whole]
        prefix = f" {last}"
        out: list[Summary] = []
        count = 0
        seq = reversed(candidates) if ordered else candidates  # type: ignore[arg-type]
        seen: set[str] = set()
        for uid in seq:
            row = self.rows.get(uid)
            if row is None or uid in seen:
                continue
            folded = " " + row[row.rfind("\t") + 1 :] + " "
            if prefix not in folded or not all(n in folded for n in needles):
                continue
            seen.add(uid)
            count += 1
            if len(out) < limit:
                out.append(summary_of(uid, row))
            if count >= count_cap:
                break
        if not ordered:
            out.sort(key=lambda s: s.received_at, reverse=True)
        exact = fold(query)
        out.sort(key=lambda s: fold(s.name) != exact)
        return out, count

    def open_lists(self, today: date) -> dict[str, list[Summary]]:
        """Due today, overdue, awaiting supplement, ready to hand over (open dossiers only)."""
        iso = today.isoformat()
        lists: dict[str, list[Summary]] = {
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
                lists[key].append(summary_of(uid, self.rows[uid]))
        for lst in lists.values():
            lst.sort(key=lambda s: (s.due_at, s.code))
        return lists

    # --- persistence ----------------------------------------------------------------------

    def save(self, path: Path, txn: int) -> None:
        self.txn = txn
        payload = marshal.dumps(
            (txn, self.rows, self.by_code, self.by_phone, self.by_token, self.open), 4
        )
        write_atomic(path, MAGIC + b"%08x\n" % zlib.crc32(payload) + payload)

    @classmethod
    def load(cls, path: Path) -> Directory | None:
        """The saved directory, or None if missing or damaged (then rebuild)."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
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
        try:
            txn, rows, by_code, by_phone, by_token, open_ = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return None
        d = cls()
        d.txn, d.rows, d.by_code, d.by_phone, d.by_token, d.open = (
            txn,
            rows,
            by_code,
            by_phone,
            by_token,
            open_,
        )
        d._tokens_sorted = sorted(by_token)
        return d
