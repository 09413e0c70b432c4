"""Opening a store: the manifest, the key, the log since the last checkpoint, damaged files.

A shard file is verified (checksum, key) when first loaded; the log's records
newer than the file are applied. A damaged or missing file is moved aside and
rebuilt from every logged post-image of it (log segments holding unsent
operations are kept for this), over what still parses of it; the notice says
how many records came from where.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from counter_tui.domain.messages import Msg
from counter_tui.store.engine.commitlog import list_segments, segment_start
from counter_tui.store.engine.disk import (
    DamagedFile,
    quarantine,
)
from counter_tui.store.engine.errors import Notice, StoreError
from counter_tui.store.engine.manifest import (
    FORMAT,
    MANIFEST,
    empty_manifest,
    migrate,
    parse_manifest,
)
from counter_tui.store.engine.recovery import read_log, records_for
from counter_tui.store.engine.shard_format import (
    Tables,
    decode_shard,
    file_to_shard,
    salvage,
    shard_to_file,
)
from counter_tui.store.engine.state import ShardDamage, StoreState, _put, log


class Opening(StoreState):
    """Reading what is on disk into a consistent state, and saying what was wrong."""

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
        self._files_at_open = present
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
        if name not in self._manifest_shards and name not in self._files_at_open:
            # Never written: a shard file is on disk only if it was at open or a checkpoint
            # wrote it since (which names it in the manifest). Saves trying 4,096 missing
            # files on the first pull into an empty cache.
            return self._apply_pending(name, {}, 0)
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
