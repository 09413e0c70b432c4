"""A fault-injecting file layer: a disk that fills up part-way through a write.

Used where a real full disk cannot be made (no permission to mount a small
tmpfs). Only ``os.write`` calls on files under one directory are affected;
once the budget of bytes is spent, a write stores what fits and then fails
with ENOSPC, as a real file system does.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


class FaultyDisk:
    def __init__(self, root: Path) -> None:
        self.root = str(root.resolve())
        self.budget: int | None = None  # None: room enough
        self.refused = 0
        self._real_write = os.write

    def _ours(self, fd: int) -> bool:
        try:
            return os.readlink(f"/proc/self/fd/{fd}").startswith(self.root)
        except OSError:
            return False

    def write(self, fd: int, data: bytes | memoryview) -> int:
        if self.budget is None or not self._ours(fd):
            return self._real_write(fd, data)
        if self.budget <= 0:
            self.refused += 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = self._real_write(fd, bytes(data[: self.budget]))
        self.budget -= n
        return n

    def fill(self, room: int = 0) -> None:
        """From now on only ``room`` more bytes fit."""
        self.budget = room

    def free(self) -> None:
        self.budget = None


@contextmanager
def faulty_disk(root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultyDisk]:
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to tell which file a write goes to")
    disk = FaultyDisk(root)
    monkeypatch.setattr(os, "write", disk.write)
    try:
        yield disk
    finally:
        monkeypatch.undo()
