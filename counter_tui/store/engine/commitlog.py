"""The commit log: one line per local transaction, appended and fsync'd before "done".

A line is ``<crc32 as 8 hex digits> <JSON>\\n``. On reading, a line that is
torn, zero-filled or fails its CRC is skipped; if valid lines follow it (damage
in the middle of a segment) they are kept, and only a tail with no valid line
after it is cut off. Damaged bytes are moved to a side file, never deleted.

An append that fails (a full disk: ENOSPC part-way through a line) cuts the
file back to where it was before, so the next record is never glued onto a
partial one. Reading never needs free space: if the side file cannot be
written, the file is left as found and the cut is made before the next append.
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from counter_tui.store.engine.cipher import Cipher, CipherError
from counter_tui.store.engine.disk import FILE_MODE, fsync_dir, quarantine, write_atomic

SEGMENT_PREFIX = "log-"
SEGMENT_SUFFIX = ".wal"
_TXN_RE = re.compile(rb'\{"t":(\d+),')


@dataclass
class Damage:
    """What reading a segment found wrong, and where the bad bytes went."""

    path: Path
    side_file: Path | None  # None: not moved yet (no free space); cut before the next append
    bytes_moved: int
    # Whole lines (newline-terminated, not zero-filled) that failed their check: these may
    # have been acknowledged. A torn last line (no newline, or zeros) never was.
    unreadable_lines: int = 0
    # Transaction numbers read from unreadable lines, where the text still shows them.
    unreadable_txns: list[int] = field(default_factory=list)
    good_size: int = 0  # length of the valid prefix (where the tail starts)

    @property
    def torn_only(self) -> bool:
        return self.unreadable_lines == 0


def segment_name(first_txn: int) -> str:
    return f"{SEGMENT_PREFIX}{first_txn:012d}{SEGMENT_SUFFIX}"


def segment_start(path: Path) -> int:
    return int(path.name[len(SEGMENT_PREFIX) : -len(SEGMENT_SUFFIX)])


def list_segments(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.iterdir()
        if p.name.startswith(SEGMENT_PREFIX) and p.name.endswith(SEGMENT_SUFFIX)
    )


def encode_line(payload: bytes) -> bytes:
    return b"%08x " % zlib.crc32(payload) + payload + b"\n"


def _decode_line(line: bytes, cipher: Cipher | None) -> dict[str, Any] | None:
    if len(line) < 10 or line[8:9] != b" ":
        return None
    try:
        crc = int(line[:8], 16)
    except ValueError:
        return None
    payload = line[9:]
    if zlib.crc32(payload) != crc:
        return None
    try:
        rec = orjson.loads(cipher.open_line(payload) if cipher else payload)
    except (orjson.JSONDecodeError, CipherError):
        return None
    return rec if isinstance(rec, dict) and "t" in rec and "w" in rec else None


def _is_torn(chunk: bytes) -> bool:
    return not chunk.rstrip(b"\x00").strip()


def parse_segment(
    data: bytes, cipher: Cipher | None = None
) -> tuple[list[dict[str, Any]], list[tuple[int, int]], int]:
    """Valid records, byte ranges of damaged lines, and the end of the last valid line."""
    records: list[dict[str, Any]] = []
    bad: list[tuple[int, int]] = []  # (start, end) of each damaged line, end past its newline
    pos = 0
    end = len(data)
    good_end = 0
    while pos < end:
        nl = data.find(b"\n", pos)
        stop = end if nl < 0 else nl + 1
        rec = _decode_line(data[pos : stop - 1] if nl >= 0 else data[pos:], cipher)
        if rec is None:
            bad.append((pos, stop))
        else:
            records.append(rec)
            good_end = stop
        pos = stop
    return records, bad, good_end


def scan_segment(path: Path, cipher: Cipher | None = None) -> list[dict[str, Any]]:
    """The valid records of a segment, changing nothing on disk."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return parse_segment(data, cipher)[0]


def read_segment(
    path: Path, cipher: Cipher | None = None
) -> tuple[list[dict[str, Any]], Damage | None]:
    """All valid records of a segment; damaged lines are moved aside where space allows."""
    data = path.read_bytes()
    records, bad, good_end = parse_segment(data, cipher)
    if not bad:
        return records, None
    middle = [(a, b) for a, b in bad if b <= good_end]
    unreadable = 0
    txns: list[int] = []
    for a, b in bad:
        chunk = data[a:b]
        if chunk.endswith(b"\n") and not _is_torn(chunk):
            unreadable += 1
            m = _TXN_RE.search(chunk)
            if m:
                txns.append(int(m.group(1)))
    moved = b"".join(data[a:b] for a, b in bad)
    damage = Damage(path, None, len(moved), unreadable, txns, good_end)
    try:
        side = quarantine(path, moved)
        if middle:
            # Keep every valid line, in order, without the damaged ones.
            kept = b"".join(data[a:b] for a, b in _complement(bad, good_end) if a < b)
            write_atomic(path, kept)
            fsync_dir(path.parent)
            damage.good_size = len(kept)
        else:
            with open(path, "r+b") as fh:
                fh.truncate(good_end)
                fh.flush()
                os.fsync(fh.fileno())
        damage.side_file = side
    except OSError:
        # No room for the side file (a full disk): open anyway, leave the file as found;
        # the open segment's tail is cut before its next append (CommitLog.defer_cut).
        pass
    return records, damage


def _complement(bad: list[tuple[int, int]], good_end: int) -> list[tuple[int, int]]:
    """The byte ranges of [0, good_end) not covered by ``bad`` (which is sorted)."""
    out = []
    pos = 0
    for a, b in bad:
        if a >= good_end:
            break
        out.append((pos, a))
        pos = b
    out.append((pos, good_end))
    return out


class CommitLog:
    """The open segment new transactions are appended to."""

    def __init__(self, directory: Path, cipher: Cipher | None = None) -> None:
        self.directory = directory
        self.cipher = cipher
        self.path: Path | None = None
        self._fd: int | None = None
        self.bytes_written = 0
        self._good = 0  # the file's length after the last acknowledged record
        self._tail_to_move = False  # a damaged tail found on open, still to be moved aside

    def open_segment(self, first_txn: int) -> None:
        self.close()
        self.path = self.directory / segment_name(first_txn)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
        self._fd = os.open(self.path, flags, FILE_MODE)
        self.bytes_written = self._good = os.fstat(self._fd).st_size
        self._tail_to_move = False
        fsync_dir(self.directory)

    def defer_cut(self, good_size: int) -> None:
        """The open segment has a damaged tail from ``good_size`` that could not be moved
        aside on open (no free space): move it and cut the file before the next append."""
        self._good = self.bytes_written = good_size
        self._tail_to_move = True

    def _restore(self) -> None:
        """Cut the file back to the last acknowledged record (a failed append or a deferred
        repair left bytes after it); raises OSError if that is not possible yet."""
        assert self._fd is not None and self.path is not None
        size = os.fstat(self._fd).st_size
        if size == self._good:
            self._tail_to_move = False
            return
        if self._tail_to_move and size > self._good:
            with open(self.path, "rb") as fh:
                fh.seek(self._good)
                quarantine(self.path, fh.read())
        os.ftruncate(self._fd, self._good)
        os.fsync(self._fd)
        self._tail_to_move = False

    def append(self, payload: bytes) -> None:
        """Append one record and flush it to the device; returns only once it is durable.

        On failure the file is as it was before the call (or, if even cutting it back
        failed, it is cut back before the next append), and the error is raised.
        """
        if self._fd is None:
            raise RuntimeError("commit log is closed")
        self._restore()
        line = encode_line(self.cipher.seal_line(payload) if self.cipher else payload)
        view = memoryview(line)
        try:
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
            os.fsync(self._fd)
        except OSError:
            # Never leave a partial record for the next one to be glued onto.
            try:
                os.ftruncate(self._fd, self._good)
                os.fsync(self._fd)
            except OSError:
                pass  # _restore() retries before the next append
            raise
        self._good += len(line)
        self.bytes_written = self._good

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
