"""The directory's rows: uid -> one compact UTF-8 row, most of them in one buffer.

Half a million rows as one bytes object each cost 33 bytes of header apiece and
a dict entry, and loading them made a million objects (most of the open at
500,000 dossiers). The rows saved at the last full checkpoint are one buffer
with an offset per row, found by uid through a sorted array of (uid hash,
position); a row changed, added or removed since is in a dict beside it.
"""

from __future__ import annotations

import heapq
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any

from counter_tui.store.index.packed import Builder, Packed

_GONE: Any = object()  # "not in the changes" (None there means removed)


class Rows(MutableMapping[str, bytes]):
    """A mapping uid -> row over a base buffer and a dict of changes."""

    __slots__ = ("_base_len", "_buf", "_changed", "_index", "_len", "_offs", "_uids")

    def __init__(
        self,
        uids: list[str] | None = None,
        buf: bytes = b"",
        offs: array[int] | None = None,
        index: array[int] | None = None,
        changed: dict[str, bytes | None] | None = None,
    ) -> None:
        # uids[:len(offs) - 1] are the base rows, in the buffer's order (the list may
        # grow beyond: the directory numbers new dossiers in the same list).
        self._uids: list[str] = uids if uids is not None else []
        self._buf = buf
        self._offs: array[int] = offs if offs is not None else array("Q", [0])
        self._base_len = len(self._offs) - 1
        self._index = Packed(index if index is not None else array("Q"))
        # Changes since the base: a new row, or None for a removed one.
        self._changed: dict[str, bytes | None] = {}
        self._len = self._base_len
        for uid, row in (changed or {}).items():
            if row is not None:
                self[uid] = row
            elif self.base_position(uid) is not None:
                self.pop(uid)

    @classmethod
    def of(cls, uids: list[str], rows: list[bytes]) -> Rows:
        """Rows ``rows[i]`` for ``uids[i]`` (a base built in one go)."""
        offs: array[int] = array("Q", [0])
        total = 0
        for row in rows:
            total += len(row)
            offs.append(total)
        return cls(uids, b"".join(rows), offs, uid_index(uids))

    def base_position(self, uid: str) -> int | None:
        """Where ``uid`` is in the base (whether or not changed since), or None."""
        uids, n = self._uids, self._base_len
        if not n:
            return None  # no base yet (a first pull fills the changes only)
        for pos in self._index.positions(zlib.crc32(uid.encode("utf-8"))):
            if pos < n and uids[pos] == uid:
                return pos
        return None

    def _base_row(self, pos: int) -> bytes:
        return self._buf[self._offs[pos] : self._offs[pos + 1]]

    def get(self, uid: str, default: Any = None) -> Any:
        row = self._changed.get(uid, _GONE)
        if row is not _GONE:
            return row if row is not None else default
        pos = self.base_position(uid)
        return self._base_row(pos) if pos is not None else default

    def __getitem__(self, uid: str) -> bytes:
        row: bytes | None = self.get(uid)
        if row is None:
            raise KeyError(uid)
        return row

    def swap(self, uid: str, row: bytes) -> tuple[bytes | None, int | None]:
        """Set ``uid``'s row to ``row`` unless it is that already; return the row it had
        (None if none) and its base position when that was looked up (None if not).
        One look in the base instead of the three of get, a position and a set: the
        directory's part of a pull of 100,000 dossiers. The position is -1 when the base
        was looked in and does not hold ``uid``."""
        before = self._changed.get(uid, _GONE)
        pos: int | None = None
        if before is _GONE:
            found = self.base_position(uid)
            pos = found if found is not None else -1
            old = self._base_row(found) if found is not None else None
            if old == row:
                return old, pos
            if found is None:
                self._len += 1
        else:
            old = before
            if old == row:
                return old, None
            if old is None:
                self._len += 1
        self._changed[uid] = row
        return old, pos

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, str) and self.get(uid) is not None

    def __setitem__(self, uid: str, row: bytes) -> None:
        before = self._changed.get(uid, _GONE)
        if before is _GONE:
            if self.base_position(uid) is None:
                self._len += 1
        elif before is None:
            self._len += 1
        self._changed[uid] = row

    def __delitem__(self, uid: str) -> None:
        if self.pop(uid, _GONE) is _GONE:
            raise KeyError(uid)

    def pop(self, uid: str, default: Any = None) -> Any:
        row = self.get(uid)
        if row is None:
            return default
        if self.base_position(uid) is not None:
            self._changed[uid] = None  # the buffer keeps it; the change hides it
        else:
            del self._changed[uid]
        self._len -= 1
        return row

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        """The base's uids in its order (those still here), then the new ones."""
        changed = self._changed
        for uid in self._uids[: self._base_len]:
            if changed.get(uid, b"") is not None:
                yield uid
        for uid, row in list(changed.items()):
            if row is not None and self.base_position(uid) is None:
                yield uid

    def items(self) -> Iterator[tuple[str, bytes]]:  # type: ignore[override]
        changed = self._changed
        for pos, uid in enumerate(self._uids[: self._base_len]):
            row = changed.get(uid, _GONE)
            if row is _GONE:
                yield uid, self._base_row(pos)
            elif row is not None:
                yield uid, row
        for uid, row in list(changed.items()):
            if row is not None and self.base_position(uid) is None:
                yield uid, row

    def values(self) -> Iterator[bytes]:  # type: ignore[override]
        for _uid, row in self.items():
            yield row

    def at(self, pos: int) -> bytes | None:
        """The current row of the dossier numbered ``pos`` (None if it was removed)."""
        uid = self._uids[pos]
        row: bytes | None = self._changed.get(uid, _GONE)
        if row is not _GONE:
            return row
        return self._base_row(pos) if pos < self._base_len else None

    def codes_with(self, needle: bytes) -> Iterator[bytes]:
        """The codes (a row's first field) holding ``needle``: the buffer searched in C,
        not a row at a time (a day's first code number looked through 500,000 rows)."""
        buf, offs, uids, changed, n = (
            self._buf,
            self._offs,
            self._uids,
            self._changed,
            self._base_len,
        )
        i = buf.find(needle)
        while i >= 0:
            pos = bisect_right(offs, i) - 1
            start = offs[pos]
            tab = buf.find(b"\t", start)
            if i < tab and pos < n and uids[pos] not in changed:
                yield buf[start:tab]
            i = buf.find(needle, offs[pos + 1] if pos < n else len(buf))
        for row in changed.values():
            if row is not None:
                code = row[: row.find(b"\t")]
                if needle in code:
                    yield code

    def largest(self, limit: int, field: int) -> list[tuple[str, bytes]]:
        """The ``limit`` rows with the largest ``field`` (uid, row), largest first."""
        buf, offs, uids, changed, n = (
            self._buf,
            self._offs,
            self._uids,
            self._changed,
            self._base_len,
        )

        def base_key(pos: int) -> bytes:
            return buf[offs[pos] : offs[pos + 1]].split(b"\t", field + 1)[field]

        positions: Iterable[int] = range(n)
        if changed:
            positions = (p for p in positions if uids[p] not in changed)
        top = [(uids[p], self._base_row(p)) for p in heapq.nlargest(limit, positions, key=base_key)]
        top += [(uid, row) for uid, row in changed.items() if row is not None]
        return heapq.nlargest(limit, top, key=lambda kv: kv[1].split(b"\t", field + 1)[field])

    @property
    def base_len(self) -> int:
        return self._base_len

    @property
    def changes(self) -> dict[str, bytes | None]:
        """The rows changed, added (a row) or removed (None) since the base was built."""
        return self._changed

    def base(self) -> tuple[bytes, array[int], array[int]]:
        """(buffer, offsets, uid index) of the base, as they are."""
        return self._buf, self._offs, self._index.base

    @property
    def unchanged(self) -> bool:
        """Nothing changed since the base was built (then it can be saved as it is)."""
        return not self._changed and len(self._uids) == self._base_len

    def parts(self) -> tuple[list[str], bytes, array[int], array[int]]:
        """(uids, buffer, offsets, uid index) of the rows as they are now, in one new
        buffer (a pass over every row: for a compaction, not for every save)."""
        if self.unchanged:
            return self._uids, self._buf, self._offs, self._index.base
        uids: list[str] = []
        out = bytearray()
        offs: array[int] = array("Q", [0])
        buf, o, changed = memoryview(self._buf), self._offs, self._changed
        for pos, uid in enumerate(self._uids[: self._base_len]):
            row = changed.get(uid, _GONE)
            if row is None:
                continue
            out += buf[o[pos] : o[pos + 1]] if row is _GONE else row
            uids.append(uid)
            offs.append(len(out))
        for uid, row in changed.items():
            if row is not None and self.base_position(uid) is None:
                out += row
                uids.append(uid)
                offs.append(len(out))
        return uids, bytes(out), offs, uid_index(uids)


def uid_index(uids: list[str]) -> array[int]:
    b = Builder()
    crc = zlib.crc32
    for pos, uid in enumerate(uids):
        b.add(crc(uid.encode("utf-8")), pos)
    return b.build()
