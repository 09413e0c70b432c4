"""The commit log: one line per local transaction, appended and fsync'd before "done".

A line is ``<crc32 as 8 hex digits> <JSON>\\n``. Reading stops at the first
line that is torn, zero-filled or fails its CRC; everything from there on is
moved to a side file (never deleted) and the log is cut back to the valid
prefix. A line that was never fully written was never acknowledged, so
nothing acknowledged is lost by this.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from counter_tui.store.cipher import Cipher, CipherError
from counter_tui.store.files import FILE_MODE, fsync_dir, quarantine

SEGMENT_PREFIX = "log-"
SEGMENT_SUFFIX = ".wal"


@dataclass
class Damage:
    path: Path
    side_file: Path
    bytes_moved: int


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


def read_segment(
    path: Path, cipher: Cipher | None = None
) -> tuple[list[dict[str, Any]], Damage | None]:
    """All valid records of a segment; a damaged tail is quarantined and cut off."""
    data = path.read_bytes()
    records: list[dict[str, Any]] = []
    pos = 0
    end = len(data)
    while pos < end:
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        line = data[pos:nl]
        if len(line) < 10 or line[8:9] != b" ":
            break
        try:
            crc = int(line[:8], 16)
        except ValueError:
            break
        payload = line[9:]
        if zlib.crc32(payload) != crc:
            break
        try:
            records.append(orjson.loads(cipher.open_line(payload) if cipher else payload))
        except (orjson.JSONDecodeError, CipherError):
            break
        pos = nl + 1
    if pos == end:
        return records, None
    tail = data[pos:]
    side = quarantine(path, tail)
    with open(path, "r+b") as fh:
        fh.truncate(pos)
        fh.flush()
        os.fsync(fh.fileno())
    return records, Damage(path, side, len(tail))


class CommitLog:
    """The open segment new transactions are appended to."""

    def __init__(self, directory: Path, cipher: Cipher | None = None) -> None:
        self.directory = directory
        self.cipher = cipher
        self.path: Path | None = None
        self._fd: int | None = None
        self.bytes_written = 0

    def open_segment(self, first_txn: int) -> None:
        self.close()
        self.path = self.directory / segment_name(first_txn)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
        self._fd = os.open(self.path, flags, FILE_MODE)
        self.bytes_written = os.fstat(self._fd).st_size
        fsync_dir(self.directory)

    def append(self, payload: bytes) -> None:
        """Append one record and flush it to the device; returns only once it is durable."""
        if self._fd is None:
            raise RuntimeError("commit log is closed")
        line = encode_line(self.cipher.seal_line(payload) if self.cipher else payload)
        view = memoryview(line)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        os.fsync(self._fd)
        self.bytes_written += len(line)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def iter_records(
    directory: Path, damages: list[Damage], cipher: Cipher | None = None
) -> Iterator[dict[str, Any]]:
    for seg in list_segments(directory):
        records, damage = read_segment(seg, cipher)
        if damage:
            damages.append(damage)
        yield from records
