"""Scanned files in the cache (issue 14): content-addressed blobs, durable before the commit.

A file is stored once under ``files/<sha[:2]>/<sha>``, named by the SHA-256 of
its plaintext. The order that makes a crash harmless:

1. :meth:`FileRoom.put` writes the blob to a temporary file, fsyncs it, renames
   it into place and fsyncs the folder: the bytes are on the device;
2. :meth:`FileRoom.register`, inside the use case's transaction, records the
   file in ``m/files``; the dossier change that references it commits in the
   same fsync'd log line.

A crash before 2 leaves a blob no record names (an orphan) or a temporary
file: both are removed at the next open. A crash after 2 leaves both. So no
dossier ever points at a missing file and no orphan outlives a restart.

Reads check the SHA-256 (a changed byte is found, never handed on). When the
cache is encrypted each 1 MiB segment is sealed on its own with the cache's
AES-GCM key, so the uploader's chunks are read without opening the whole file.

A file stays ``pending`` until the centre acknowledges it (``acked``); an
acknowledged file may then be evicted when the disk budget is short.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinydb import Query

from counter_tui.domain.files import SHA_RE, size_text
from counter_tui.domain.messages import Msg
from counter_tui.store.engine.cipher import MAGIC, NONCE, CipherError
from counter_tui.store.engine.core import Store
from counter_tui.store.engine.disk import FILE_MODE, fsync_dir, make_dir, replace_retrying
from counter_tui.store.engine.errors import Notice, StoreError

FOLDER = "files"
SHARD = "m/files"
TABLE = "files"
SEGMENT = 1 << 20  # plaintext bytes per sealed segment
SEALED_EXTRA = len(MAGIC) + NONCE + 16  # what sealing adds to each segment
WARN_AT = 0.8  # of the budget: the clerk is warned before it fills
MIN_FREE_BYTES = 200 * 1_000_000  # never fill the disk the commit log needs
Q = Query()


class FileDamaged(StoreError):
    """A stored file that fails its hash (or cannot be opened with the cache key)."""


@dataclass(frozen=True)
class Usage:
    """Files held in the cache against the budget, and what waits for the centre."""

    held_bytes: int
    budget_bytes: int
    waiting_files: int
    waiting_bytes: int
    disk_free: int

    @property
    def warning(self) -> Msg | None:
        """What the clerk must be told before the room runs out, or None."""
        if self.budget_bytes and self.held_bytes >= WARN_AT * self.budget_bytes:
            pct = round(100 * self.held_bytes / self.budget_bytes)
            return Msg(
                f"Bộ nhớ bản số hóa đã dùng {pct}% ({size_text(self.held_bytes)} / "
                f"{size_text(self.budget_bytes)}); hãy đồng bộ với trung tâm hoặc tăng "
                "[files] budget_mb.",
                f"Scan storage is {pct}% full; sync with the centre or raise [files] budget_mb.",
            )
        if self.disk_free < 2 * MIN_FREE_BYTES:
            return Msg(
                f"Ổ đĩa sắp đầy (còn {size_text(self.disk_free)}); hãy báo bộ phận kỹ thuật.",
                f"The disk is nearly full ({size_text(self.disk_free)} free).",
            )
        return None


class FileRoom:
    """The cache's scanned files; also the uploader's FileSource (notes/FILES-CONTRACT)."""

    def __init__(self, store: Store, budget_bytes: int = 2_000 * 1_000_000) -> None:
        self.store = store
        self.folder = store.path / FOLDER
        self.budget_bytes = budget_bytes
        self._verified: dict[str, tuple[int, int]] = {}  # sha -> (size, mtime_ns) checked
        self._io = threading.Lock()  # the verified set, between the UI worker and the uploader
        make_dir(self.folder)
        self._clean()

    # --- paths and format -------------------------------------------------------------------

    def path_of(self, sha: str) -> Path:
        return self.folder / sha[:2] / sha

    def _table(self) -> Any:
        return self.store.shard(SHARD).table(TABLE)

    def _record(self, sha: str) -> dict[str, Any] | None:
        with self.store.lock:
            doc: dict[str, Any] | None = self._table().get(Q.sha == sha)
            return doc

    # --- writing ----------------------------------------------------------------------------

    def put(self, data: bytes) -> str:
        """Write ``data`` durably if it is not held yet; returns its SHA-256 (hex).

        Called before the transaction that registers it (possibly in a worker thread)."""
        sha = hashlib.sha256(data).hexdigest()
        final = self.path_of(sha)
        if final.exists() and self._stat_ok(sha, len(data)) and self._whole(sha, len(data)):
            return sha
        self._check_room(len(data))
        sub = final.parent
        if not sub.exists():
            make_dir(sub)
            fsync_dir(self.folder)
        tmp = sub / f"{sha}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE
        )
        try:
            for part in self._encode(data):
                view = memoryview(part)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise _disk_refused(exc) from exc
        os.close(fd)
        try:
            replace_retrying(tmp, final)
            fsync_dir(sub)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise _disk_refused(exc) from exc
        return sha

    def _stat_ok(self, sha: str, size: int) -> bool:
        """An existing blob of the right stored length (a damaged one is rewritten)."""
        try:
            return self.path_of(sha).stat().st_size == self._stored_size(size)
        except OSError:
            return False

    def _whole(self, sha: str, size: int) -> bool:
        """Whether the held copy passes its hash: a damaged one is replaced by the bytes the
        clerk just gave, never kept in their stead."""
        try:
            self._verify(sha, size)
        except StoreError:
            return False
        return True

    def _stored_size(self, size: int) -> int:
        if self.store.cipher is None:
            return size
        segments = max(1, -(-size // SEGMENT))
        return size + segments * SEALED_EXTRA

    def _encode(self, data: bytes) -> list[bytes]:
        cipher = self.store.cipher
        if cipher is None:
            return [data]
        view = memoryview(data)
        return [cipher.seal(bytes(view[i : i + SEGMENT])) for i in range(0, len(data), SEGMENT)]

    def register(self, sha: str, size: int, at: str) -> None:
        """Record a file written by :meth:`put`, in the caller's transaction (the one that
        saves the dossier referencing it). A file already held is not recorded twice."""
        with self.store.transaction():
            table = self._table()
            doc = table.get(Q.sha == sha)
            if doc is None:
                table.insert({"sha": sha, "size": size, "state": "pending", "at": at})
            elif doc.get("state") in ("acked", "evicted"):
                # The centre holds it; whether this counter still does is what the disk says
                # (room may have been made between the scan and this save).
                held = self._stat_ok(sha, size)
                table.update({"state": "acked" if held else "evicted"}, Q.sha == sha)

    def restore(self, sha: str, data: bytes) -> None:
        """Put back an evicted file fetched from the centre (the sync side calls this);
        refused if the bytes are not the file's."""
        if hashlib.sha256(data).hexdigest() != sha:
            raise _damaged(len(data))
        rec = self._record(sha)
        if rec is not None and rec.get("state") != "evicted":
            return
        self.put(data)
        with self.store.transaction():
            if rec is None:
                # A scan another counter of the office attached: the centre holds it.
                self._table().insert({"sha": sha, "size": len(data), "state": "acked", "at": ""})
            else:
                self._table().update({"state": "acked"}, Q.sha == sha)

    def evicted(self, sha: str) -> bool:
        """Whether the file was evicted (the centre holds it; fetch it back to open it)."""
        rec = self._record(sha)
        return rec is not None and rec.get("state") == "evicted"

    def at_centre(self, sha: str) -> bool:
        """Whether the bytes are only at the centre: evicted, or never held here (a scan
        another counter of the office attached, pulled with its dossier)."""
        rec = self._record(sha)
        return rec is None or rec.get("state") == "evicted"

    # --- reading ----------------------------------------------------------------------------

    def _segments(self, fh: Any, size: int, first: int, last: int) -> list[bytes]:
        """Plaintext segments ``first``..``last`` (inclusive) of an encrypted blob."""
        cipher = self.store.cipher
        assert cipher is not None
        sealed = SEGMENT + SEALED_EXTRA
        fh.seek(first * sealed)
        out = []
        for _ in range(first, last + 1):
            raw = fh.read(sealed)
            try:
                out.append(cipher.open(raw))
            except CipherError as exc:
                raise _damaged(size) from exc
        return out

    def _verify(self, sha: str, size: int) -> None:
        """Hash the whole stored file once (again if it changed on disk since)."""
        path = self.path_of(sha)
        try:
            st = path.stat()
        except FileNotFoundError as exc:
            raise _missing() from exc
        with self._io:
            if self._verified.get(sha) == (st.st_size, st.st_mtime_ns):
                return
        h = hashlib.sha256()
        n = 0
        with open(path, "rb") as fh:
            if self.store.cipher is None:
                while chunk := fh.read(SEGMENT):
                    h.update(chunk)
                    n += len(chunk)
            else:
                segments = max(1, -(-size // SEGMENT))
                for i in range(segments):
                    (part,) = self._segments(fh, size, i, i)
                    h.update(part)
                    n += len(part)
        if n != size or h.hexdigest() != sha:
            raise _damaged(size)
        with self._io:
            self._verified[sha] = (st.st_size, st.st_mtime_ns)

    def read(self, sha: str) -> bytes:
        """The whole file, checked against its hash."""
        rec = self._record(sha)
        if rec is None:
            raise _missing()
        # Hashed again, whatever an earlier check found: bit rot keeps size and mtime, and
        # this copy goes to the clerk (the uploader's chunks are checked by the centre).
        with self._io:
            self._verified.pop(sha, None)
        return self.read_file_chunk(sha, 0, int(rec["size"]))

    def read_file_chunk(self, sha: str, offset: int, length: int) -> bytes:
        """``length`` plaintext bytes from ``offset`` (fewer at the end), verified."""
        rec = self._record(sha)
        if rec is None or rec.get("state") == "evicted":
            raise _missing()
        size = int(rec["size"])
        self._verify(sha, size)
        end = min(size, offset + max(0, length))
        if offset >= end:
            return b""
        with open(self.path_of(sha), "rb") as fh:
            if self.store.cipher is None:
                fh.seek(offset)
                return fh.read(end - offset)
            first, last = offset // SEGMENT, (end - 1) // SEGMENT
            data = b"".join(self._segments(fh, size, first, last))
        start = offset - first * SEGMENT
        return data[start : start + end - offset]

    def export(self, sha: str, target: Path) -> Path:
        """Write the plaintext to ``target`` (for the system viewer), owner-only."""
        data = self.read(sha)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return target

    # --- the uploader's source ----------------------------------------------------------------

    def pending_files(self) -> list[tuple[str, int]]:
        """(sha, size) of the files the centre has not acknowledged, oldest first."""
        with self.store.lock:
            docs = self._table().search(Q.state == "pending")
            return [(d["sha"], int(d["size"])) for d in sorted(docs, key=lambda d: d.doc_id)]

    def file_acknowledged(self, sha: str) -> None:
        """The centre holds the file whole: it may be evicted when room is short."""
        with self.store.transaction():
            self._table().update({"state": "acked"}, (Q.sha == sha) & (Q.state == "pending"))

    # --- room -------------------------------------------------------------------------------

    def usage(self) -> Usage:
        with self.store.lock:
            docs = self._table().all()
        held = sum(int(d["size"]) for d in docs if d.get("state") != "evicted")
        waiting = [int(d["size"]) for d in docs if d.get("state") == "pending"]
        return Usage(held, self.budget_bytes, len(waiting), sum(waiting), self._free())

    def _free(self) -> int:
        try:
            return shutil.disk_usage(self.folder).free
        except OSError:
            return 0

    def _check_room(self, size: int) -> None:
        """Refuse a file the budget or the disk cannot take, after evicting what the centre
        already holds (oldest first)."""
        if self.usage().held_bytes + size > self.budget_bytes:
            self.evict(self.usage().held_bytes + size - self.budget_bytes)
        u = self.usage()
        if u.held_bytes + size > self.budget_bytes:
            raise StoreError(
                Msg(
                    f"Hết chỗ lưu bản số hóa ({size_text(u.held_bytes)} / "
                    f"{size_text(self.budget_bytes)}), còn {u.waiting_files} tệp chờ gửi trung "
                    "tâm; tệp chưa được lưu. Hãy đồng bộ rồi thử lại.",
                    "Scan storage is full; the file was not saved. Sync, then try again.",
                )
            )
        if self._free() - size < MIN_FREE_BYTES:
            raise StoreError(
                Msg(
                    "Ổ đĩa gần đầy; tệp chưa được lưu để giữ chỗ cho hồ sơ.",
                    "The disk is nearly full; the file was not saved, to keep room for dossiers.",
                )
            )

    def evict(self, need: int) -> int:
        """Remove acknowledged files, oldest first, until ``need`` bytes are freed."""
        with self.store.lock:
            acked = sorted(self._table().search(Q.state == "acked"), key=lambda d: d.doc_id)
        freed = 0
        for doc in acked:
            if freed >= need:
                break
            with self.store.transaction():
                self._table().update({"state": "evicted"}, Q.sha == doc["sha"])
            self.path_of(doc["sha"]).unlink(missing_ok=True)
            freed += int(doc["size"])
        return freed

    # --- opening ------------------------------------------------------------------------------

    def _readopt(self, path: Path) -> None:
        """Record again, as waiting for the centre, a blob found whole after the record list
        was rebuilt; one that fails its hash is moved aside."""
        sha = path.name
        size = _size_of_blob(path.stat().st_size, self.store.cipher is not None)
        try:
            self._verify(sha, size)
        except StoreError:
            path.rename(path.with_name(sha + ".damaged"))
            return
        with self.store.transaction():
            self._table().insert({"sha": sha, "size": size, "state": "pending", "at": ""})

    def _clean(self) -> None:
        """Remove temporary files and blobs no record names (a crash between the write and
        the commit); tell the clerk of a recorded file whose bytes are gone."""
        with self.store.lock:
            docs = self._table().all()
            # A rebuilt record list may have lost rows: then an unnamed blob may be one a
            # dossier names, so it is kept and sent again (the centre dedups by hash).
            rebuilt = any(d.shard == SHARD for d in self.store.damaged)
        known = {d["sha"]: d for d in docs}
        for sub in self.folder.iterdir():
            if not sub.is_dir():
                continue
            for p in sub.iterdir():
                if ".tmp-" in p.name:
                    p.unlink(missing_ok=True)
                elif p.name not in known and ".damaged" not in p.name:
                    if rebuilt and SHA_RE.match(p.name):
                        self._readopt(p)
                    else:
                        p.unlink(missing_ok=True)
        lost = [
            d for d in docs if d.get("state") == "pending" and not self.path_of(d["sha"]).exists()
        ]
        if lost:
            self.store.notices.append(
                Notice(
                    "files.missing",
                    Msg(
                        f"{len(lost)} bản số hóa chưa gửi trung tâm không còn trong bộ đệm; "
                        "hãy quét lại các giấy tờ đó.",
                        f"{len(lost)} scans not yet sent are gone from the cache; scan again.",
                    ),
                )
            )


def _size_of_blob(stored: int, sealed: bool) -> int:
    if not sealed:
        return stored
    segments = -(-stored // (SEGMENT + SEALED_EXTRA))
    return stored - segments * SEALED_EXTRA


def _disk_refused(exc: OSError) -> StoreError:
    return StoreError(
        Msg(
            f"Không ghi được tệp xuống đĩa ({exc.strerror}); tệp chưa được lưu.",
            f"Could not write the file to disk ({exc.strerror}); nothing was saved.",
        )
    )


def _damaged(size: int) -> FileDamaged:
    return FileDamaged(
        Msg(
            f"Bản số hóa ({size_text(size)}) trong bộ đệm bị hỏng (sai mã kiểm tra); "
            "hãy quét lại giấy tờ này.",
            "A stored scan fails its check; scan the document again.",
        )
    )


def _missing() -> StoreError:
    return StoreError(
        Msg(
            "Bản số hóa không còn trong bộ đệm của quầy (đã chuyển lên trung tâm).",
            "The scan is not in this counter's cache (it is kept at the centre).",
        )
    )
