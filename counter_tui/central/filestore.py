"""Where the centre keeps the bytes of scanned files, and the partial uploads still coming in.

:class:`FileStore` is the one interface the service writes and reads whole files through
(``put``, ``open``, ``has``), keyed by the SHA-256 of the plaintext: one copy on disk
whatever the number of offices that sent it. :class:`DiskFileStore` keeps them in a folder
(``objects/ab/abcdef…``); object storage can stand behind the same three calls later.

:class:`Uploads` holds what a counter has sent so far of a file, one partial file per office
and SHA-256 (``partial/<office>/<sha>-<total>.part``), so a cut connection or a restarted
centre resumes where the bytes stopped. Appends to one partial are serialised by an
exclusive lock on the file (``flock``), which also holds between the worker processes of
``serve --workers N``. Everything a reader may see whole is written to a temporary file,
fsync'd and renamed into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

SHA = re.compile(r"[0-9a-f]{64}")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

try:  # POSIX: the lock holds across worker processes too
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows: one worker process (see docs/operations.md)
    _GLOBAL = threading.Lock()

    def _lock(fd: int) -> None:
        _GLOBAL.acquire()

    def _unlock(fd: int) -> None:
        _GLOBAL.release()


def is_sha(value: str) -> bool:
    return SHA.fullmatch(value) is not None


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class FileStore(Protocol):
    """Whole, verified files by their SHA-256."""

    def put(self, sha: str, path: Path) -> None:
        """Take the finished file at ``path`` (whose hash the caller verified) as ``sha``;
        ``path`` is gone afterwards. A second put of a stored ``sha`` writes nothing."""

    def open(self, sha: str) -> BinaryIO:
        """The stored bytes (``FileNotFoundError`` if absent)."""

    def has(self, sha: str) -> bool: ...


class DiskFileStore:
    """:class:`FileStore` on a local folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.objects.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, sha: str) -> Path:
        if not is_sha(sha):
            raise ValueError("not a SHA-256")
        return self.objects / sha[:2] / sha

    def has(self, sha: str) -> bool:
        return self._path(sha).is_file()

    def open(self, sha: str) -> BinaryIO:
        return self._path(sha).open("rb")

    def put(self, sha: str, path: Path) -> None:
        final = self._path(sha)
        if final.is_file():
            # Already here (another office sent it): nothing new is written.
            path.unlink(missing_ok=True)
            return
        final.parent.mkdir(exist_ok=True, mode=0o700)
        with path.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(path, final)
        _fsync_dir(final.parent)

    def count(self) -> int:
        """How many files are stored (an operator's check, and the tests' check of dedup)."""
        return sum(1 for p in self.objects.glob("??/*") if p.is_file())


@dataclass(frozen=True)
class Partial:
    """What an office has sent so far of one file: ``received`` bytes of ``size``."""

    size: int
    received: int


class OffsetMismatch(Exception):
    """The chunk does not start where the centre stands; ``received`` is where it does."""

    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


# A counter sends one file at a time and resumes the one it started, so an office has a
# partial per counter cut mid-file, and a few abandoned ones. Without these bounds a counter
# (or a stolen token) could fill the centre's disk with files it never finishes.
MAX_OPEN_PER_OFFICE = 50
STALE_AFTER_S = 7 * 24 * 3600


class Uploads:
    """Partial uploads under ``root/partial``, one per office and SHA-256; at most
    ``max_open`` open per office, and a partial untouched for ``stale_after_s`` removed
    (at start, and before a new upload is refused for want of room)."""

    def __init__(
        self,
        root: Path,
        max_open: int = MAX_OPEN_PER_OFFICE,
        stale_after_s: float = STALE_AFTER_S,
    ) -> None:
        self.root = Path(root) / "partial"
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.max_open, self.stale_after_s = max_open, stale_after_s
        for folder in self.root.iterdir():
            if folder.is_dir():
                self._prune(folder)

    def _prune(self, folder: Path) -> list[Path]:
        """Remove the stale partials in ``folder``; the ones left."""
        cutoff = time.time() - self.stale_after_s
        left = []
        for p in folder.glob("*.part"):
            try:
                if p.stat().st_mtime < cutoff:
                    p.unlink(missing_ok=True)
                    continue
            except FileNotFoundError:
                continue
            left.append(p)
        return left

    def _dir(self, office: str) -> Path:
        # Office codes are registered by the operator ("000.00.00.H56"); anything else is
        # named by its hash, never used as a path as it is.
        name = office if _SAFE_NAME.fullmatch(office) and ".." not in office else None
        name = name or "x" + hashlib.sha256(office.encode()).hexdigest()[:32]
        return self.root / name

    def _find(self, office: str, sha: str) -> Path | None:
        found = sorted(self._dir(office).glob(f"{sha}-*.part"))
        return found[0] if found else None

    def state(self, office: str, sha: str) -> Partial | None:
        path = self._find(office, sha)
        if path is None:
            return None
        try:
            return Partial(int(path.name[65:-5]), path.stat().st_size)
        except (FileNotFoundError, ValueError):
            return None

    def discard(self, office: str, sha: str) -> None:
        for p in self._dir(office).glob(f"{sha}-*.part"):
            p.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _locked(self, office: str, sha: str, size: int) -> Iterator[tuple[Path, BinaryIO]]:
        """The office's partial of ``sha`` for a total of ``size`` bytes, opened for append
        under its lock. A partial for another total (the counter's idea of the file changed)
        is left alone here; :meth:`append` decides."""
        folder = self._dir(office)
        folder.mkdir(exist_ok=True, mode=0o700)
        path = folder / f"{sha}-{size}.part"
        while True:
            f = path.open("ab")
            _lock(f.fileno())
            try:
                same = os.fstat(f.fileno()).st_ino == path.stat().st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            # The file was completed (renamed away) or discarded while we waited: start over.
            _unlock(f.fileno())
            f.close()
        try:
            yield path, f
        finally:
            _unlock(f.fileno())
            f.close()

    def append(
        self, office: str, sha: str, size: int, offset: int, chunk: bytes, store: FileStore
    ) -> tuple[int, bool]:
        """Add ``chunk`` at ``offset`` to the office's partial of ``sha`` (``size`` in all).

        Returns ``(received, complete)``. When every byte is there the partial is hashed:
        on a match it goes into ``store`` (complete), on a mismatch it is discarded and
        :class:`HashMismatch` raised. :class:`OffsetMismatch` when ``offset`` is not where
        the partial stands (nothing written)."""
        other = self._find(office, sha)
        if other is not None and other.name != f"{sha}-{size}.part":
            if offset != 0:
                raise OffsetMismatch(0)
            other.unlink(missing_ok=True)  # a new start with another total replaces it
        if offset + len(chunk) > size:
            raise Overrun(size)
        if other is None and offset == 0:
            folder = self._dir(office)
            if folder.is_dir() and len(self._prune(folder)) >= self.max_open:
                raise TooManyOpen(self.max_open)
        with self._locked(office, sha, size) as (path, f):
            received = os.fstat(f.fileno()).st_size
            if offset != received:
                raise OffsetMismatch(received)
            if chunk:
                f.write(chunk)
                f.flush()
                os.fsync(f.fileno())  # a power cut keeps what the counter was told we have
                received += len(chunk)
            if received < size:
                return received, False
            with path.open("rb") as whole:
                digest = hashlib.file_digest(whole, "sha256").hexdigest()
            if digest != sha:
                path.unlink(missing_ok=True)
                raise HashMismatch(received)
            store.put(sha, path)
            return received, True


class HashMismatch(Exception):
    """Every byte arrived and they do not hash to the file's name: the partial is gone."""


class TooManyOpen(Exception):
    """The office already has as many unfinished uploads as the centre keeps."""


class Overrun(Exception):
    """A chunk would go past the total the counter announced."""


class FilesFolderRequired(ValueError):
    """A centre on PostgreSQL must be told where its files go (``--files DIR``)."""


def files_folder(db_target: str | Path, files: str | Path | None = None) -> Path:
    """Where the centre keeps files: ``files`` if given; for a SQLite database, beside the
    file (``central.sqlite3`` → ``central-files/``). A PostgreSQL centre has no file to sit
    beside and may run on several hosts, so it needs the folder named (no silent default
    under someone's home folder that a backup would miss)."""
    if files:
        return Path(files)
    target = str(db_target)
    if target.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        raise FilesFolderRequired(
            "A centre on PostgreSQL needs the folder for scanned files: --files DIR"
        )
    path = Path(target)
    return path.with_name(f"{path.stem}-files")
