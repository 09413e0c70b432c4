"""One process per data directory: an OS file lock that names its holder.

The lock is held on an open file for the life of the process, so it is
released by the OS if the process dies; nothing stale is left behind.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from pathlib import Path
from typing import IO

from counter_tui.domain.messages import Msg


class StoreLockedError(RuntimeError):
    """Another process already uses this data directory."""

    def __init__(self, path: Path, holder: str) -> None:
        self.msg = Msg(
            f"Thư mục dữ liệu {path} đang được dùng bởi tiến trình khác ({holder}). "
            "Hãy đóng cửa sổ counter-tui kia trước.",
            f"The data directory {path} is in use by another process ({holder}). "
            "Close the other counter-tui first.",
        )
        super().__init__(self.msg.en)
        self.holder = holder


def _try_lock(fh: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


class DirLock:
    """An exclusive, non-blocking lock on ``<dir>/lock``; the holder's PID is written inside."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "lock"
        self._fh: IO[bytes] | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fh = os.fdopen(fd, "r+b", buffering=0)
        if not _try_lock(fh):
            fh.seek(0)
            holder = fh.read(200).decode("utf-8", "replace").strip("\x00 \n") or "unknown"
            fh.close()
            raise StoreLockedError(self.path.parent, holder)
        # Windows locks byte 0, so the PID goes after it; readers skip the pad.
        info = f" pid {os.getpid()} on {socket.gethostname()}\n".encode()
        # The holder's name is a courtesy: a full disk must not keep the store from opening.
        with contextlib.suppress(OSError):
            fh.seek(0)
            fh.write(info)
            fh.truncate()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None
