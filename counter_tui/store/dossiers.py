"""Dossiers in the data shards (``d/NNNN``), and their summaries from the directory.

4096 data shards, by CRC-32 of the citizen ID (of the uid when a dossier has none),
each with tables ``dossiers`` and ``citizens``: a citizen's dossiers and record are
one shard read. The directory (:mod:`counter_tui.store.index.directory`) answers
every other lookup from its rows without reading a shard, and is kept in step with
each commit through :meth:`Dossiers.on_change`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from tinydb import Query

from counter_tui.domain.ops import SYNC_KEY
from counter_tui.store.engine import gc_policy
from counter_tui.store.engine.core import Store, crc_shard
from counter_tui.store.index.directory import Directory, Summary
from counter_tui.store.index.row_format import newest_first, row_of, summary_of
from counter_tui.store.meta import Meta

DATA_SHARDS = 4096
Q = Query()


def shard_key_of(doc: dict[str, Any]) -> str:
    cid = (doc.get("applicant") or {}).get("citizen_id")
    return str(cid) if cid else f"uid:{doc['uid']}"


def data_shard(shard_key: str) -> str:
    return f"d/{crc_shard(shard_key, DATA_SHARDS):04d}"


class Dossiers:
    """The ``dossiers`` tables of the data shards, found through the directory."""

    def __init__(self, store: Store, directory: Directory, meta: Meta) -> None:
        self._store = store
        self._directory = directory
        self._meta = meta
        self._index_thread: threading.Thread | None = None

    def on_change(self, shard: str, table: str, doc_id: str, before: Any, after: Any) -> None:
        """The store's change listener: the directory follows every committed dossier."""
        if table != "dossiers":
            return
        if after is not None:
            self._directory.put(after["uid"], after, shard_key_of(after))
            return
        uid = before["uid"]
        s = self._directory.summary(uid)
        # A dossier moved between shards is deleted from the old one in the same commit.
        if s is not None and data_shard(s.shard_key) == shard:
            self._directory.put(uid, None)

    # --- writes ---------------------------------------------------------------------------

    def put(self, doc: dict[str, Any]) -> None:
        """Insert or replace the dossier ``doc['uid']`` (call inside a transaction)."""
        with self._store.transaction():
            uid = doc["uid"]
            key = shard_key_of(doc)
            old = self._directory.summary(uid)
            if old is None:
                self._store.shard(data_shard(key)).table("dossiers").insert(doc)
                return
            if old is not None and old.shard_key != key:
                self._store.shard(data_shard(old.shard_key)).table("dossiers").remove(Q.uid == uid)
            table = self._store.shard(data_shard(key)).table("dossiers")
            table.replace(doc, Q.uid == uid)

    def adopt(self, docs: list[dict[str, Any]]) -> None:
        """Insert or replace many dossiers at once (a pulled page; call inside a transaction).

        One write per data shard, and no copy: the store takes ``docs`` as they are,
        so the caller must neither keep nor change them afterwards. A ``uid`` must
        appear at most once.
        """
        with self._store.transaction():
            by_shard: dict[str, list[dict[str, Any]]] = {}
            moved: dict[str, list[str]] = {}
            for doc in docs:
                uid = doc["uid"]
                key = shard_key_of(doc)
                old = self._directory.summary(uid)
                if old is not None and old.shard_key != key:
                    moved.setdefault(data_shard(old.shard_key), []).append(uid)
                by_shard.setdefault(data_shard(key), []).append(doc)
            # Removals first: a dossier may move to a shard that is also its old one.
            for name, uids in moved.items():
                gone = set(uids)
                self._store.shard(name).table("dossiers").remove(Q.uid.test(gone.__contains__))
            for name, part in by_shard.items():
                self._store.shard(name).adopt("dossiers", "uid", part)
        # The adopted documents live as long as their shards: out of the cyclic GC's full
        # passes (store/engine/gc_policy.py). Without this, full passes
        # over the growing cache took 2.6 s of a 15 s pull of 100,000 dossiers.
        gc_policy.pulled()

    def next_code_number(self, day: date, slot: int) -> int:
        """The next number for ``day`` at this counter; allocated in the caller's transaction.

        The counter in ``m/meta`` is checked against the highest number in use in the
        directory (derived from the dossiers themselves), so a damaged or rolled-back
        meta file can never hand out a code already issued.
        """
        key = f"code:{slot}:{day.isoformat()}"
        with self._store.transaction():
            in_use = self._directory.highest_number(day, slot)
            n = max(int(self._meta.get(key, 0)), in_use) + 1
            self._meta.set(key, n)
            return n

    # --- whole dossiers -------------------------------------------------------------------

    def stored_versions(self, uids: list[str]) -> dict[str, int]:
        """The server version of each stored dossier among ``uids`` (read without a copy)."""
        out: dict[str, int] = {}
        with self._store.lock:
            for uid in uids:
                s = self._directory.summary(uid)
                if s is None:
                    continue
                live = self._store.shard(data_shard(s.shard_key)).data.get("dossiers", {})
                for doc in live.values():
                    if doc.get("uid") == uid:
                        out[uid] = int((doc.get(SYNC_KEY) or {}).get("version", 0))
                        break
        return out

    def _load(self, summary: Summary | None) -> dict[str, Any] | None:
        if summary is None:
            return None
        with self._store.lock:
            table = self._store.shard(data_shard(summary.shard_key)).table("dossiers")
            return table.get(Q.uid == summary.uid)

    def get(self, uid: str) -> dict[str, Any] | None:
        with self._store.lock:
            return self._load(self._directory.summary(uid))

    def by_code(self, code: str) -> dict[str, Any] | None:
        with self._store.lock:
            uid = self._directory.uid_by_code(code)
            return self._load(self._directory.summary(uid)) if uid else None

    def of_citizen(self, citizen_id: str) -> list[dict[str, Any]]:
        """Every dossier of a citizen, newest first (one shard read: the partition key)."""
        with self._store.lock:
            table = self._store.shard(data_shard(citizen_id)).table("dossiers")
            docs = table.search(Q.applicant.citizen_id == citizen_id)
        # The order of row_format.newest_first (the lookup's), so the hand-over lists a
        # citizen's dossiers as the lookup does, ties included.
        return sorted(
            docs,
            key=lambda d: (
                str(d.get("received_at") or ""),
                str(d.get("code", "")),
                str(d["uid"]),
            ),
            reverse=True,
        )

    def of_summaries(self, summaries: Iterable[Summary]) -> Iterator[dict[str, Any]]:
        """The stored dossiers of ``summaries``, a shard at a time, in no set order.

        For scans over much of the cache (a report, the tracking book's restart): each
        shard is read without entering the shard cache, so its documents are freed as
        soon as the caller is done with them. Through :meth:`get` a scan kept
        every shard it touched frozen until the next GC sweep, and inside a transaction
        (which never evicts) all of them: +470 MB and 10 s for one receive at 100k.
        The documents are the store's own: read them, never change them.
        """
        by_shard: dict[str, set[str]] = {}
        for s in summaries:
            by_shard.setdefault(data_shard(s.shard_key), set()).add(s.uid)
        for name in sorted(by_shard):
            uids = by_shard[name]
            with self._store.lock:  # a write must not change the table while it is read
                table = self._store.read_shard_uncached(name).get("dossiers", {})
                found = [doc for doc in table.values() if doc.get("uid") in uids]
            yield from found

    # --- summaries (the directory) --------------------------------------------------------

    def citizen_summaries(self, citizen_id: str) -> list[Summary]:
        """The summaries of a citizen's dossiers, newest first: from the directory's
        citizen index, which does not grow with the store, once it is built; until then
        (a few seconds after open) from the citizen's shard, as before."""
        with self._store.lock:
            if self._directory.secondary_ready.is_set():
                return self._directory.by_citizen_id(citizen_id)
        docs = self.of_citizen(citizen_id)
        return newest_first(summary_of(d["uid"], row_of(d, shard_key_of(d))) for d in docs)

    def build_indexes_in_background(self) -> None:
        """Start deriving the phone and name indexes (the app does it after its first paint,
        so the build does not compete with the first screen for the interpreter)."""
        if self._directory.secondary_ready.is_set() or self._index_thread is not None:
            return
        self._index_thread = threading.Thread(
            target=self._directory.build_secondary,
            args=(self._store.lock,),
            name="index-build",
            daemon=True,
        )
        self._index_thread.start()

    def wait_indexes(self, timeout: float = 60.0) -> bool:
        """Wait until the phone and name indexes are built (a second or two after open)."""
        self.build_indexes_in_background()
        return self._directory.secondary_ready.wait(timeout)

    def by_phone(self, phone: str) -> list[Summary]:
        self.wait_indexes()  # before taking the lock: the builder needs it
        with self._store.lock:
            return self._directory.by_phone_number(phone)

    def search_names(self, query: str, limit: int = 50) -> tuple[list[Summary], int]:
        self.wait_indexes()
        with self._store.lock:
            return self._directory.search_name(query, limit=limit)

    def summary(self, uid: str) -> Summary | None:
        with self._store.lock:
            return self._directory.summary(uid)

    def summary_by_code(self, code: str) -> Summary | None:
        with self._store.lock:
            uid = self._directory.uid_by_code(code)
            return self._directory.summary(uid) if uid else None

    def open_lists(self, today: date) -> dict[str, list[Summary]]:
        with self._store.lock:
            return self._directory.open_lists(today)

    def count(self) -> int:
        return len(self._directory)

    def recent(self, limit: int = 200) -> list[Summary]:
        with self._store.lock:
            return self._directory.recent(limit)

    def all_summaries(self) -> list[Summary]:
        with self._store.lock:
            return self._directory.summaries()
