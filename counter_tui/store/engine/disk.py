"""Durable writes to disk: atomic replace with fsync, owner-only modes, Windows retries.

And the checksummed JSON files the shards and the manifest are written as.
"""

from __future__ import annotations

import os
import sys
import time
import zlib
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def make_dir(path: Path) -> None:
    """Create ``path`` owner-only; an existing folder (made by an older version, or by
    hand with the default umask) is tightened too. On Windows the per-user profile's
    ACL does this job, and chmod cannot express it."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if sys.platform != "win32" and (path.stat().st_mode & 0o777) != DIR_MODE:
        path.chmod(DIR_MODE)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op where directories cannot be opened)."""
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_retrying(src: Path, dst: Path) -> None:
    """``os.replace``, retried briefly: on Windows a scanner may hold the target open."""
    for attempt in range(20):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if attempt == 19:
                raise
            time.sleep(0.05)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old or the new file, whole."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)
    replace_retrying(tmp, path)


def quarantine(path: Path, data: bytes | None = None) -> Path:
    """Move a damaged file (or a damaged part of one) aside, never deleting it."""
    n = 1
    while True:
        side = path.with_name(f"{path.name}.damaged-{n}")
        if not side.exists():
            break
        n += 1
    if data is None:
        replace_retrying(path, side)
    else:
        write_atomic(side, data)
    return side


def write_many_atomic(items: list[tuple[Path, bytes]]) -> None:
    """Write several files so that each is old or new, whole, after a crash.

    For a large batch, where the OS offers ``sync()`` (POSIX), the temporary
    files are flushed with one call instead of one fsync each (a checkpoint
    after a bulk pull writes thousands of shards); otherwise each file is
    fsync'd. Renames come only after the flush.
    """
    if not items:
        return
    # os.sync() flushes the whole system, which also delays a concurrent commit's fsync:
    # worth it only for a bulk checkpoint (a pull), not for the few shards a clerk dirties.
    if len(items) < 200 or not hasattr(os, "sync"):
        for path, data in items:
            write_atomic(path, data)
        return
    tmps = []
    for path, data in items:
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        finally:
            os.close(fd)
        tmps.append((tmp, path))
    os.sync()
    for tmp, path in tmps:
        replace_retrying(tmp, path)


# --- checksummed JSON files ------------------------------------------------------------------

CHECK_HEAD = b'{"~ck":"'


class DamagedFile(ValueError):
    """A file that fails its checksum (or has none where one is required)."""


def seal_json(body: bytes, covers: int = 0) -> bytes:
    """``body`` (a JSON object, as orjson writes it) with a checksum as its first member.

    The result is still one JSON object (TinyDB reads its tables; ``~ck`` is not a
    table): ``{"~ck":"<crc32 hex>:<txn>", ...the members of body...}``. ``covers`` is
    the last log transaction the file holds (a shard) or 0.
    """
    if not body.startswith(b"{"):
        raise ValueError("not a JSON object")
    crc = zlib.crc32(b"%d:" % covers + body)
    head = CHECK_HEAD + b"%08x:%d" % (crc, covers) + b'"'
    rest = body[1:]
    return head + (b"}" if rest == b"}" else b"," + rest)


def open_json(raw: bytes) -> tuple[bytes, int]:
    """The JSON body of a sealed file and the transaction it covers; DamagedFile if not whole."""
    if not raw.startswith(CHECK_HEAD):
        raise DamagedFile("no checksum")
    end = raw.find(b'"', len(CHECK_HEAD))
    if end < 0:
        raise DamagedFile("torn header")
    try:
        crc_s, covers_s = raw[len(CHECK_HEAD) : end].split(b":")
        crc, covers = int(crc_s, 16), int(covers_s)
    except ValueError as exc:
        raise DamagedFile("bad header") from exc
    sep = raw[end + 1 : end + 2]
    if sep == b"}" and end + 2 == len(raw):
        body = b"{}"
    elif sep == b",":
        body = b"{" + raw[end + 2 :]
    else:
        raise DamagedFile("bad header")
    if zlib.crc32(b"%d:" % covers + body) != crc:
        raise DamagedFile("checksum mismatch")
    return body, covers
