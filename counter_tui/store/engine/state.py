"""The state a store is made of, shared by the rooms of the engine.

:class:`StoreState` names every attribute the rooms (opening, shard cache,
transactions, checkpoints) share, and the few methods one room calls in
another, so each room can be read, and type-checked, on its own.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from counter_tui.domain.messages import Msg
from counter_tui.store.engine.cipher import Cipher
from counter_tui.store.engine.commitlog import CommitLog
from counter_tui.store.engine.errors import Notice
from counter_tui.store.engine.lock import DirLock
from counter_tui.store.engine.recovery import PendingRecord
from counter_tui.store.engine.shard_format import Tables
from counter_tui.store.engine.tinydb_adapter import Shard, Txn

log = logging.getLogger("counter_tui.store.engine")

ChangeListener = Callable[[str, str, str, Any, Any], None]


@dataclass
class ShardDamage:
    """A shard file found damaged or missing, and how it was rebuilt."""

    shard: str
    reason: str
    side_file: str | None  # where the damaged file was moved (None: it was missing)
    from_log: int  # documents restored from the log (verified copies)
    unverified: int  # documents kept from the damaged file itself (failed its checksum)
    data: Tables = field(default_factory=dict, repr=False)  # the shard as rebuilt
    notice: Notice | None = None  # what the app is told; owners add what the loss means

    def tell_more(self, vi: str, en: str, needs_resync: bool = False) -> None:
        """Add to this damage's notice what it means for the owner's data."""
        if self.notice is not None:
            self.notice.msg = Msg(f"{self.notice.msg.vi} {vi}", f"{self.notice.msg.en} {en}")
            self.notice.needs_resync = self.notice.needs_resync or needs_resync


class StoreState:
    """Attributes of a :class:`~counter_tui.store.engine.core.Store` (set in its ``__init__``)."""

    path: Path
    cipher: Cipher | None
    cache_shards: int
    cache_docs: int
    flush_dirty: int
    full_checkpoint_bytes: int
    keep_log_bytes: int  # at most this much old log is kept for unsent operations
    pin_prefix: str | None
    pin_floor: Callable[[], int] | None
    notices: list[Notice]
    damaged: list[ShardDamage]
    damage_listeners: list[Callable[[ShardDamage], None]]
    lock: threading.RLock
    _local: threading.local
    _shards: OrderedDict[str, Shard]
    _doc_counts: dict[str, int]  # dossier shards cached -> documents when counted
    _doc_total: int
    _pending: dict[str, list[PendingRecord]]
    _pins: dict[str, int]
    _listeners: list[ChangeListener]
    _txn_counter: int
    _flushed_txn: int  # shards on disk cover the log up to here
    _full_txn: int  # the current log segment starts after this
    _replay_records: list[dict[str, Any]]
    _manifest_shards: dict[str, int]
    _preload_checked: set[str]
    _files_at_open: set[str]
    _closed: bool
    # Lock order, everywhere: _ckpt_lock before lock, never the other way round.
    _ckpt_lock: threading.Lock
    _wake: threading.Event
    _stop: threading.Event
    _bg: threading.Thread | None
    _dirlock: DirLock
    _log: CommitLog
    # Hook a full checkpoint uses to save derived indexes; set by the owner of the store.
    save_indexes: Callable[[int], None] | None = None

    # Implemented by one room, called from another.
    def shard(self, name: str) -> Shard:
        raise NotImplementedError

    def shard_file(self, name: str) -> Path:
        raise NotImplementedError

    def _load_data(self, name: str) -> tuple[Tables, bool]:
        raise NotImplementedError

    def _evict(self, room_for: int = 0, scan: int | None = None) -> None:
        raise NotImplementedError

    def _evict_after_commit(self) -> None:
        raise NotImplementedError

    def maybe_checkpoint(self) -> None:
        raise NotImplementedError

    def _write_manifest(self) -> None:
        raise NotImplementedError

    def _current_txn(self) -> Txn:
        raise NotImplementedError


def _put(data: Tables, table: str, doc_id: str, doc: Any) -> None:
    t = data.setdefault(table, {})
    if doc is None:
        t.pop(doc_id, None)
    else:
        t[doc_id] = doc
    if not t:
        data.pop(table, None)
