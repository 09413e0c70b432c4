"""The store: TinyDB shards in memory, one commit log, checkpoints, recovery on open.

Why not stock TinyDB: its JSONStorage rewrites the whole file in place on
every write (seconds at 100k documents, torn files on a crash). Here:

- Each *shard* is a small TinyDB database (:mod:`.tinydb_adapter`) loaded
  lazily into memory through an LRU; its file is checksummed
  (:mod:`.shard_format`).
- A *transaction* may touch tables of several shards. At commit, the changed
  documents (full post-images) go into one commit-log line, fsync'd once
  (:mod:`.commitlog`): that line is the single point of acknowledgement.
  Memory is rolled back if the commit fails, so a refused write changes
  nothing; nothing after the commit can turn it into a failure.
- A *checkpoint* writes dirty shards atomically (tmp, fsync, replace) and
  records how far the log is covered in the manifest (:mod:`.manifest`); a
  *full* checkpoint also saves the directory index and starts a new log
  segment. Older segments are deleted only once the centre has acknowledged
  every operation they hold (see :mod:`.recovery`).
- On open, the log is re-applied where newer than each shard file; a damaged
  or missing shard is rebuilt from the log (and what still parses of it), and
  the app is told exactly what happened.

Locks: ``_ckpt_lock`` (one checkpoint at a time) is always taken before
``lock`` (the store's state), never the other way round.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from counter_tui.store.engine.checkpoints import Checkpoints
from counter_tui.store.engine.cipher import Cipher
from counter_tui.store.engine.commitlog import CommitLog
from counter_tui.store.engine.disk import make_dir
from counter_tui.store.engine.errors import Notice, StoreError
from counter_tui.store.engine.lock import DirLock
from counter_tui.store.engine.manifest import (
    FORMAT,
    MIGRATIONS,
    migrate,
)
from counter_tui.store.engine.opening import Opening
from counter_tui.store.engine.recovery import PendingRecord
from counter_tui.store.engine.shard_cache import ShardCache
from counter_tui.store.engine.shard_format import crc_shard
from counter_tui.store.engine.state import ChangeListener, ShardDamage
from counter_tui.store.engine.tinydb_adapter import SafeTable, Shard, Txn
from counter_tui.store.engine.transactions import Transactions

__all__ = [
    "FORMAT",
    "MIGRATIONS",
    "ChangeListener",
    "Notice",
    "SafeTable",
    "Shard",
    "ShardDamage",
    "Store",
    "StoreError",
    "Txn",
    "crc_shard",
    "freeze_gc",
    "migrate",
]

log = logging.getLogger("counter_tui.store.engine")  # the name it had as one module


class Store(Opening, ShardCache, Transactions, Checkpoints):
    """A directory of TinyDB shards, one commit log, one lock, and recovery on open."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        cache_shards: int = 256,
        cache_docs: int = 10_000,
        flush_dirty: int = 64,
        full_checkpoint_bytes: int = 16 * 1024 * 1024,
        cipher: Cipher | None = None,
        pin_prefix: str | None = None,
        keep_log_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.path = Path(path)
        self.cipher = cipher
        self.cache_shards = cache_shards
        # Documents too: a shard holds N/4096 of them, so 256 shards were 25 MB of Python
        # objects at 100k dossiers and 125 MB at 500k, all walked by the GC's full passes.
        self.cache_docs = cache_docs
        self.flush_dirty = flush_dirty
        self.full_checkpoint_bytes = full_checkpoint_bytes
        self.keep_log_bytes = keep_log_bytes
        # Log segments holding writes to shards named ``pin_prefix...`` with a document id
        # above ``pin_floor()`` are kept (the outbox: ids are sequence numbers, the floor is
        # the last one the centre acknowledged).
        self.pin_prefix = pin_prefix
        self.pin_floor: Callable[[], int] | None = None
        self.notices: list[Notice] = []
        self.damaged: list[ShardDamage] = []
        self.damage_listeners: list[Callable[[ShardDamage], None]] = []
        self.lock = threading.RLock()
        self._local = threading.local()
        self._shards: OrderedDict[str, Shard] = OrderedDict()
        self._doc_counts: dict[str, int] = {}
        self._doc_total = 0
        self._pending: dict[str, list[PendingRecord]] = {}
        self._pins: dict[str, int] = {}
        self._listeners: list[ChangeListener] = []
        self._txn_counter = 0
        self._flushed_txn = 0  # shards on disk cover the log up to here
        self._full_txn = 0  # the current log segment starts after this
        self._replay_records: list[dict[str, Any]] = []
        self._manifest_shards: dict[str, int] = {}
        self._preload_checked: set[str] = set()  # shard files to verify at open
        self._files_at_open: set[str] = set()  # shard files on disk when opened
        self._closed = True
        self._ckpt_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._bg: threading.Thread | None = None
        make_dir(self.path)
        make_dir(self.path / "shards")
        self._dirlock = DirLock(self.path)
        self._dirlock.acquire()
        try:
            self._log = CommitLog(self.path, cipher)
            self._recover()
            self._closed = False
        except BaseException:
            self._dirlock.release()
            raise

    def close(self) -> None:
        self.stop_background()
        with self._ckpt_lock, self.lock:
            if self._closed:
                return
            try:
                self._checkpoint_locked(full=True)
            except OSError:
                # A full disk: the log still holds everything; the next open replays it.
                log.exception("final checkpoint failed; the commit log keeps every write")
            finally:
                self._closed = True
                self._log.close()
                for sh in self._shards.values():
                    sh.release()
                self._shards.clear()
                self._doc_counts.clear()
                self._doc_total = 0
                self._dirlock.release()

    def abandon(self) -> None:
        """Close without a checkpoint, as a crash would (tests use this)."""
        self.stop_background()
        with self._ckpt_lock, self.lock:
            self._closed = True
            self._log.close()
            self._shards.clear()
            self._doc_counts.clear()
            self._doc_total = 0
            self._dirlock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def freeze_gc() -> None:
    """Move what is loaded so far out of the GC's way (long-lived index objects).

    Called once after open, never per shard load: a freeze per load kept every
    evicted shard's objects in the permanent generation (see docs/store.md).
    """
    gc.freeze()
