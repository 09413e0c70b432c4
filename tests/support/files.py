"""A small ``FileSource`` over a folder, for the uploader's tests and bench/files.py.

Files are named by their SHA-256; acknowledgements are counted (a file acknowledged twice
is a bug the tests look for). The store's real implementation of the contract's
``FileSource`` (counter_tui/sync/files.py) replaces it in the app; this one stands in for
it where only the uploader and the centre are under test.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter as Tally
from pathlib import Path


class FolderSource:
    """Files named by their SHA-256 in a folder, oldest first; acknowledgements counted."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.acks: Tally[str] = Tally()
        self.reads = 0
        self._order: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, data: bytes, sha: str | None = None) -> str:
        sha = sha or hashlib.sha256(data).hexdigest()
        (self.folder / sha).write_bytes(data)
        with self._lock:
            self._order.setdefault(sha, len(self._order))
        return sha

    def pending_files(self) -> list[tuple[str, int]]:
        with self._lock:
            names = sorted(self._order, key=self._order.__getitem__)
            return [(n, (self.folder / n).stat().st_size) for n in names if n not in self.acks]

    def read_file_chunk(self, sha: str, offset: int, length: int) -> bytes:
        self.reads += 1
        with (self.folder / sha).open("rb") as f:
            f.seek(offset)
            return f.read(length)

    def file_acknowledged(self, sha: str) -> None:
        with self._lock:
            self.acks[sha] += 1
