"""TinyDB on partitioned shard files behind one commit log.

Why not stock TinyDB: its JSONStorage rewrites the whole file in place on
every write (seconds at 100k documents, torn files on a crash). Here:

- Each *shard* is a small TinyDB database (one JSON file in TinyDB's own
  layout, readable by stock TinyDB) loaded lazily into memory through an LRU.
  Callers use TinyDB's ``Table`` API on it; :class:`SafeTable` returns copies.
- A *transaction* may touch tables of several shards. At commit, the changed
  documents (full post-images) go into one commit-log line, fsync'd once:
  that line is the single point of acknowledgement. Memory is rolled back if
  the commit fails, so a refused write changes nothing.
- A *checkpoint* writes dirty shards atomically (tmp, fsync, replace) and
  records how far the log is covered in ``manifest.json``; a *full*
  checkpoint also saves the directory index and starts a new log segment.
- On open, the log since the last checkpoint is re-applied (post-images, so
  re-applying is idempotent); a damaged tail is quarantined and reported.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from counter_tui.domain.messages import Msg
from counter_tui.store.cipher import Cipher
from counter_tui.store.commitlog import (
    CommitLog,
    list_segments,
    read_segment,
    segment_start,
)
from counter_tui.store.files import (
    fsync_dir,
    make_dir,
    quarantine,
    write_atomic,
    write_many_atomic,
)
from counter_tui.store.lock import DirLock

FORMAT = 1
MANIFEST = "manifest.json"
log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    def __init__(self, msg: Msg) -> None:
        super().__init__(msg.en)
        self.msg = msg


@dataclass
class Notice:
    """Something the app must tell its user about the cache (damage found, rebuilt index)."""

    code: str
    msg: Msg
    needs_resync: bool = False


def _copy(doc: Any) -> Any:
    return orjson.loads(orjson.dumps(doc))


def _copy_in(document: Any) -> Any:
    if isinstance(document, Document):
        return CopiedDocument(document, document.doc_id)
    return _copy(dict(document))


class CopiedDocument(Document):
    """A TinyDB Document holding its own deep copy: mutating it never changes the store."""

    def __init__(self, value: Any, doc_id: int) -> None:
        super().__init__(_copy(value), doc_id)


class SafeTable(Table):
    """TinyDB's Table, returning copies and reporting every write to its shard.

    The query cache is off: it would hand out the same objects twice and goes
    stale across instances (TinyDB #179, #331).
    """

    document_class = CopiedDocument
    default_query_cache_capacity = 0

    # Writes copy their arguments too: TinyDB keeps a shallow copy, so nested lists
    # would stay shared with the caller's objects.
    def insert(self, document: Any) -> int:
        return super().insert(_copy_in(document))

    def insert_multiple(self, documents: Any) -> list[int]:
        return super().insert_multiple([_copy_in(d) for d in documents])

    def update(self, fields: Any, cond: Any = None, doc_ids: Any = None) -> list[int]:
        return super().update(fields if callable(fields) else _copy(fields), cond, doc_ids)

    def upsert(self, document: Any, cond: Any = None) -> list[int]:
        return super().upsert(_copy_in(document), cond)

    def replace(self, document: Any, cond: Any) -> int:
        """Replace the first document matching ``cond`` whole (insert if none)."""
        new = _copy(dict(document))
        found = super().get(cond)
        if found is None:
            return super().insert(new)

        def swap(doc: dict[str, Any]) -> None:
            doc.clear()
            doc.update(new)

        super().update(swap, doc_ids=[found.doc_id])
        return found.doc_id

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        # TinyDB's own logic, with a dict that notes which documents the updater
        # touches (and their state before), so a commit serializes only those.
        storage: ShardStorage = self._storage  # type: ignore[assignment]
        pre = storage.shard.before_write(self.name)
        tables = storage.read()
        raw = tables.get(self.name, {})
        table = _Recording({self.document_id_class(k): v for k, v in raw.items()}, pre)
        updater(table)
        tables[self.name] = {str(k): v for k, v in dict.items(table)}
        storage.write(tables)
        self.clear_cache()


class _Recording(dict):
    """A dict that records the serialized state of each entry before its first change."""

    def __init__(self, data: dict[int, Any], pre: dict[str, bytes | None]) -> None:
        super().__init__(data)
        self._pre = pre

    def _note(self, key: Any) -> None:
        k = str(key)
        if k not in self._pre:
            v = dict.get(self, key)
            self._pre[k] = orjson.dumps(v) if v is not None else None

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return dict.__getitem__(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._note(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        self._note(key)
        dict.__delitem__(self, key)

    def pop(self, key: Any, *default: Any) -> Any:
        self._note(key)
        return dict.pop(self, key, *default)

    def clear(self) -> None:
        for k in list(dict.keys(self)):
            self._note(k)
        dict.clear(self)


class ShardStorage(Storage):
    """The in-memory state of one shard; durability is the store's commit, not ``write``."""

    def __init__(self, shard: Shard) -> None:
        self.shard = shard

    def read(self) -> dict[str, dict[str, Any]]:
        return self.shard.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.shard.data = data

    def close(self) -> None:
        pass


class _TinyDB(TinyDB):
    table_class = SafeTable


class Shard:
    """One partition: a TinyDB over one JSON file, held in memory while cached."""

    def __init__(self, store: Store, name: str, data: dict[str, dict[str, Any]]) -> None:
        self.store = store
        self.name = name
        self.data = data
        self.dirty = False  # changed since the last checkpoint
        self.in_txn = False  # touched by the open transaction: must not be evicted
        # Being written by a checkpoint: until the file is replaced, the file is older than
        # memory, so evicting (and later reloading) would go back in time.
        self.flushing = False
        self.db = _TinyDB(storage=ShardStorage, shard=self)

    def table(self, name: str) -> SafeTable:
        return self.db.table(name)  # type: ignore[return-value]

    def before_write(self, table: str) -> dict[str, bytes | None]:
        """Join the open transaction; returns where to note documents' prior states."""
        txn = self.store._current_txn()
        self.in_txn = True
        return txn.pre.setdefault((self.name, table), {})

    def diff(
        self, table: str, pre: dict[str, bytes | None]
    ) -> list[tuple[str, bytes | None, bytes | None]]:
        """(doc id, before, after) for each touched document that really changed."""
        live = self.data.get(table, {})
        out = []
        for k, before in pre.items():
            cur = live.get(k)
            after = orjson.dumps(cur) if cur is not None else None
            if after != before:
                out.append((k, before, after))
        return out

    def rollback(self, table: str, pre: dict[str, bytes | None]) -> None:
        live = self.data.setdefault(table, {})
        for k, before in pre.items():
            if before is None:
                live.pop(k, None)
            else:
                live[k] = orjson.loads(before)
        if not live:
            self.data.pop(table, None)
        t = self.db._tables.get(table)
        if t is not None:
            t._next_id = None

    def release(self) -> None:
        """Break the shard <-> TinyDB reference cycle so an evicted shard is freed at once."""
        self.db._storage = None  # type: ignore[assignment]
        self.db._tables.clear()
        self.data = {}

    def apply_record(self, table: str, doc_id: str, doc: Any) -> None:
        """Re-apply one logged post-image (recovery)."""
        t = self.data.setdefault(table, {})
        if doc is None:
            t.pop(doc_id, None)
        else:
            t[doc_id] = doc
        if not t:
            self.data.pop(table, None)
        tbl = self.db._tables.get(table)
        if tbl is not None:
            tbl._next_id = None
        self.dirty = True


@dataclass
class Txn:
    # (shard, table) -> doc id -> serialized state before the transaction (None: absent)
    pre: dict[tuple[str, str], dict[str, bytes | None]] = field(default_factory=dict)
    hooks: list[Callable[[list[tuple[str, str, str, bytes | None]]], None]] = field(
        default_factory=list
    )


ChangeListener = Callable[[str, str, str, Any, Any], None]


class Store:
    """A directory of TinyDB shards, one commit log, one lock, and recovery on open."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        cache_shards: int = 256,
        flush_dirty: int = 64,
        full_checkpoint_bytes: int = 16 * 1024 * 1024,
        cipher: Cipher | None = None,
    ) -> None:
        self.path = Path(path)
        self.cipher = cipher
        self.cache_shards = cache_shards
        self.flush_dirty = flush_dirty
        self.full_checkpoint_bytes = full_checkpoint_bytes
        self.notices: list[Notice] = []
        self.lock = threading.RLock()
        self._local = threading.local()
        self._shards: OrderedDict[str, Shard] = OrderedDict()
        self._pending: dict[str, list[tuple[str, str, Any]]] = {}
        self._listeners: list[ChangeListener] = []
        self._txn_counter = 0
        self._flushed_txn = 0  # shards on disk cover the log up to here
        self._full_txn = 0  # the current log segment starts after this
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

    # --- opening and recovery -------------------------------------------------------------

    def _read_manifest(self) -> dict[str, Any]:
        p = self.path / MANIFEST
        if not p.exists():
            return {"format": FORMAT, "flushed_txn": 0, "full_txn": 0, "shards": {}}
        try:
            m = orjson.loads(p.read_bytes())
            if not isinstance(m, dict) or "flushed_txn" not in m:
                raise ValueError("not a manifest")
        except (ValueError, orjson.JSONDecodeError):
            side = quarantine(p)
            self.notices.append(
                Notice(
                    "manifest.damaged",
                    Msg(
                        f"Tệp {MANIFEST} bị hỏng (đã chuyển sang {side.name}); "
                        "bộ đệm được dựng lại từ các tệp dữ liệu và nhật ký.",
                        f"{MANIFEST} was damaged (moved to {side.name}); "
                        "the cache was rebuilt from the data files and the log.",
                    ),
                )
            )
            return {"format": FORMAT, "flushed_txn": 0, "full_txn": 0, "shards": {}}
        if m.get("format") != FORMAT:
            m = migrate(m, self.path)
        return m

    def _check_cipher(self, manifest: dict[str, Any], existed: bool) -> None:
        """A wrong or missing key is said as such, before anything is read as damage."""
        sealed_with = manifest.get("cipher")
        if sealed_with and self.cipher is None:
            raise StoreError(
                Msg(
                    f"Bộ đệm ở {self.path} được mã hóa nhưng chưa có khóa: bật encrypt_cache "
                    "trong cấu hình và chạy trên đúng tài khoản Windows/máy đã tạo nó.",
                    f"The cache at {self.path} is encrypted and no key was given: set "
                    "encrypt_cache and run as the user who created it.",
                )
            )
        if sealed_with and self.cipher is not None and sealed_with != self.cipher.key_id:
            raise StoreError(
                Msg(
                    f"Khóa trong kho khóa không mở được bộ đệm ở {self.path} (khóa khác). "
                    "Không có gì bị xóa.",
                    f"The keyring's key does not open the cache at {self.path} (another key). "
                    "Nothing was deleted.",
                )
            )
        if not sealed_with and self.cipher is not None and existed:
            raise StoreError(
                Msg(
                    f"Bộ đệm ở {self.path} chưa mã hóa. Để bật mã hóa: đồng bộ hết (Chờ gửi: 0), "
                    "chuyển thư mục này đi chỗ khác, rồi mở lại để tải về từ trung tâm.",
                    f"The cache at {self.path} is not encrypted. To turn encryption on: sync "
                    "until nothing is pending, move this folder away, and start again.",
                )
            )

    def _recover(self) -> None:
        existed = (self.path / MANIFEST).exists() or bool(list_segments(self.path))
        manifest = self._read_manifest()
        self._check_cipher(manifest, existed)
        if self.cipher is not None and not manifest.get("cipher"):
            self._write_manifest_raw({**manifest, "cipher": self.cipher.key_id})
        self._flushed_txn = int(manifest["flushed_txn"])
        self._full_txn = int(manifest["full_txn"])
        self._manifest_shards: dict[str, int] = dict(manifest.get("shards", {}))
        self._check_shard_sizes()
        last = self._flushed_txn
        self._replay_records: list[dict[str, Any]] = []
        for seg in list_segments(self.path):
            if segment_start(seg) <= self._full_txn and seg != self._last_segment():
                # Covered by a full checkpoint whose cleanup did not finish.
                continue
            records, damage = read_segment(seg, self.cipher)
            if damage:
                self.notices.append(
                    Notice(
                        "log.damaged_tail",
                        Msg(
                            f"Phần cuối nhật ký {seg.name} bị hỏng ({damage.bytes_moved} byte, "
                            f"thường do mất điện khi đang ghi); đã chuyển sang "
                            f"{damage.side_file.name}. Mọi thao tác đã báo thành công vẫn còn.",
                            f"The tail of {seg.name} was damaged ({damage.bytes_moved} bytes, "
                            f"usually a power cut mid-write); moved to {damage.side_file.name}. "
                            "Every acknowledged operation is intact.",
                        ),
                    )
                )
            for rec in records:
                t = int(rec["t"])
                last = max(last, t)
                if t > self._full_txn:
                    self._replay_records.append(rec)
                if t > self._flushed_txn:
                    for shard, table, doc_id, doc in rec["w"]:
                        self._pending.setdefault(shard, []).append((table, doc_id, doc))
        self._txn_counter = last
        segs = list_segments(self.path)
        if segs and segment_start(segs[-1]) > self._full_txn:
            self._log.path = segs[-1]
            self._log.open_segment(segment_start(segs[-1]))
        else:
            self._log.open_segment(self._full_txn + 1)

    def _last_segment(self) -> Path | None:
        segs = list_segments(self.path)
        return segs[-1] if segs else None

    def _check_shard_sizes(self) -> None:
        """Catch truncated or replaced shard files on open, by their size in the manifest."""
        shard_dir = self.path / "shards"
        for entry in os.scandir(shard_dir):
            if not entry.name.endswith(".json"):
                continue
            name = _file_to_shard(entry.name)
            expected = self._manifest_shards.get(name)
            if expected is not None and expected != entry.stat().st_size:
                # A checkpoint may have written it after the manifest; parse to be sure.
                self._load_file(name, verify_only=True)

    def shard_file(self, name: str) -> Path:
        return self.path / "shards" / _shard_to_file(name)

    def _load_file(self, name: str, verify_only: bool = False) -> dict[str, dict[str, Any]]:
        p = self.shard_file(name)
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            if self.cipher is not None and raw:
                raw = self.cipher.open(raw)
            data = orjson.loads(raw) if raw else {}
            if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
                raise ValueError("not a TinyDB document")
            return data
        except (ValueError, orjson.JSONDecodeError):  # CipherError is a ValueError too
            side = quarantine(p)
            self._manifest_shards.pop(name, None)
            self.notices.append(
                Notice(
                    "shard.damaged",
                    Msg(
                        f"Tệp dữ liệu {p.name} bị hỏng và đã được chuyển sang {side.name}. "
                        "Một số hồ sơ có thể thiếu trong bộ đệm; cần đồng bộ lại toàn bộ với "
                        "hệ thống trung tâm.",
                        f"Data file {p.name} was damaged and moved to {side.name}. Some dossiers "
                        "may be missing from the cache; a full resync with the centre is needed.",
                    ),
                    needs_resync=True,
                )
            )
            return {}

    # --- shards ---------------------------------------------------------------------------

    def shard(self, name: str) -> Shard:
        """The shard ``name`` (e.g. ``d/0123``), loaded if needed."""
        with self.lock:
            sh = self._shards.get(name)
            if sh is not None:
                self._shards.move_to_end(name)
                return sh
            data = self._load_file(name)
            sh = Shard(self, name, data)
            for table, doc_id, doc in self._pending.pop(name, []):
                sh.apply_record(table, doc_id, doc)
            # Evict first, then add: the shard being handed out must stay cached. Never
            # evict inside a transaction: the caller may still write through a table it holds.
            if getattr(self._local, "txn", None) is None:
                self._evict(room_for=1)
            self._shards[name] = sh
            # Loaded documents live long: keep them out of the cyclic GC's full passes,
            # which would otherwise pause lookups for hundreds of ms on a large cache.
            # (Plain JSON trees are freed by reference counting; release() breaks the
            # one cycle a shard has when it is evicted.)
            gc.freeze()
            return sh

    def shard_exists(self, name: str) -> bool:
        return name in self._shards or name in self._pending or self.shard_file(name).exists()

    def shard_names(self, prefix: str) -> list[str]:
        with self.lock:
            names = {n for n in self._shards if n.startswith(prefix)}
            names |= {n for n in self._pending if n.startswith(prefix)}
        folder = self.path / "shards"
        for entry in os.scandir(folder):
            if entry.name.endswith(".json"):
                n = _file_to_shard(entry.name)
                if n.startswith(prefix):
                    names.add(n)
        return sorted(names)

    def read_shard_uncached(self, name: str) -> dict[str, dict[str, Any]]:
        """A shard's documents without adding it to the cache (for full scans)."""
        with self.lock:
            sh = self._shards.get(name)
            if sh is not None:
                return sh.data
            data = self._load_file(name)
            for table, doc_id, doc in self._pending.get(name, []):
                t = data.setdefault(table, {})
                if doc is None:
                    t.pop(doc_id, None)
                else:
                    t[doc_id] = doc
            return data

    def _evict(self, room_for: int = 0) -> None:
        limit = self.cache_shards - room_for
        if len(self._shards) <= limit:
            return
        for name in list(self._shards):
            if len(self._shards) <= limit:
                break
            sh = self._shards[name]
            if not sh.dirty and not sh.in_txn and not sh.flushing:
                del self._shards[name]
                sh.release()

    # --- transactions ---------------------------------------------------------------------

    def on_change(self, listener: ChangeListener) -> None:
        """Call ``listener(shard, table, doc_id, before, after)`` for every committed change.

        ``after`` is the live document (read it, never change it); ``before`` is
        given only when the document was removed.
        """
        self._listeners.append(listener)

    def _current_txn(self) -> Txn:
        txn = getattr(self._local, "txn", None)
        if txn is None:
            raise StoreError(
                Msg(
                    "Ghi dữ liệu ngoài giao dịch.",
                    "Write outside a transaction: use `with store.transaction():`.",
                )
            )
        return txn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Txn]:
        """All writes inside commit together, durably, or not at all.

        Nested use joins the outer transaction.
        """
        if getattr(self._local, "txn", None) is not None:
            yield self._local.txn
            return
        with self.lock:
            if self._closed:
                raise StoreError(Msg("Bộ đệm đã đóng.", "The store is closed."))
            txn = Txn()
            self._local.txn = txn
            try:
                yield txn
                self._commit(txn)
            except BaseException:
                self._rollback(txn)
                raise
            finally:
                self._local.txn = None
                for shard_name, _ in txn.pre:
                    sh = self._shards.get(shard_name)
                    if sh is not None:
                        sh.in_txn = False
            # The commit is durable from here on: nothing below may turn it into a failure.
            self._after_commit(self._evict)
        self._after_commit(self.maybe_checkpoint)

    def _after_commit(self, step: Callable[[], None]) -> None:
        """Run housekeeping that follows a durable commit; log, never raise, what fails."""
        try:
            step()
        except Exception:
            log.exception("after a durable commit, %s failed (the commit stands)", step.__name__)

    def _rollback(self, txn: Txn) -> None:
        for (shard_name, table), pre in txn.pre.items():
            sh = self._shards.get(shard_name)
            if sh is not None:
                sh.rollback(table, pre)

    def _commit(self, txn: Txn) -> None:
        changes: list[tuple[Shard, str, list[tuple[str, bytes | None, bytes | None]]]] = []
        parts: list[bytes] = []
        for (shard_name, table), pre in sorted(txn.pre.items()):
            sh = self._shards[shard_name]
            diff = sh.diff(table, pre)
            if not diff:
                continue
            changes.append((sh, table, diff))
            head = b"[" + orjson.dumps(shard_name) + b"," + orjson.dumps(table) + b","
            for doc_id, _before, after in diff:
                parts.append(
                    head
                    + orjson.dumps(doc_id)
                    + b","
                    + (after if after is not None else b"null")
                    + b"]"
                )
        if not parts:
            return
        t = self._txn_counter + 1
        payload = b'{"t":%d,"w":[' % t + b",".join(parts) + b"]}"
        try:
            self._log.append(payload)
        except OSError as exc:
            raise StoreError(
                Msg(
                    f"Không ghi được xuống đĩa ({exc.strerror}); thao tác chưa được lưu.",
                    f"Could not write to disk ({exc.strerror}); nothing was saved.",
                )
            ) from exc
        self._txn_counter = t
        for sh, _table, _diff in changes:
            sh.dirty = True
        # Durable now: a failure below must neither roll memory back nor reach the caller.
        try:
            self._notify(changes)
        except Exception:
            log.exception("change listeners failed after a durable commit (the commit stands)")

    def _notify(
        self, changes: list[tuple[Shard, str, list[tuple[str, bytes | None, bytes | None]]]]
    ) -> None:
        for sh, table, diff in changes:
            if not self._listeners:
                continue
            live = sh.data.get(table, {})
            for doc_id, before, after in diff:
                # Listeners read the live document (no copy: they must not change it);
                # the prior state is parsed only for a removal, the one case needing it.
                after_doc = live.get(doc_id) if after is not None else None
                before_doc = orjson.loads(before) if after is None and before is not None else None
                for listener in self._listeners:
                    # The commit is durable already: a failing index update must not undo it.
                    try:
                        listener(sh.name, table, doc_id, before_doc, after_doc)
                    except Exception as exc:
                        self.notices.append(
                            Notice("index.failed", Msg(f"Lỗi chỉ mục: {exc}", f"Index: {exc}"))
                        )

    def replay_records(self) -> list[dict[str, Any]]:
        """Records of the log since the last full checkpoint (for rebuilding indexes)."""
        return self._replay_records

    @property
    def last_txn(self) -> int:
        return self._txn_counter

    @property
    def full_txn(self) -> int:
        return self._full_txn

    # --- checkpoints ----------------------------------------------------------------------

    def dirty_count(self) -> int:
        # Under the lock: another thread (sync, a lookup) may load or evict shards meanwhile.
        with self.lock:
            return sum(1 for s in self._shards.values() if s.dirty)

    def maybe_checkpoint(self) -> None:
        """Wake the background checkpointer when enough has changed (never blocks a write)."""
        if self._log.bytes_written >= self.full_checkpoint_bytes or (
            self.dirty_count() >= self.flush_dirty
        ):
            self._wake.set()

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
                    self.notices.append(
                        Notice(
                            "checkpoint.failed",
                            Msg(
                                f"Không ghi được điểm lưu ({exc}); dữ liệu vẫn an toàn trong "
                                "nhật ký.",
                                f"Checkpoint failed ({exc}); data is still safe in the log.",
                            ),
                        )
                    )

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
                    blob = orjson.dumps(sh.data)
                    if self.cipher is not None:
                        blob = self.cipher.seal(blob)
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
                self._write_manifest()
                if full:
                    for seg in list_segments(self.path):
                        if seg != self._log.path:
                            seg.unlink()
                    fsync_dir(self.path)
                self._evict()

    def _write_manifest(self) -> None:
        m = {
            "format": FORMAT,
            "flushed_txn": self._flushed_txn,
            "full_txn": self._full_txn,
            "shards": self._manifest_shards,
        }
        if self.cipher is not None:
            m["cipher"] = self.cipher.key_id
        self._write_manifest_raw(m)

    def _write_manifest_raw(self, m: dict[str, Any]) -> None:
        write_atomic(self.path / MANIFEST, orjson.dumps(m))
        fsync_dir(self.path)

    def close(self) -> None:
        self.stop_background()
        with self.lock:
            if self._closed:
                return
            try:
                self.checkpoint(full=True)
            finally:
                self._closed = True
                self._log.close()
                for sh in self._shards.values():
                    sh.release()
                self._shards.clear()
                self._dirlock.release()

    def abandon(self) -> None:
        """Close without a checkpoint, as a crash would (tests use this)."""
        self.stop_background()
        with self.lock:
            self._closed = True
            self._log.close()
            self._shards.clear()
            self._dirlock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shard_to_file(name: str) -> str:
    return name.replace("/", "-") + ".json"


def _file_to_shard(filename: str) -> str:
    return filename[: -len(".json")].replace("-", "/", 1)


def crc_shard(key: str, count: int) -> int:
    return zlib.crc32(key.encode("utf-8")) % count


# --- on-disk format migrations -------------------------------------------------------------

MIGRATIONS: dict[int, Callable[[dict[str, Any], Path], dict[str, Any]]] = {}


def migrate(manifest: dict[str, Any], path: Path) -> dict[str, Any]:
    """Bring an older on-disk format up to :data:`FORMAT`, one step at a time."""
    version = int(manifest.get("format", 0))
    if version > FORMAT:
        raise StoreError(
            Msg(
                f"Bộ đệm ở {path} do phiên bản mới hơn tạo (định dạng {version}); "
                "hãy cập nhật counter-tui.",
                f"The cache at {path} was written by a newer version (format {version}); "
                "update counter-tui.",
            )
        )
    while version < FORMAT:
        step = MIGRATIONS.get(version)
        if step is None:
            raise StoreError(
                Msg(f"Không nâng cấp được định dạng {version}.", f"No migration from {version}.")
            )
        manifest = step(manifest, path)
        version = int(manifest["format"])
    return manifest


def freeze_gc() -> None:
    """Move what is loaded so far out of the GC's way (long-lived index objects)."""
    gc.freeze()
