"""The counter's cache as the use cases see it: one small repository per kind of data.

``LocalStore`` opens the durable engine (:mod:`counter_tui.store.engine`) and the
directory (:mod:`counter_tui.store.index`), checks its counters against the data
(:mod:`counter_tui.store.open_checks`), and hands out the repositories, each a thin
object over the engine created once here: ``dossiers`` (and their summaries),
``citizens``, ``outbox`` (with the refused operations), ``audit``, ``clerks``,
``catalog``, ``meta`` and ``files`` (scanned files). A use case writes through
several of them inside one ``transaction()``.

Layout of the shards (each a small TinyDB):

- ``d/NNNN`` (4096 of them, by CRC-32 of the citizen ID, or of the uid when a
  dossier has none): tables ``dossiers`` and ``citizens``;
- ``o/NNNNNN``: the outbox, 512 operations a shard, by sequence number;
- ``a/NNNNNN``: the audit log, likewise, each entry chained to the previous by hash;
- ``m/meta`` (settings and counters), ``m/rejected``, ``m/catalog``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from counter_tui.domain.messages import Msg
from counter_tui.store.audit_log import AuditLog
from counter_tui.store.catalog_cache import CatalogCache
from counter_tui.store.citizens import Citizens
from counter_tui.store.clerks import Clerks
from counter_tui.store.dossiers import Dossiers, shard_key_of
from counter_tui.store.engine.core import Notice, Store, Txn, freeze_gc
from counter_tui.store.index.directory import Directory
from counter_tui.store.meta import Meta
from counter_tui.store.open_checks import describe_damage, reconcile
from counter_tui.store.outbox import Outbox
from counter_tui.store.scans import FileRoom

INDEX_FILE = "index.bin"


class LocalStore:
    """The counter's cache. Thread-safe: every call holds the store lock."""

    def __init__(
        self,
        path: str | Path,
        *,
        background: bool = True,
        build_indexes: bool = True,
        **store_options: Any,
    ) -> None:
        t0 = time.perf_counter()
        # Log segments stay until the centre acknowledged every outbox operation they hold:
        # the second copy of unsent work (see docs/store.md).
        self.store = Store(path, pin_prefix="o/", **store_options)
        self.path = Path(path)
        self.meta = Meta(self.store)
        self.outbox = Outbox(self.store, self.meta)
        self.audit = AuditLog(self.store, self.meta)
        self.clerks = Clerks(self.store, self.meta)
        self.catalog = CatalogCache(self.store, self.meta)
        self.citizens = Citizens(self.store)
        try:
            self.directory = self._open_directory()
            self.dossiers = Dossiers(self.store, self.directory, self.meta)
            self.store.pin_floor = self.outbox.acked_seq
            self.store.damage_listeners.append(lambda d: describe_damage(self, d))
            reconcile(self)
            # Scanned files (issue 14): orphans of a crash mid-attach are removed here.
            self.files = FileRoom(self.store)
        except BaseException:
            self.store.abandon()
            raise
        self.store.on_change(self.dossiers.on_change)
        self.store.save_indexes = lambda txn: self.directory.save(
            self.path / INDEX_FILE, txn, self.store.cipher
        )
        freeze_gc()
        self.open_seconds = time.perf_counter() - t0
        if build_indexes:
            self.dossiers.build_indexes_in_background()
        if background:
            self.store.start_background()

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def notices(self) -> list[Notice]:
        return self.store.notices

    def close(self) -> None:
        self.store.close()

    def abandon(self) -> None:
        self.store.abandon()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Txn]:
        with self.store.transaction() as txn:
            yield txn

    def checkpoint(self, full: bool = False) -> None:
        self.store.checkpoint(full=full)

    # --- the directory, at open ------------------------------------------------------------

    def _open_directory(self) -> Directory:
        d = Directory.load(self.path / INDEX_FILE, self.store.cipher)
        if d is not None and d.txn >= self.store.full_txn:
            for rec in self.store.replay_records():
                for shard, table, _doc_id, doc in rec["w"]:
                    if table == "dossiers" and doc is not None and shard.startswith("d/"):
                        d.put(doc["uid"], doc, shard_key_of(doc))
            return d
        expected = self.store.full_txn > 0  # a full checkpoint saved one
        if d is None and Directory.saved_by_older_version(
            self.path / INDEX_FILE, self.store.cipher
        ):
            self.store.notices.append(
                Notice(
                    "index.upgraded",
                    Msg(
                        "Chỉ mục tra cứu đã được dựng lại theo định dạng của phiên bản mới "
                        "(một lần, sau khi cập nhật phần mềm); dữ liệu không thay đổi.",
                        "The lookup index was rebuilt in this version's format (once, after "
                        "an update); no data changed.",
                    ),
                )
            )
        elif d is None and ((self.path / INDEX_FILE).exists() or expected):
            self.store.notices.append(
                Notice(
                    "index.rebuilt",
                    Msg(
                        "Chỉ mục tra cứu bị hỏng nên đã được dựng lại từ dữ liệu.",
                        "The lookup index was damaged and has been rebuilt from the data.",
                    ),
                )
            )
        return self._rebuild_directory()

    def _rebuild_directory(self) -> Directory:
        d = Directory()
        for name in self.store.shard_names("d/"):
            data = self.store.read_shard_uncached(name)
            for doc in data.get("dossiers", {}).values():
                d.put(doc["uid"], doc, shard_key_of(doc))
        d.txn = self.store.last_txn
        # Numbered afresh in one go: the compact arrays instead of the overlays the puts
        # filled; the phone, part and name indexes follow in the background.
        d.compact()
        return d
