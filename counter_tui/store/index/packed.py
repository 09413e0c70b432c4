"""A compact multimap from number keys to dossier positions, for the directory.

Half a million dossiers held in dicts with a str key and a list per entry cost
about 230 MB (docs/benchmarks.md, "Where the memory goes at 500,000"). Here an
index is one sorted ``array('Q')`` of ``hash << 32 | position`` (8 bytes an
entry, no Python object per entry), searched with ``bisect``, plus a small dict
overlay for what was added since the array was built. The array is never
changed in place: an entry a change made wrong stays, and every lookup checks
its candidates against the dossier's current row, so a stale or colliding
entry only costs a look.
"""

from __future__ import annotations

import zlib
from array import array
from bisect import bisect_left

POS_BITS = 32
POS_MASK = (1 << POS_BITS) - 1
RUN = 65_536  # entries sorted as they come: the final sort then only merges runs


def key_hash(key: str) -> int:
    return zlib.crc32(key.encode("utf-8"))


class Builder:
    """Collects the entries of a :class:`Packed` base in one growing array.

    One array, not a bucket per key range: many arrays growing side by side left
    their old buffers as holes in the C heap, 30 MB of RSS at 500,000 dossiers
    that were never given back. The entries are sorted a run at a time as they
    come, so the final sort is a merge of sorted runs (fast, and its temporaries
    are freed whole)."""

    __slots__ = ("_sorted_to", "entries")

    def __init__(self) -> None:
        self.entries: array[int] = array("Q")
        self._sorted_to = 0

    def add(self, h: int, pos: int) -> None:
        self.entries.append(h << POS_BITS | pos)
        if len(self.entries) - self._sorted_to >= RUN:
            self._sort_run()

    def _sort_run(self) -> None:
        e, start = self.entries, self._sorted_to
        e[start:] = array("Q", sorted(e[start:]))
        self._sorted_to = len(e)

    def build(self) -> array[int]:
        self._sort_run()
        out = array("Q", sorted(self.entries))
        self.entries = array("Q")
        self._sorted_to = 0
        return out


class Packed:
    """Positions by 32-bit key hash: a sorted base array plus an overlay dict."""

    __slots__ = ("base", "extra")

    def __init__(self, base: array[int] | None = None) -> None:
        self.base: array[int] = base if base is not None else array("Q")
        # Entries added since the base was built: a bare position while it is the only one.
        self.extra: dict[int, int | list[int]] = {}

    def positions(self, h: int) -> list[int]:
        """Every position held under ``h``, base first (in position order), then the overlay's."""
        base = self.base
        lo = bisect_left(base, h << POS_BITS)
        hi = bisect_left(base, (h + 1) << POS_BITS, lo)
        out = [v & POS_MASK for v in base[lo:hi]]
        held = self.extra.get(h)
        if isinstance(held, int):
            out.append(held)
        elif held is not None:
            out.extend(held)
        return out

    def in_base(self, h: int, pos: int) -> bool:
        v = h << POS_BITS | pos
        i = bisect_left(self.base, v)
        return i < len(self.base) and self.base[i] == v

    def add(self, h: int, pos: int) -> None:
        """Hold ``pos`` under ``h``. The caller knows ``pos`` is not in the overlay there
        yet (it just discarded the row's old keys): looking through a key shared by
        hundreds of dossiers on every add made filling an empty index quadratic."""
        if self.base and self.in_base(h, pos):
            return  # back to a key it had when the base was built
        cur = self.extra.get(h)
        if cur is None:
            self.extra[h] = pos
        elif isinstance(cur, int):
            self.extra[h] = [cur, pos]
        else:
            cur.append(pos)

    def discard(self, h: int, pos: int) -> None:
        """Forget an overlay entry (a base entry stays: lookups re-check it)."""
        cur = self.extra.get(h)
        if cur == pos:
            del self.extra[h]
        elif isinstance(cur, list) and pos in cur:
            cur.remove(pos)
            if len(cur) == 1:
                self.extra[h] = cur[0]

    def nbytes(self) -> int:
        return self.base.buffer_info()[1] * self.base.itemsize
