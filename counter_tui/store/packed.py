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
from collections.abc import Iterable

POS_BITS = 32
POS_MASK = (1 << POS_BITS) - 1
BUCKETS = 256  # the build sorts by the hash's top byte first: small sorts, small temporaries


def key_hash(key: str) -> int:
    return zlib.crc32(key.encode("utf-8"))


def packed(h: int, pos: int) -> int:
    return h << POS_BITS | pos


def sorted_array(buckets: list[array[int]]) -> array[int]:
    """One sorted array from entries bucketed by ``entry >> 56`` (see :class:`Builder`)."""
    out: array[int] = array("Q")
    for b in buckets:
        out.extend(sorted(b))
    return out


class Builder:
    """Collects entries for a :class:`Packed` base, a bucket per top byte of the hash."""

    __slots__ = ("buckets",)

    def __init__(self) -> None:
        self.buckets: list[array[int]] = [array("Q") for _ in range(BUCKETS)]

    def add(self, h: int, pos: int) -> None:
        self.buckets[h >> 24].append(h << POS_BITS | pos)

    def build(self) -> array[int]:
        out = sorted_array(self.buckets)
        self.buckets = []
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


def build(entries: Iterable[tuple[int, int]]) -> Packed:
    b = Builder()
    for h, pos in entries:
        b.add(h, pos)
    return Packed(b.build())
