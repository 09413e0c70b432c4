"""Scans (issue 14): attach files to a dossier at receipt, later, and at hand-over.

Attaching is two steps, so the screen stays live while a big file is read:

1. :meth:`Scans.prepare` reads the file, checks it (``domain.files``), hashes
   it and writes it durably into the cache. It may run in a worker thread. A
   prepared file is referenced by nothing yet: a crash here leaves an orphan
   the next open removes.
2. :meth:`Scans.attach` (an existing dossier) or ``Desk.receive`` (a new one,
   with the files in its checklist) commits the dossier change and the file
   records in one transaction. Only then is the clerk told "saved".

The scanner folder (``[files] scanner_dir``) is listed newest first, only the
files that appeared since the form was opened.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from counter_tui.domain.digitisation import lacking_scan
from counter_tui.domain.dossier import DocItem, Dossier, item_id
from counter_tui.domain.files import (
    RESULT_ITEM,
    FileFacts,
    FileRefused,
    check_file,
    check_size,
    exempt_reason,
    file_entry,
    kind_of_name,
    max_bytes,
)
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.status import Action
from counter_tui.store.engine.errors import StoreError
from counter_tui.store.scans import FileRoom, Usage
from counter_tui.usecases.desk import Desk

if TYPE_CHECKING:  # httpx is imported only when a central service is configured
    from counter_tui.sync.files import FileUploader

MB = 1_000_000


@dataclass(frozen=True)
class Uploads:
    """How the scans' bytes go to the centre (F5), from the uploader."""

    rate_bps: float  # bytes a second over the last few seconds
    files_waiting: int
    bytes_waiting: int  # what the centre still lacks (a file under way counts its rest)
    refused: list[tuple[str, str]]  # (sha, why) of the files the centre refused
    problem: Msg | None  # why the last attempt failed, or None


@dataclass(frozen=True)
class Prepared:
    """A file checked and stored in the cache, not attached to anything yet."""

    sha: str
    name: str
    facts: FileFacts

    def describe(self, lang: str = "vi") -> str:
        return f"{self.name} ({self.facts.describe(lang)})"


@dataclass(frozen=True)
class ScannerFile:
    """A file in the scanner's folder."""

    path: Path
    name: str
    size: int
    mtime: float


@dataclass(frozen=True)
class AttachedFile:
    """A file of a dossier as the dossier screen lists it."""

    sha: str
    name: str
    item: str
    item_name: str
    description: str
    at: str
    actor: str


class Scans:
    """Attaching scans; the viewer command; the figures of F5 and F6 about files."""

    def __init__(
        self,
        desk: Desk,
        files: FileRoom,
        *,
        max_mb: float = 20,
        scanner_dir: str = "",
        digitise: bool = True,
        uploader: FileUploader | None = None,
    ) -> None:
        self._desk = desk
        self._files = files
        self._uploader = uploader
        self.limit = max_bytes(max_mb)
        self.scanner_dir = Path(scanner_dir).expanduser() if scanner_dir else None
        self.digitise = digitise
        # Runs the viewer command; tests put a list's append here (no viewer is launched).
        self.launch: Callable[[list[str]], object] = _launch
        self._views: Path | None = None  # this session's plain copies for the viewer
        sweep_old_views()

    # --- step 1: read, check, store --------------------------------------------------------

    def prepare(self, path: str | Path) -> Prepared:
        """Check a file and store it durably in the cache; :class:`DomainError` (a Vietnamese
        message) if it is refused or cannot be read, and nothing is kept then."""
        p = Path(str(path).strip().strip("'\"")).expanduser()
        name = p.name
        try:
            size = p.stat().st_size
        except OSError as exc:
            raise DomainError(
                "file.unreadable",
                Msg(f"Không mở được tệp {p}.", f"Cannot open {p}."),
                "file",
            ) from exc
        if not p.is_file():
            raise DomainError(
                "file.unreadable", Msg(f"{p} không phải là tệp.", f"{p} is not a file."), "file"
            )
        check_size(name, size, self.limit)  # before reading a huge file into memory
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise DomainError(
                "file.unreadable",
                Msg(f"Không đọc được tệp {name}.", f"Cannot read {name}."),
                "file",
            ) from exc
        facts = check_file(name, data, self.limit)
        try:
            sha = self._files.put(data)
        except StoreError as exc:
            raise DomainError("store.refused", exc.msg, "file") from exc
        return Prepared(sha, name, facts)

    def entry(self, prepared: Prepared, item: str, role: str = "document") -> dict[str, object]:
        now = self._desk.clock()
        return file_entry(
            prepared.sha,
            prepared.name,
            prepared.facts,
            item=item,
            role=role,
            at=now.isoformat(),
            actor=self._desk.identity.clerk,
        )

    # --- step 2: commit ---------------------------------------------------------------------

    def add_to_draft(self, draft: Dossier, index: int, prepared: Prepared) -> None:
        """Put a prepared file on item ``index`` of a dossier being received (saved with it)."""
        self.add_to_item(draft.documents[index], index, prepared)

    def add_to_item(self, doc: DocItem, index: int, prepared: Prepared) -> None:
        """The same, on a checklist row the form holds before the draft is made."""
        if not any(f["sha"] == prepared.sha for f in doc.files):
            doc.files.append(self.entry(prepared, item_id(index)))

    def remove_from_draft(self, draft: Dossier, index: int, sha: str) -> None:
        doc = draft.documents[index]
        doc.files = [f for f in doc.files if f["sha"] != sha]

    def mark_exempt(self, draft: Dossier, index: int, reason: str | None) -> None:
        """Mark item ``index`` as not to be digitised (TT 03 Điều 5 khoản 2), or unmark it."""
        self.exempt_item(draft.documents[index], reason)

    @staticmethod
    def exempt_item(doc: DocItem, reason: str | None) -> None:
        if reason is not None:
            exempt_reason(reason)
        dig = dict(doc.digitisation or {"exempt": None, "missing_reason": None})
        dig["exempt"] = reason
        doc.digitisation = dig

    def lacking(self, draft: Dossier) -> list[str]:
        """Required items handed in that still lack a scan (none for an online dossier)."""
        if draft.channel == "online":
            return []
        return self.lacking_items(draft.documents)

    def lacking_items(self, documents: Sequence[DocItem]) -> list[str]:
        return lacking_scan(documents) if self.digitise else []

    def attach(self, uid: str, item: str, prepared: Sequence[Prepared]) -> Dossier:
        """Attach prepared files to a saved dossier (``item``: a checklist item id, or
        ``"result"`` for the result scanned at hand-over): one event in its history."""
        role = "result" if item == RESULT_ITEM else "document"
        entries = [self.entry(p, item, role) for p in prepared]
        # A failed attach leaves its blobs: a form may hold the same page prepared, and
        # what no record names is removed at the next open.
        return self._desk.act(uid, Action.ATTACH, data={"files": entries})

    # --- the scanner folder ------------------------------------------------------------------

    def scanner_files(self, since: float) -> list[ScannerFile]:
        """Files of a kind we take that appeared in the scanner folder since ``since``
        (a time.time() value), newest first."""
        if self.scanner_dir is None:
            return []
        out = []
        try:
            entries = list(os.scandir(self.scanner_dir))
        except OSError:
            return []
        for e in entries:
            try:
                if not e.is_file() or kind_of_name(e.name) is None:
                    continue
                st = e.stat()
            except OSError:
                continue
            if st.st_mtime >= since:
                out.append(ScannerFile(Path(e.path), e.name, st.st_size, st.st_mtime))
        return sorted(out, key=lambda f: f.mtime, reverse=True)

    # --- the dossier's files ------------------------------------------------------------------

    def files_of(self, d: Dossier) -> list[AttachedFile]:
        """Every file of a dossier, per checklist item, then the result's."""
        out = []
        for i, doc in enumerate(d.documents):
            for f in doc.files:
                out.append(_attached(f, item_id(i), doc.name))
        for f in d.result_files:
            out.append(_attached(f, RESULT_ITEM, "Kết quả giải quyết"))
        return out

    def at_centre_only(self, sha: str) -> bool:
        """Whether the scan is only at the centre (evicted when room was short, or attached
        at another counter of the office): opening it fetches it first, which may take a
        while."""
        return self._files.at_centre(sha)

    def fetch_back(self, sha: str) -> None:
        """Bring an evicted scan back from the centre into the cache (checked against its
        hash); :class:`DomainError` in Vietnamese when it cannot be fetched now."""
        if not self._files.at_centre(sha):
            return
        from counter_tui.sync.client import Refused, SyncError

        if self._uploader is None:
            raise DomainError("file.at_centre", _AT_CENTRE_ALONE)
        try:
            data = self._uploader.client.file(sha)
        except Refused as exc:
            raise DomainError(
                "file.at_centre",
                Msg(
                    "Bản số hóa này đã chuyển lên trung tâm; trung tâm từ chối gửi lại "
                    f"(mã {exc.status}). Hãy báo bộ phận kỹ thuật.",
                    f"This scan is at the centre, which refused to send it back ({exc.status}).",
                ),
            ) from exc
        except SyncError as exc:
            raise DomainError("file.at_centre", _AT_CENTRE_OFFLINE) from exc
        if data is None:
            raise DomainError(
                "file.at_centre",
                Msg(
                    "Trung tâm không có bản số hóa này cho cơ quan; hãy quét lại giấy tờ.",
                    "The centre holds no such scan for this office; scan the paper again.",
                ),
            )
        try:
            self._files.restore(sha, data)
        except StoreError as exc:
            raise DomainError("file.unavailable", exc.msg) from exc

    def viewer_command(self, sha: str, name: str) -> list[str]:
        """Write the file (checked against its hash, fetched back from the centre if it was
        evicted) to a private temp folder and return the command that opens it with the
        system viewer; the screen runs it."""
        self.fetch_back(sha)
        if self._views is None:
            self._views = Path(tempfile.mkdtemp(prefix=VIEWS_PREFIX))
        folder = Path(tempfile.mkdtemp(dir=self._views))  # one per view: names may repeat
        # The name is the attaching counter's (synced, any string): ".." or a NUL would
        # write over the temp folder's parent or fail; such a copy is named by its hash.
        safe = Path(name).name
        if safe in ("", ".", "..") or "\x00" in safe:
            safe = sha
        try:
            target = self._files.export(sha, folder / safe)
        except StoreError as exc:
            raise DomainError("file.unavailable", exc.msg) from exc
        except OSError as exc:
            raise DomainError(
                "file.unavailable",
                Msg(
                    f"Không ghi được bản sao để xem ({exc.strerror}).",
                    f"Cannot write the copy to view ({exc.strerror}).",
                ),
            ) from exc
        if sys.platform == "win32":
            return ["cmd", "/c", "start", "", str(target)]
        if sys.platform == "darwin":
            return ["open", str(target)]
        return ["xdg-open", str(target)]

    def close(self) -> None:
        """Remove this session's plain copies made for the viewer (an encrypted cache must
        not leave readable scans behind; a viewer still holding one keeps it open)."""
        if self._views is not None:
            shutil.rmtree(self._views, ignore_errors=True)
            self._views = None

    def open_file(self, sha: str, name: str) -> list[str]:
        """Open a file of a dossier with the system viewer; returns the command run.
        :class:`DomainError` if it is not in the cache or fails its check."""
        cmd = self.viewer_command(sha, name)
        try:
            self.launch(cmd)
        except OSError as exc:
            raise DomainError(
                "file.viewer",
                Msg(
                    f"Không mở được trình xem tệp ({cmd[0]}): {exc.strerror}.",
                    f"Cannot start the viewer ({cmd[0]}): {exc.strerror}.",
                ),
            ) from exc
        return cmd

    def items_of(self, d: Dossier) -> list[tuple[str, str]]:
        """(item id, words) of what a scan added later may belong to: each document, the result."""
        out = [(item_id(i), doc.name) for i, doc in enumerate(d.documents)]
        return [*out, (RESULT_ITEM, "Kết quả giải quyết (khi trả kết quả)")]

    # --- figures ----------------------------------------------------------------------------

    def usage(self) -> Usage:
        """Files waiting for the centre, bytes waiting, room used (F5)."""
        return self._files.usage()

    def uploads(self) -> Uploads | None:
        """The uploader's rate, what it still has to send, what the centre refused (F5);
        None when the counter works alone."""
        if self._uploader is None:
            return None
        st = self._uploader.status()
        return Uploads(
            rate_bps=st.rate_bps,
            files_waiting=st.files_waiting,
            bytes_waiting=st.bytes_waiting,
            refused=sorted((sha, refusal_words(why)) for sha, why in st.refused.items()),
            problem=st.problem.msg if st.problem is not None else None,
        )


_AT_CENTRE_OFFLINE = Msg(
    "Bản số hóa này đã chuyển lên trung tâm và không còn trên máy (để dành chỗ); hiện không "
    "lấy về được vì quầy chưa kết nối được với trung tâm. Hãy mở lại khi có mạng.",
    "This scan was moved to the centre and is no longer on this PC; it cannot be fetched "
    "now (the centre cannot be reached). Open it again once the link is back.",
)
_AT_CENTRE_ALONE = Msg(
    "Bản số hóa này chỉ còn ở trung tâm; quầy này không kết nối với trung tâm nên không lấy "
    "về được.",
    "This scan is only at the centre; this counter has no central service to fetch it from.",
)

_REFUSALS = {
    "file.too_large": "lớn hơn giới hạn trung tâm nhận",
    "hash.mismatch": "nội dung không khớp mã băm; hãy quét lại",
}


def refusal_words(why: str) -> str:
    """Why a scan did not go, in Vietnamese: the centre's code when it gave one (its
    answer is ``HTTP 413: {...}``), else the cache could not read the file."""
    if not why.startswith("HTTP "):
        return "không đọc được tệp trong bộ đệm: " + why
    for code, words in _REFUSALS.items():
        if f'"{code}"' in why:
            return words
    return "trung tâm từ chối: " + why


def _launch(cmd: list[str]) -> object:
    return subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the viewer outlives neither the terminal's keys nor ours
    )


def _attached(f: dict[str, object], item: str, item_name: str) -> AttachedFile:
    facts = FileFacts(
        kind=f["kind"],  # type: ignore[arg-type]  # checked by domain.files.check_entry
        size=int(f["size"]),  # type: ignore[call-overload]
        pages=f.get("pages"),  # type: ignore[arg-type]
        width=f.get("width"),  # type: ignore[arg-type]
        height=f.get("height"),  # type: ignore[arg-type]
    )
    return AttachedFile(
        sha=str(f["sha"]),
        name=str(f["name"]),
        item=item,
        item_name=item_name,
        description=facts.describe(),
        at=str(f.get("at") or ""),
        actor=str(f.get("actor") or ""),
    )


__all__ = ["AttachedFile", "FileRefused", "Prepared", "ScannerFile", "Scans", "Uploads"]


VIEWS_PREFIX = "counter-tui-view-"
VIEWS_KEPT_S = 24 * 3600


def sweep_old_views(now: float | None = None) -> None:
    """Remove viewer copies left by a session that ended without closing (a crash, a power
    cut) once they are a day old; another user's folders are not ours to remove (mkdtemp
    makes them owner-only, and a failure is ignored)."""
    cutoff = (time.time() if now is None else now) - VIEWS_KEPT_S
    try:
        old = [
            p
            for p in Path(tempfile.gettempdir()).glob(VIEWS_PREFIX + "*")
            if p.is_dir() and p.stat().st_mtime < cutoff
        ]
    except OSError:
        return
    for p in old:
        shutil.rmtree(p, ignore_errors=True)
