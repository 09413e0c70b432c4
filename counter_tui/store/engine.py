"""The store: TinyDB shards in memory, one commit log, checkpoints, recovery on open.

Why not stock TinyDB: its JSONStorage rewrites the whole file in place on
every write (seconds at 100k documents, torn files on a crash). Here:

- Each *shard* is a small TinyDB database (:mod:`.tinydb_adapter`) loaded
  lazily into memory through an LRU; its file is checksummed
  (:mod:`.shard_files`).
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

import contextlib
import gc
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from counter_tui.domain.messages import Msg
from counter_tui.store.cipher import Cipher
from counter_tui.store.commitlog import CommitLog, list_segments, segment_start
from counter_tui.store.errors import Notice, StoreError
from counter_tui.store.files import (
    DamagedFile,
    fsync_dir,
    make_dir,
    quarantine,
    write_many_atomic,
)
from counter_tui.store.lock import DirLock
from counter_tui.store.manifest import (
    FORMAT,
    MANIFEST,
    MIGRATIONS,
    empty_manifest,
    migrate,
    parse_manifest,
    write_manifest,
)
from counter_tui.store.recovery import PendingRecord, read_log, records_for
from counter_tui.store.shard_files import (
    Tables,
    crc_shard,
    decode_shard,
    encode_shard,
    file_to_shard,
    salvage,
    shard_to_file,
)
from counter_tui.store.tinydb_adapter import SafeTable, Shard, Txn

__all__ = [
    "FORMAT",
    "MIGRATIONS",
    "Notice",
    "SafeTable",
    "Shard",
    "ShardDamage",
    "Store",
    "StoreError",
    "Txn",
    "crc_shard",
    "migrate",
]

log = logging.getLogger(__name__)

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
        pin_prefix: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.cipher = cipher
        self.cache_shards = cache_shards
        self.flush_dirty = flush_dirty
        self.full_checkpoint_bytes = full_checkpoint_bytes
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
        self._pending: dict[str, list[PendingRecord]] = {}
        self._pins: dict[str, int] = {}
        self._listeners: list[ChangeListener] = []
        self._txn_counter = 0
        self._flushed_txn = 0  # shards on disk cover the log up to here
        self._full_txn = 0  # the current log segment starts after this
        self._replay_records: list[dict[str, Any]] = []
        self._manifest_shards: dict[str, int] = {}
        self._preload_checked: set[str] = set()  # shard files to verify at open
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

    def _read_manifest(self) -> tuple[dict[str, Any], bool]:
        """The manifest, and whether it was read whole (False: missing or damaged)."""
        p = self.path / MANIFEST
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            if self._has_content():
                self.notices.append(
                    Notice(
                        "manifest.missing",
                        Msg(
                            f"Thiếu tệp {MANIFEST}; bộ đệm được dựng lại từ các tệp dữ liệu và "
                            "nhật ký (mỗi tệp tự ghi nó đến đâu), không mất gì.",
                            f"{MANIFEST} was missing; the cache was rebuilt from the data files "
                            "and the log (each file records how far it goes), nothing is lost.",
                        ),
                    )
                )
            return empty_manifest(), False
        try:
            return parse_manifest(raw), True
        except DamagedFile:
            side = quarantine(p)
            self.notices.append(
                Notice(
                    "manifest.damaged",
                    Msg(
                        f"Tệp {MANIFEST} bị hỏng (đã chuyển sang {side.name}); bộ đệm được dựng "
                        "lại từ các tệp dữ liệu và nhật ký, không mất gì.",
                        f"{MANIFEST} was damaged (moved to {side.name}); the cache was rebuilt "
                        "from the data files and the log, nothing is lost.",
                    ),
                )
            )
            return empty_manifest(), False

    def _has_content(self) -> bool:
        return any(s.stat().st_size for s in list_segments(self.path)) or any(
            (self.path / "shards").glob("*.json")
        )

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
        existed = (self.path / MANIFEST).exists() or self._has_content()
        manifest, whole = self._read_manifest()
        if whole:
            self._check_cipher(manifest, existed)
            if manifest.get("format") != FORMAT:
                manifest = migrate(manifest, self.path, self.cipher)
        self._flushed_txn = int(manifest["flushed_txn"])
        self._full_txn = int(manifest["full_txn"])
        self._manifest_shards = {k: int(v) for k, v in dict(manifest.get("shards", {})).items()}
        self._check_shard_files()
        state = read_log(
            self.path,
            self.cipher,
            flushed_txn=self._flushed_txn,
            full_txn=self._full_txn,
            pin_prefix=self.pin_prefix,
            expected_segments=list(manifest.get("segments", [])),
        )
        self.notices.extend(state.notices)
        self._pending = state.pending
        self._pins = state.pins
        self._replay_records = state.replay
        self._txn_counter = state.last_txn
        segs = list_segments(self.path)
        if segs and segment_start(segs[-1]) > self._full_txn:
            self._log.open_segment(segment_start(segs[-1]))
            damage = state.last_damage
            if damage is not None and damage.side_file is None:
                # The disk was too full to move the damaged tail aside: do it (and cut the
                # file back) before the next append; opening needed no free space.
                self._log.defer_cut(damage.good_size)
        else:
            self._log.open_segment(self._full_txn + 1)
        for name in sorted(self._preload_checked):
            self.shard(name)  # verify (and rebuild if need be) what the manifest disagrees with
        if not existed:
            self._write_manifest()  # a new store: from now on a missing manifest is news
        elif self.cipher is not None and not manifest.get("cipher"):
            try:
                self._write_manifest()
            except OSError:
                log.exception("could not record the key's fingerprint yet (disk full?)")

    def _check_shard_files(self) -> None:
        """Catch changed, truncated or missing shard files on open (by size in the manifest);
        others are verified by their checksum when first loaded."""
        shard_dir = self.path / "shards"
        present: set[str] = set()
        for entry in os.scandir(shard_dir):
            if not entry.name.endswith(".json"):
                continue
            name = file_to_shard(entry.name)
            present.add(name)
            expected = self._manifest_shards.get(name)
            if expected is not None and expected != entry.stat().st_size:
                self._preload_checked.add(name)
        for name in self._manifest_shards:
            if name not in present:
                self._preload_checked.add(name)

    def shard_file(self, name: str) -> Path:
        return self.path / "shards" / shard_to_file(name)

    def _load_data(self, name: str) -> tuple[Tables, bool]:
        """The shard's documents as of the last commit, and whether that is newer than
        its file (log records applied, or rebuilt after damage).

        The file's checksum is verified; the log's records newer than the file are
        applied. A damaged or missing (but expected) file is moved aside and rebuilt
        from every logged post-image of it, over what still parses of the file.
        """
        p = self.shard_file(name)
        problem: str | None = None
        raw = b""
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            if name not in self._manifest_shards:
                return self._apply_pending(name, {}, 0)
            problem = "missing"
        if problem is None:
            try:
                data, covers = decode_shard(raw, self.cipher)
                return self._apply_pending(name, data, covers)
            except DamagedFile as exc:
                problem = str(exc)
        return self._rebuild(name, problem, raw), True

    def _apply_pending(self, name: str, data: Tables, covers: int) -> tuple[Tables, bool]:
        """Apply the log's records newer than the file; True if any was (the copy in
        memory is then newer than the file and must not be evicted before a checkpoint)."""
        applied = False
        for t, table, doc_id, doc in self._pending.pop(name, []):
            if t > covers:
                _put(data, table, doc_id, doc)
                applied = True
        return data, applied

    def _rebuild(self, name: str, problem: str, raw: bytes) -> Tables:
        p = self.shard_file(name)
        side = quarantine(p) if problem != "missing" else None
        data = salvage(raw, self.cipher) if raw else {}
        salvaged = {(table, k) for table, docs in data.items() for k in docs}
        restored: set[tuple[str, str]] = set()
        for _t, table, doc_id, doc in records_for(self.path, self.cipher, name):
            _put(data, table, doc_id, doc)
            restored.add((table, doc_id))
        unverified = len(salvaged - restored)  # kept only from the damaged file
        self._pending.pop(name, None)  # the log's records are all applied already
        self._manifest_shards.pop(name, None)
        damage = ShardDamage(
            name, problem, side.name if side else None, len(restored), unverified, data
        )
        damage.notice = _shard_notice(p.name, damage)
        self.damaged.append(damage)
        self.notices.append(damage.notice)
        for listener in self.damage_listeners:
            try:
                listener(damage)
            except Exception:
                log.exception("a damage listener failed for %s", name)
        return data

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
            return sh

    def shard_exists(self, name: str) -> bool:
        with self.lock:
            return name in self._shards or name in self._pending or self.shard_file(name).exists()

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
        txn: Txn | None = getattr(self._local, "txn", None)
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
        if self.pin_prefix is not None and self._log.path is not None:
            pin = max(
                (
                    int(doc_id)
                    for sh, _table, diff in changes
                    if sh.name.startswith(self.pin_prefix)
                    for doc_id, _b, _a in diff
                    if doc_id.isdigit()
                ),
                default=0,
            )
            if pin:
                seg = self._log.path.name
                self._pins[seg] = max(self._pins.get(seg, 0), pin)
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
                    self.notices.append(_checkpoint_failed(exc))

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
                floor = self.pin_floor() if self.pin_floor is not None else None
                for seg in list_segments(self.path):
                    if seg == self._log.path:
                        continue
                    pin = self._pins.get(seg.name, 0)
                    if floor is not None and pin > floor:
                        continue  # holds operations the centre has not acknowledged yet
                    seg.unlink()
                    self._pins.pop(seg.name, None)
            self._write_manifest()
            if full:
                fsync_dir(self.path)
            self._evict()

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

    def retained_segments(self) -> list[str]:
        """Log segments on disk (the open one, and older ones kept for unsent operations)."""
        return [s.name for s in list_segments(self.path)]

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
                self._dirlock.release()

    def abandon(self) -> None:
        """Close without a checkpoint, as a crash would (tests use this)."""
        self.stop_background()
        with self._ckpt_lock, self.lock:
            self._closed = True
            self._log.close()
            self._shards.clear()
            self._dirlock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _put(data: Tables, table: str, doc_id: str, doc: Any) -> None:
    t = data.setdefault(table, {})
    if doc is None:
        t.pop(doc_id, None)
    else:
        t[doc_id] = doc
    if not t:
        data.pop(table, None)


def _shard_notice(filename: str, d: ShardDamage) -> Notice:
    what_vi = (
        "bị thiếu" if d.side_file is None else f"bị hỏng ({d.reason}), đã chuyển sang {d.side_file}"
    )
    what_en = (
        "was missing"
        if d.side_file is None
        else f"was damaged ({d.reason}); moved to {d.side_file}"
    )
    extra_vi = (
        f"; {d.unverified} bản ghi lấy từ chính tệp hỏng, chưa kiểm chứng" if d.unverified else ""
    )
    extra_en = (
        f"; {d.unverified} records taken from the damaged file itself, unverified"
        if d.unverified
        else ""
    )
    return Notice(
        "shard.damaged",
        Msg(
            f"Tệp dữ liệu {filename} {what_vi}. Đã khôi phục từ nhật ký: {d.from_log} bản ghi"
            f"{extra_vi}.",
            f"Data file {filename} {what_en}. Restored from the log: {d.from_log} "
            f"records{extra_en}.",
        ),
        needs_resync=d.shard.startswith("d/"),
    )


def _checkpoint_failed(exc: Exception) -> Notice:
    return Notice(
        "checkpoint.failed",
        Msg(
            f"Không ghi được điểm lưu ({exc}); dữ liệu vẫn an toàn trong nhật ký.",
            f"Checkpoint failed ({exc}); data is still safe in the log.",
        ),
    )


def freeze_gc() -> None:
    """Move what is loaded so far out of the GC's way (long-lived index objects).

    Called once after open, never per shard load: a freeze per load kept every
    evicted shard's objects in the permanent generation (see docs/store.md).
    """
    gc.freeze()
