"""The directory's file (``index.bin``): its parts in ``marshal``, checksummed, optionally sealed.

A derived cache: a file that is missing, damaged or of another format reads as
None and the store rebuilds the directory from the shards. Kept apart from the
directory itself so that the format and its checks are read in one place.
"""

from __future__ import annotations

import gc
import marshal
import zlib
from array import array
from pathlib import Path
from typing import Any, NamedTuple

from counter_tui.store.engine.cipher import Cipher, CipherError
from counter_tui.store.engine.disk import write_atomic

# 5 (issue 16.4): the rows in one buffer, the uid and code indexes as sorted arrays of
# (hash, position), and what changed since in dicts; 2: phone and name indexes are
# rebuilt after open, not saved.
MAGIC = b"CTDIR5\n"


class SavedParts(NamedTuple):
    """What a save holds: the rows' buffer and arrays, their changes, the open list."""

    txn: int
    uids: list[str]
    buf: bytes
    offs: array[int]
    uid_index: array[int]
    codes: array[int]
    changes: dict[str, Any]
    code_changes: dict[int, Any]
    open: dict[str, tuple[int, str]]


def write(path: Path, parts: SavedParts, cipher: Cipher | None = None) -> None:
    payload = marshal.dumps(
        (
            parts.txn,
            parts.uids,
            parts.buf,
            parts.offs.tobytes(),
            parts.uid_index.tobytes(),
            parts.codes.tobytes(),
            parts.changes,
            parts.code_changes,
            parts.open,
        ),
        4,
    )
    data = MAGIC + b"%08x\n" % zlib.crc32(payload) + payload
    write_atomic(path, cipher.seal(data) if cipher else data)


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


def read(path: Path, cipher: Cipher | None = None) -> SavedParts | None:
    """The saved parts, or None if missing or damaged (then rebuild)."""
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
    return SavedParts(txn, uids, buf, offs, uid_index, codes, changes, code_changes, open_)
