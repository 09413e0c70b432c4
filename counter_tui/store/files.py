"""Durable file helpers: atomic replace with fsync, owner-only modes, Windows retries."""

from __future__ import annotations

import os
import sys
import time
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
