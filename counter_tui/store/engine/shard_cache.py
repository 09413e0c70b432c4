"""The shard cache: shards loaded on demand into an LRU, never evicted while needed.

A shard is kept while it is dirty (newer than its file), touched by the open
transaction, or being written by a checkpoint; evicting it then would lose a
write or go back in time.
"""

from __future__ import annotations

import os
from itertools import islice

from counter_tui.store.engine.shard_format import (
    Tables,
    file_to_shard,
)
from counter_tui.store.engine.state import StoreState
from counter_tui.store.engine.tinydb_adapter import Shard

EVICT_SCAN_AFTER_COMMIT = 64  # shards looked at after each commit (see _evict_after_commit)


class ShardCache(StoreState):
    """Loaded shards, by name, most recently used last."""

    # --- shards ---------------------------------------------------------------------------

    def shard(self, name: str) -> Shard:
        """The shard ``name`` (e.g. ``d/0123``), loaded if needed."""
        with self.lock:
            sh = self._shards.get(name)
            if sh is not None:
                self._shards.move_to_end(name)
                return sh
            data, newer = self._load_data(name)
            sh = Shard(self, name, data)
            # Newer than its file (replayed or rebuilt): must reach the file at a checkpoint.
            sh.dirty = newer
            # Evict first, then add: the shard being handed out must stay cached. Never
            # evict inside a transaction: the caller may still write through a table it holds.
            if getattr(self._local, "txn", None) is None:
                self._evict(room_for=1)
            self._shards[name] = sh
            self._count_in(name, sh)
            return sh

    def shard_names(self, prefix: str) -> list[str]:
        with self.lock:
            names = {n for n in self._shards if n.startswith(prefix)}
            names |= {n for n in self._pending if n.startswith(prefix)}
            names |= {n for n in self._manifest_shards if n.startswith(prefix)}
        folder = self.path / "shards"
        for entry in os.scandir(folder):
            if entry.name.endswith(".json"):
                n = file_to_shard(entry.name)
                if n.startswith(prefix):
                    names.add(n)
        return sorted(names)

    def read_shard_uncached(self, name: str) -> Tables:
        """A shard's documents without adding it to the cache (for full scans)."""
        with self.lock:
            sh = self._shards.get(name)
            if sh is not None:
                return sh.data
            data, newer = self._load_data(name)
            if newer:
                # Keep the replayed or rebuilt copy (cached, dirty) so a checkpoint writes it.
                sh = Shard(self, name, data)
                sh.dirty = True
                self._shards[name] = sh
                self._count_in(name, sh)
            return data

    def _evict_after_commit(self) -> None:
        # A bounded look at the least recently used end: when dirty shards fill the
        # cache (a large pull between checkpoints), a full pass after every commit
        # found nothing to evict at a cost growing with the cache. The checkpoint
        # that cleans them ends with a full pass.
        self._evict(scan=EVICT_SCAN_AFTER_COMMIT)

    def _evict(self, room_for: int = 0, scan: int | None = None) -> None:
        limit = self.cache_shards - room_for
        if scan is not None and not any(
            not sh.dirty and not sh.in_txn and not sh.flushing
            for sh in islice(self._shards.values(), scan)
        ):
            # Nothing in reach could go: counting the documents of every cached shard
            # (4,096 during a large pull, all dirty until the next checkpoint) only to
            # find that out took 2 s of a pull of 100,000.
            return
        # The document budget is the dossier shards' (the lookups'): the outbox, audit and
        # meta shards are few, and evicting others for their size would only reload them.
        # Counted as each shard came in (summing them all on every load was a quarter of
        # a lookup's time at 500,000), and recounted exactly on every full pass.
        if scan is None and room_for == 0:
            self._recount()
        docs = self._doc_total
        if len(self._shards) <= limit and docs <= self.cache_docs:
            return
        names = list(self._shards) if scan is None else list(islice(self._shards, scan))
        for name in names:
            over_docs = docs > self.cache_docs and name.startswith(DATA)
            if len(self._shards) <= limit and not over_docs:
                if docs <= self.cache_docs:
                    break
                continue
            sh = self._shards[name]
            if not sh.dirty and not sh.in_txn and not sh.flushing:
                del self._shards[name]
                docs -= self._count_out(name)
                sh.release()

    def _count_in(self, name: str, sh: Shard) -> None:
        if name.startswith(DATA):
            n = _docs(sh)
            self._doc_total += n - self._doc_counts.get(name, 0)
            self._doc_counts[name] = n

    def _count_out(self, name: str) -> int:
        n = self._doc_counts.pop(name, 0)
        self._doc_total -= n
        return n

    def _recount(self) -> None:
        """Count the cached dossier shards' documents again (writes since they came in)."""
        self._doc_counts = {n: _docs(sh) for n, sh in self._shards.items() if n.startswith(DATA)}
        self._doc_total = sum(self._doc_counts.values())


DATA = "d/"


def _docs(sh: Shard) -> int:
    return sum(len(table) for table in sh.data.values())
