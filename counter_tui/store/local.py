"""The repository the use cases call: dossiers, citizens, outbox, cursor, audit, catalog cache.

Layout of the shards (each a small TinyDB):

- ``d/NNNN`` (4096 of them, by CRC-32 of the citizen ID, or of the uid when a
  dossier has none): tables ``dossiers`` and ``citizens``;
- ``o/NNNNNN``: the outbox, 512 operations a shard, by sequence number;
- ``a/NNNNNN``: the audit log, likewise, each entry chained to the previous by hash;
- ``m/meta`` (settings and counters), ``m/rejected``, ``m/catalog``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from tinydb import Query
from tinydb.table import Document

from counter_tui.domain.audit_chain import chain, verify_chain
from counter_tui.domain.messages import Msg
from counter_tui.domain.ops import SYNC_KEY
from counter_tui.store.engine import gc_policy
from counter_tui.store.engine.core import (
    Notice,
    SafeTable,
    ShardDamage,
    Store,
    Txn,
    crc_shard,
    freeze_gc,
)
from counter_tui.store.index.directory import Directory, Summary
from counter_tui.store.index.row_format import newest_first, row_of, summary_of
from counter_tui.store.scans import FileRoom

DATA_SHARDS = 4096
OPS_PER_SHARD = 512
INDEX_FILE = "index.bin"
Q = Query()
log = logging.getLogger(__name__)


def shard_key_of(doc: dict[str, Any]) -> str:
    cid = (doc.get("applicant") or {}).get("citizen_id")
    return str(cid) if cid else f"uid:{doc['uid']}"


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
        self._rejected_ok = False  # the refused list was refilled after damage
        try:
            self.directory = self._open_directory()
            self.store.pin_floor = self.acked_seq
            self.store.damage_listeners.append(self._on_damage)
            self._reconcile()
            # Scanned files (issue 14): orphans of a crash mid-attach are removed here.
            self.files = FileRoom(self.store)
        except BaseException:
            self.store.abandon()
            raise
        self.store.on_change(self._on_change)
        self.store.save_indexes = lambda txn: self.directory.save(
            self.path / INDEX_FILE, txn, self.store.cipher
        )
        freeze_gc()
        self.open_seconds = time.perf_counter() - t0
        self._index_thread: threading.Thread | None = None
        if build_indexes:
            self.build_indexes_in_background()
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

    # --- directory ------------------------------------------------------------------------

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

    def _on_change(self, shard: str, table: str, doc_id: str, before: Any, after: Any) -> None:
        if table != "dossiers":
            return
        if after is not None:
            self.directory.put(after["uid"], after, shard_key_of(after))
            return
        uid = before["uid"]
        s = self.directory.summary(uid)
        # A dossier moved between shards is deleted from the old one in the same commit.
        if s is not None and self._data_shard(s.shard_key) == shard:
            self.directory.put(uid, None)

    # --- damage and counters ----------------------------------------------------------------

    def _reconcile(self) -> None:
        """Bring the counters in ``m/meta`` up to what the data itself shows.

        The operation sequence is at least the highest operation in the outbox, the
        acknowledged mark at least the newest operation with an answer, the audit head
        the newest audit entry. Cheap (the newest outbox and audit shards), so it runs at
        every open; it writes only when something was behind.
        """
        for d in list(self.store.damaged):
            self._on_damage(d)
        fixes: dict[str, Any] = {}
        with self.store.lock:
            self.get_meta("op_seq")  # load (and verify) m/meta first
            meta_damaged = any(d.shard == "m/meta" for d in self.store.damaged)
            top = 0
            for name in reversed(self.store.shard_names("o/")):
                ops = self.store.read_shard_uncached(name).get("ops", {})
                if ops:
                    top = max(int(k) for k in ops)
                    break
            if top > self.last_seq():
                fixes["op_seq"] = top
            acked = self.acked_seq()
            for seq in range(top, acked, -1):
                op = self._raw_op(seq)
                if op is not None and op.get("state") != "pending":
                    fixes["acked_seq"] = seq
                    break
            audit_seq = int(self.get_meta("audit_seq", 0))
            for name in reversed(self.store.shard_names("a/")):
                events = self.store.read_shard_uncached(name).get("events", {})
                if events:
                    newest = max(events.values(), key=lambda e: int(e["seq"]))
                    if int(newest["seq"]) > audit_seq:
                        fixes["audit_seq"] = int(newest["seq"])
                        fixes["audit_hash"] = newest["hash"]
                    break
        try:
            if fixes:
                with self.store.transaction():
                    for k, v in fixes.items():
                        self.set_meta(k, v)
        except Exception:  # a full disk: enqueue's own check still never reuses a number
            log.exception("could not record the rebuilt counters yet")
        if meta_damaged:
            self.store.notices.append(self._meta_notice(fixes))

    def _raw_op(self, seq: int) -> dict[str, Any] | None:
        """An outbox operation as stored (no copy: read it, never change it)."""
        name = f"o/{seq // OPS_PER_SHARD:06d}"
        op: dict[str, Any] | None = self.store.shard(name).data.get("ops", {}).get(str(seq))
        return op

    def _restore_rejected(self) -> None:
        """Refill the list of refused operations from the outbox (its second copy)."""
        with self.store.transaction():
            table = self.store.shard("m/rejected").table("ops")
            have = {int(d["seq"]) for d in table.all() if "seq" in d}
            missing = []
            for name in self.store.shard_names("o/"):
                for op in self.store.read_shard_uncached(name).get("ops", {}).values():
                    if op.get("state") not in ("pending", "applied") and int(op["seq"]) not in have:
                        missing.append({**op, "resolved": False})
            if missing:
                table.insert_multiple(missing)

    def _meta_notice(self, fixes: dict[str, Any]) -> Notice:
        lost = [k for k in ("cursor", "catalog_etag", "local_clerks") if self.get_meta(k) is None]
        rebuilt = ", ".join(f"{k}={v}" for k, v in fixes.items() if k != "audit_hash") or "-"
        return Notice(
            "meta.rebuilt",
            Msg(
                "Tệp cài đặt và bộ đếm (m-meta) bị hỏng hoặc thiếu. Đã dựng lại từ dữ liệu: "
                f"{rebuilt}; số hồ sơ trong ngày theo mã lớn nhất đang dùng, không cấp lại mã "
                f"đã cấp. Không khôi phục được (nếu đã có): {', '.join(lost) or 'không'} (mất vị trí đồng bộ thì sẽ tải "
                "lại toàn bộ từ trung tâm; mất tài khoản cán bộ cục bộ thì cần tạo lại).",
                "The settings and counters file (m-meta) was damaged or missing. Rebuilt from "
                f"the data: {rebuilt}; daily code numbers follow the highest code in use, no "
                f"code is issued twice. Not recoverable (if they were set): {', '.join(lost) or 'none'} (a lost sync "
                "position means a full download from the centre; lost local clerk accounts "
                "must be re-created).",
            ),
            needs_resync="cursor" in lost,
        )

    def _on_damage(self, d: ShardDamage) -> None:
        """Say exactly what a damaged file cost (the engine says how it was rebuilt)."""
        if d.shard.startswith("o/"):
            first = int(d.shard[2:]) * OPS_PER_SHARD
            acked, last = self.acked_seq(), self.last_seq()
            ops = d.data.get("ops", {})
            unsent = list(range(max(first, acked + 1), min(first + OPS_PER_SHARD, last + 1)))
            missing = [s for s in unsent if str(s) not in ops]
            kept = len(unsent) - len(missing)
            lost_vi = f" Mất {len(missing)} (số {missing[0]}-{missing[-1]})." if missing else ""
            lost_en = f" {len(missing)} lost (seq {missing[0]}-{missing[-1]})." if missing else ""
            d.tell_more(
                f"Hàng chờ gửi: {kept} trong {len(unsent)} thao tác chưa gửi còn nguyên.{lost_vi}",
                f"Outbox: {kept} of {len(unsent)} unsent operations are intact.{lost_en}",
            )
        elif d.shard.startswith("d/") and hasattr(self, "directory"):
            present = {doc.get("uid") for doc in d.data.get("dossiers", {}).values()}
            gone = [
                s
                for u in list(self.directory.rows)
                if (s := self.directory.summary(u)) is not None
                and self._data_shard(s.shard_key) == d.shard
                and u not in present
            ]
            if gone:
                codes = ", ".join(s.code for s in gone[:10]) + (" …" if len(gone) > 10 else "")
                d.tell_more(
                    f"{len(gone)} hồ sơ không còn trong bộ đệm ({codes}). Chúng đã lên trung "
                    "tâm (mọi thay đổi chưa gửi được khôi phục từ nhật ký); hãy đồng bộ lại toàn "
                    "bộ để tải về.",
                    f"{len(gone)} dossiers are no longer in the cache ({codes}). They had reached "
                    "the centre (every unsent change was restored from the log); a full resync "
                    "brings them back.",
                    needs_resync=True,
                )

    # --- dossiers -------------------------------------------------------------------------

    @staticmethod
    def _data_shard(shard_key: str) -> str:
        return f"d/{crc_shard(shard_key, DATA_SHARDS):04d}"

    def put_dossier(self, doc: dict[str, Any]) -> None:
        """Insert or replace the dossier ``doc['uid']`` (call inside a transaction)."""
        with self.store.transaction():
            uid = doc["uid"]
            key = shard_key_of(doc)
            old = self.directory.summary(uid)
            if old is None:
                self.store.shard(self._data_shard(key)).table("dossiers").insert(doc)
                return
            if old is not None and old.shard_key != key:
                self.store.shard(self._data_shard(old.shard_key)).table("dossiers").remove(
                    Q.uid == uid
                )
            table = self.store.shard(self._data_shard(key)).table("dossiers")
            table.replace(doc, Q.uid == uid)

    def adopt_dossiers(self, docs: list[dict[str, Any]]) -> None:
        """Insert or replace many dossiers at once (a pulled page; call inside a transaction).

        One write per data shard, and no copy: the store takes ``docs`` as they are,
        so the caller must neither keep nor change them afterwards. A ``uid`` must
        appear at most once.
        """
        with self.store.transaction():
            by_shard: dict[str, list[dict[str, Any]]] = {}
            moved: dict[str, list[str]] = {}
            for doc in docs:
                uid = doc["uid"]
                key = shard_key_of(doc)
                old = self.directory.summary(uid)
                if old is not None and old.shard_key != key:
                    moved.setdefault(self._data_shard(old.shard_key), []).append(uid)
                by_shard.setdefault(self._data_shard(key), []).append(doc)
            # Removals first: a dossier may move to a shard that is also its old one.
            for name, uids in moved.items():
                gone = set(uids)
                self.store.shard(name).table("dossiers").remove(Q.uid.test(gone.__contains__))
            for name, part in by_shard.items():
                self.store.shard(name).adopt("dossiers", "uid", part)
        # The adopted documents live as long as their shards: out of the cyclic GC's full
        # passes (store/gc_policy.py). Without this, full passes
        # over the growing cache took 2.6 s of a 15 s pull of 100,000 dossiers.
        gc_policy.pulled()

    def stored_versions(self, uids: list[str]) -> dict[str, int]:
        """The server version of each stored dossier among ``uids`` (read without a copy)."""
        out: dict[str, int] = {}
        with self.store.lock:
            for uid in uids:
                s = self.directory.summary(uid)
                if s is None:
                    continue
                live = self.store.shard(self._data_shard(s.shard_key)).data.get("dossiers", {})
                for doc in live.values():
                    if doc.get("uid") == uid:
                        out[uid] = int((doc.get(SYNC_KEY) or {}).get("version", 0))
                        break
        return out

    def _load(self, summary: Summary | None) -> dict[str, Any] | None:
        if summary is None:
            return None
        with self.store.lock:
            table = self.store.shard(self._data_shard(summary.shard_key)).table("dossiers")
            return table.get(Q.uid == summary.uid)

    def get_dossier(self, uid: str) -> dict[str, Any] | None:
        with self.store.lock:
            return self._load(self.directory.summary(uid))

    def dossier_by_code(self, code: str) -> dict[str, Any] | None:
        with self.store.lock:
            uid = self.directory.uid_by_code(code)
            return self._load(self.directory.summary(uid)) if uid else None

    def dossiers_by_citizen(self, citizen_id: str) -> list[dict[str, Any]]:
        """Every dossier of a citizen, newest first (one shard read: the partition key)."""
        with self.store.lock:
            table = self.store.shard(self._data_shard(citizen_id)).table("dossiers")
            docs = table.search(Q.applicant.citizen_id == citizen_id)
        # The order of directory.newest_first (the lookup's), so the hand-over lists a
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

    def citizen_summaries(self, citizen_id: str) -> list[Summary]:
        """The summaries of a citizen's dossiers, newest first: from the directory's
        citizen index, which does not grow with the store, once it is built; until then
        (a few seconds after open) from the citizen's shard, as before."""
        with self.store.lock:
            if self.directory.secondary_ready.is_set():
                return self.directory.by_citizen_id(citizen_id)
        docs = self.dossiers_by_citizen(citizen_id)
        return newest_first(summary_of(d["uid"], row_of(d, shard_key_of(d))) for d in docs)

    def build_indexes_in_background(self) -> None:
        """Start deriving the phone and name indexes (the app does it after its first paint,
        so the build does not compete with the first screen for the interpreter)."""
        if self.directory.secondary_ready.is_set() or self._index_thread is not None:
            return
        self._index_thread = threading.Thread(
            target=self.directory.build_secondary,
            args=(self.store.lock,),
            name="index-build",
            daemon=True,
        )
        self._index_thread.start()

    def wait_indexes(self, timeout: float = 60.0) -> bool:
        """Wait until the phone and name indexes are built (a second or two after open)."""
        self.build_indexes_in_background()
        return self.directory.secondary_ready.wait(timeout)

    def dossiers_by_phone(self, phone: str) -> list[Summary]:
        self.wait_indexes()  # before taking the lock: the builder needs it
        with self.store.lock:
            return self.directory.by_phone_number(phone)

    def search_names(self, query: str, limit: int = 50) -> tuple[list[Summary], int]:
        self.wait_indexes()
        with self.store.lock:
            return self.directory.search_name(query, limit=limit)

    def summary(self, uid: str) -> Summary | None:
        with self.store.lock:
            return self.directory.summary(uid)

    def summary_by_code(self, code: str) -> Summary | None:
        with self.store.lock:
            uid = self.directory.uid_by_code(code)
            return self.directory.summary(uid) if uid else None

    def open_lists(self, today: date) -> dict[str, list[Summary]]:
        with self.store.lock:
            return self.directory.open_lists(today)

    def dossier_count(self) -> int:
        return len(self.directory)

    def recent(self, limit: int = 200) -> list[Summary]:
        with self.store.lock:
            return self.directory.recent(limit)

    def all_summaries(self) -> list[Summary]:
        with self.store.lock:
            return self.directory.summaries()

    def dossiers_of(self, summaries: Iterable[Summary]) -> Iterator[dict[str, Any]]:
        """The stored dossiers of ``summaries``, a shard at a time, in no set order.

        For scans over much of the cache (a report, the tracking book's restart): each
        shard is read without entering the shard cache, so its documents are freed as
        soon as the caller is done with them. Through :meth:`get_dossier` a scan kept
        every shard it touched frozen until the next GC sweep, and inside a transaction
        (which never evicts) all of them: +470 MB and 10 s for one receive at 100k.
        The documents are the store's own: read them, never change them.
        """
        by_shard: dict[str, set[str]] = {}
        for s in summaries:
            by_shard.setdefault(self._data_shard(s.shard_key), set()).add(s.uid)
        for name in sorted(by_shard):
            uids = by_shard[name]
            with self.store.lock:  # a write must not change the table while it is read
                table = self.store.read_shard_uncached(name).get("dossiers", {})
                found = [doc for doc in table.values() if doc.get("uid") in uids]
            yield from found

    # --- citizens -------------------------------------------------------------------------

    def put_citizen(self, record: dict[str, Any]) -> None:
        with self.store.transaction():
            table = self.store.shard(self._data_shard(record["citizen_id"])).table("citizens")
            table.replace(record, Q.citizen_id == record["citizen_id"])

    def get_citizen(self, citizen_id: str) -> dict[str, Any] | None:
        with self.store.lock:
            table = self.store.shard(self._data_shard(citizen_id)).table("citizens")
            return table.get(Q.citizen_id == citizen_id)

    # --- settings and counters ------------------------------------------------------------

    def _kv(self) -> SafeTable:
        return self.store.shard("m/meta").table("kv")

    def get_meta(self, key: str, default: Any = None) -> Any:
        with self.store.lock:
            doc = self._kv().get(Q.k == key)
            return doc["v"] if doc is not None else default

    def set_meta(self, key: str, value: Any) -> None:
        with self.store.transaction():
            self._kv().replace({"k": key, "v": value}, Q.k == key)

    def next_code_number(self, day: date, slot: int) -> int:
        """The next number for ``day`` at this counter; allocated in the caller's transaction.

        The counter in ``m/meta`` is checked against the highest number in use in the
        directory (derived from the dossiers themselves), so a damaged or rolled-back
        meta file can never hand out a code already issued.
        """
        key = f"code:{slot}:{day.isoformat()}"
        with self.store.transaction():
            in_use = self.directory.highest_number(day, slot)
            n = max(int(self.get_meta(key, 0)), in_use) + 1
            self.set_meta(key, n)
            return n

    # --- outbox ---------------------------------------------------------------------------

    def _ops_table(self, seq: int) -> SafeTable:
        return self.store.shard(f"o/{seq // OPS_PER_SHARD:06d}").table("ops")

    def enqueue(self, op: dict[str, Any]) -> int:
        """Add ``op`` to the outbox with the next sequence number (inside the caller's txn)."""
        with self.store.transaction():
            seq = int(self.get_meta("op_seq", 0)) + 1
            while self._ops_table(seq).contains(doc_id=seq):
                seq += 1  # the counter fell behind the outbox (see _reconcile): never reuse
            self.set_meta("op_seq", seq)
            # The document id is the sequence number: lookups and acks need no scan.
            self._ops_table(seq).insert(Document({**op, "seq": seq, "state": "pending"}, seq))
            return seq

    def last_seq(self) -> int:
        return int(self.get_meta("op_seq", 0))

    def acked_seq(self) -> int:
        return int(self.get_meta("acked_seq", 0))

    def pending_count(self) -> int:
        return self.last_seq() - self.acked_seq()

    def pending_ops(
        self, limit: int = 100, after: int | None = None, copy: bool = True
    ) -> list[dict[str, Any]]:
        """The oldest operations the central service has not acknowledged, in order
        (those numbered above ``after`` if given). ``copy=False``: the stored documents
        themselves, read without a copy, for a caller that only reads them at once."""
        with self.store.lock:
            first = max(self.acked_seq(), after or 0) + 1
            last = min(self.last_seq(), first + limit - 1)
            out: list[dict[str, Any]] = []
            for seq in range(first, last + 1):
                if copy:
                    doc = self._ops_table(seq).get(doc_id=seq)
                else:
                    shard = self.store.shard(f"o/{seq // OPS_PER_SHARD:06d}")
                    doc = shard.data.get("ops", {}).get(str(seq))
                if doc is not None:
                    out.append(doc)
            return out

    def get_op(self, seq: int) -> dict[str, Any] | None:
        with self.store.lock:
            doc: dict[str, Any] | None = self._ops_table(seq).get(doc_id=seq)
            return doc

    def ack_ops(self, results: list[dict[str, Any]]) -> None:
        """Record the service's answers; rejected ones go to the list the clerk must see."""
        with self.store.transaction():
            acked = self.acked_seq()
            fresh = sorted((r for r in results if int(r["seq"]) > acked), key=lambda r: r["seq"])
            by_shard: dict[int, dict[int, dict[str, Any]]] = {}
            for r in fresh:
                by_shard.setdefault(int(r["seq"]) // OPS_PER_SHARD, {})[int(r["seq"])] = r
            for part in by_shard.values():
                table = self._ops_table(next(iter(part)))

                def record(doc: dict[str, Any], part: dict[int, dict[str, Any]] = part) -> None:
                    r = part[doc["seq"]]
                    doc["state"] = r["status"]
                    doc["result"] = r

                # One table update a shard, not one an operation.
                shard = self.store.shard(f"o/{next(iter(part)) // OPS_PER_SHARD:06d}")
                live = shard.data.get("ops", {})
                table.update(record, doc_ids=[seq for seq in part if str(seq) in live])
            for r in fresh:
                if r["status"] != "applied":
                    op = self._ops_table(int(r["seq"])).get(doc_id=int(r["seq"]))
                    self.store.shard("m/rejected").table("ops").insert(
                        {**(op or {}), "state": r["status"], "result": r, "resolved": False}
                    )
            if fresh:
                self.set_meta("acked_seq", int(fresh[-1]["seq"]))

    def ack_through(self, last_seq: int) -> None:
        """The service says it has everything up to ``last_seq`` (its answers were lost)."""
        with self.store.transaction():
            if last_seq > self.acked_seq():
                for seq in range(self.acked_seq() + 1, last_seq + 1):
                    self._ops_table(seq).update({"state": "applied"}, doc_ids=[seq])
                self.set_meta("acked_seq", min(last_seq, self.last_seq()))

    def renumber_pending(self, first: int) -> tuple[list[int], list[tuple[int, int]]]:
        """An operator's repair of an outbox gap (``counter-tui sync repair``): the centre
        has everything up to ``first - 1`` and waits for ``first``; operations this store
        no longer holds cannot be sent, so the ones it holds after that are given
        consecutive numbers from ``first``, in their order. Returns the numbers that were
        missing and the (old, new) number of each moved operation. One transaction."""
        with self.store.transaction():
            last = self.last_seq()
            found = {seq: self.get_op(seq) for seq in range(first, last + 1)}
            held = [op for op in found.values() if op is not None]
            missing = [seq for seq, op in found.items() if op is None]
            moved: list[tuple[int, int]] = []
            for new, op in enumerate(held, start=first):
                old = int(op["seq"])
                if old == new:
                    continue
                # In increasing order a new number is always free: missing, or vacated.
                self._ops_table(old).remove(doc_ids=[old])
                self._ops_table(new).insert(
                    Document({**op, "seq": new, "seq_before_repair": old, "state": "pending"}, new)
                )
                moved.append((old, new))
            self.set_meta("acked_seq", first - 1)
            self.set_meta("op_seq", first - 1 + len(held))
            return missing, moved

    def rejected_ops(self, include_resolved: bool = False) -> list[dict[str, Any]]:
        with self.store.lock:
            self.store.shard("m/rejected")  # loaded (and verified) first
            if any(d.shard == "m/rejected" for d in self.store.damaged) and not self._rejected_ok:
                self._rejected_ok = True
                try:
                    self._restore_rejected()
                except Exception:
                    log.exception("could not refill the list of refused operations yet")
            docs = self.store.shard("m/rejected").table("ops").all()
        return [d for d in docs if include_resolved or not d.get("resolved")]

    def resolve_rejected(self, seq: int, note: str) -> None:
        with self.store.transaction():
            self.store.shard("m/rejected").table("ops").update(
                {"resolved": True, "resolution": note}, Q.seq == seq
            )

    # --- audit log ------------------------------------------------------------------------

    def audit(self, entry: dict[str, Any]) -> int:
        """Append an audit entry chained by hash to the previous one (inside the caller's txn)."""
        with self.store.transaction():
            seq = int(self.get_meta("audit_seq", 0)) + 1
            record = chain(self.get_meta("audit_hash", ""), seq, entry)
            self.store.shard(f"a/{seq // OPS_PER_SHARD:06d}").table("events").insert(record)
            self.set_meta("audit_seq", seq)
            self.set_meta("audit_hash", record["hash"])
            return seq

    def verify_audit(self) -> tuple[int, str | None]:
        """Check the audit chain: (entries checked, None) or the first broken link, described."""
        return verify_chain(self.audit_entries(), self.get_meta("audit_hash"))

    def audit_entries(self) -> list[dict[str, Any]]:
        with self.store.lock:
            out: list[dict[str, Any]] = []
            for name in self.store.shard_names("a/"):
                out.extend(self.store.shard(name).table("events").all())
        return sorted(out, key=lambda e: e["seq"])

    # --- clerk accounts (cached from the centre, or added locally on a standalone PC) --------

    def save_clerks(self, clerks: list[dict[str, Any]]) -> bool:
        """Replace the cached accounts; returns whether anything changed (no write if not)."""
        if self.get_meta("clerks") == clerks:
            return False
        with self.store.transaction():
            self.set_meta("clerks", clerks)
        return True

    def clerks(self) -> list[dict[str, Any]]:
        return list(self.get_meta("clerks") or []) + list(self.get_meta("local_clerks") or [])

    def set_local_clerk(self, account: dict[str, Any]) -> None:
        with self.store.transaction():
            rest = [
                a
                for a in self.get_meta("local_clerks") or []
                if a["username"] != account["username"]
            ]
            self.set_meta("local_clerks", [*rest, account])

    # --- catalog cache --------------------------------------------------------------------

    def save_catalog(self, procedures: list[dict[str, Any]], etag: str) -> None:
        with self.store.transaction():
            table = self.store.shard("m/catalog").table("procedures")
            table.truncate()
            table.insert_multiple(procedures)
            self.set_meta("catalog_etag", etag)

    def cached_catalog(self) -> tuple[list[dict[str, Any]], str | None]:
        with self.store.lock:
            docs = self.store.shard("m/catalog").table("procedures").all()
        # No procedures (a new cache, or a lost catalog file): no version either, so the
        # next sync downloads the catalog instead of being told it has it already.
        return [dict(d) for d in docs], self.get_meta("catalog_etag") if docs else None
