"""Checkpoints: dirty shards written atomically, the manifest, log segments rotated and kept.

A full checkpoint also saves the directory index and starts a new log
segment; an older segment is deleted only once the centre acknowledged every
outbox operation it holds. The store lock is held only to take each shard's
bytes, never for disk writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

from counter_tui.domain.messages import Msg
from counter_tui.store.engine import gc_policy
from counter_tui.store.engine.commitlog import list_segments
from counter_tui.store.engine.disk import (
    fsync_dir,
    write_many_atomic,
)
from counter_tui.store.engine.errors import Notice
from counter_tui.store.engine.manifest import (
    FORMAT,
    write_manifest,
)
from counter_tui.store.engine.shard_format import encode_shard
from counter_tui.store.engine.state import StoreState, log
from counter_tui.store.engine.tinydb_adapter import Shard


class Checkpoints(StoreState):
    """Writing memory back to files, in the background or on demand."""

    # --- checkpoints ----------------------------------------------------------------------

    def dirty_count(self) -> int:
        # Under the lock: another thread (sync, a lookup) may load or evict shards meanwhile.
        with self.lock:
            return sum(1 for s in self._shards.values() if s.dirty)

    def maybe_checkpoint(self) -> None:
        """Wake the background checkpointer when enough has changed (never blocks a write)."""
        if self._log.bytes_written >= self.full_checkpoint_bytes or self._dirty_at_least(
            self.flush_dirty
        ):
            self._wake.set()

    def _dirty_at_least(self, n: int) -> bool:
        # Runs after every commit: stop counting at n, not at the end of a large cache.
        with self.lock:
            dirty = (1 for s in self._shards.values() if s.dirty)
            return sum(islice(dirty, n)) >= n

    # Hook a full checkpoint uses to save derived indexes; set by the owner of the store.
    save_indexes: Callable[[int], None] | None = None

    def start_background(self, interval: float = 30.0) -> None:
        """Checkpoint in a background thread: when woken, and every ``interval`` seconds."""
        if self._bg is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                self._wake.wait(interval)
                self._wake.clear()
                if self._stop.is_set():
                    break
                try:
                    full = self._log.bytes_written >= self.full_checkpoint_bytes
                    self.checkpoint(full=full)
                except Exception as exc:  # keep serving; the log still holds everything
                    self.notices.append(_checkpoint_failed(exc))
                gc_policy.maybe_sweep()  # outside every lock: the pause is this thread's

        self._bg = threading.Thread(target=run, name="store-checkpoint", daemon=True)
        self._bg.start()

    def stop_background(self) -> None:
        if self._bg is None:
            return
        self._stop.set()
        self._wake.set()
        self._bg.join()
        self._bg = None

    def checkpoint(self, full: bool = False) -> None:
        """Write dirty shards atomically; a full checkpoint also saves indexes, rotates the log.

        The store lock is held only to take each shard's bytes, never for the
        disk writes, so the clerk's saves are not held up by a checkpoint.
        """
        with self._ckpt_lock:
            self._checkpoint_locked(full)

    def _checkpoint_locked(self, full: bool) -> None:
        with self.lock:
            if self._closed:
                return
            for name in list(self._pending):
                self.shard(name)  # pending log records must reach a file before we cover them
            covered = self._txn_counter
            dirty = [sh.name for sh in self._shards.values() if sh.dirty]
            if full:
                self._log.open_segment(covered + 1)
        # Take the bytes of each dirty shard (briefly holding the lock for each),
        # then write them all and make them durable together.
        batch: list[tuple[Shard, Path, bytes]] = []
        for name in dirty:
            with self.lock:
                sh = self._shards.get(name)
                if sh is None or not sh.dirty:
                    continue
                blob = encode_shard(sh.data, self._txn_counter, self.cipher)
                batch.append((sh, self.shard_file(name), blob))
                sh.dirty = False
                sh.flushing = True
        try:
            write_many_atomic([(path, blob) for _sh, path, blob in batch])
        except BaseException:
            with self.lock:
                for sh, _path, _blob in batch:
                    sh.dirty = True
                    sh.flushing = False
            raise
        with self.lock:
            for sh, _path, blob in batch:
                sh.flushing = False
                self._manifest_shards[sh.name] = len(blob)
        if dirty:
            fsync_dir(self.path / "shards")
        with self.lock:
            self._flushed_txn = max(self._flushed_txn, covered)
            if full:
                if self.save_indexes is not None:
                    self.save_indexes(covered)
                self._full_txn = covered
                self._replay_records = []
                self._drop_segments()
            self._write_manifest()
            if full:
                fsync_dir(self.path)
            self._evict()

    def _drop_segments(self) -> None:
        """Delete log segments the shard files cover, except those still holding operations
        the centre has not acknowledged (newest first, up to ``keep_log_bytes``)."""
        floor = self.pin_floor() if self.pin_floor is not None else None
        kept = 0
        for seg in reversed(list_segments(self.path)):
            if seg == self._log.path:
                continue
            pin = self._pins.get(seg.name, 0)
            size = seg.stat().st_size
            if floor is not None and pin > floor:
                if kept + size <= self.keep_log_bytes:
                    kept += size
                    continue  # the second copy of unsent operations
                # A counter that never syncs would keep its whole history: bounded here.
                log.warning("log %s dropped although it holds unsent operations", seg.name)
            seg.unlink()
            self._pins.pop(seg.name, None)

    def _write_manifest(self) -> None:
        m: dict[str, Any] = {
            "format": FORMAT,
            "flushed_txn": self._flushed_txn,
            "full_txn": self._full_txn,
            "shards": self._manifest_shards,
            "segments": [s.name for s in list_segments(self.path)],
        }
        if self.cipher is not None:
            m["cipher"] = self.cipher.key_id
        write_manifest(self.path, m)


def _checkpoint_failed(exc: Exception) -> Notice:
    return Notice(
        "checkpoint.failed",
        Msg(
            f"Không ghi được điểm lưu ({exc}); dữ liệu vẫn an toàn trong nhật ký.",
            f"Checkpoint failed ({exc}); data is still safe in the log.",
        ),
    )
