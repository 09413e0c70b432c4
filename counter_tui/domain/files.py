"""Scanned files (issue 14): what a file is by its first bytes, its limits and its facts.

A file attached to a dossier is a PDF, JPEG, PNG or TIFF scan. Its kind is read
from its magic bytes and must match what its name says (a ``.pdf`` that is a
JPEG, or a renamed Word file, is refused); it is size-limited; a PDF's pages
and an image's pixel size are read here, from the bytes, so the clerk sees
what was scanned. Every refusal is a :class:`FileRefused` with a Vietnamese
message. Pure functions over bytes: the store and the use case do the I/O.

Exemptions from digitisation (Thông tư 03/2025/TT-VPCP Điều 5 khoản 2) are
the four reason codes of :data:`EXEMPT_REASONS`.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass
from typing import Any, Literal

from counter_tui.domain.messages import DomainError, Msg

Kind = Literal["pdf", "jpeg", "png", "tiff"]
KINDS: tuple[Kind, ...] = ("pdf", "jpeg", "png", "tiff")
# MB as 10^6 bytes: never larger than the centre's limit, whichever way it counts.
MB = 1_000_000
DEFAULT_MAX_MB = 20
# The result scanned at hand-over is attached to this pseudo item of the checklist.
RESULT_ITEM = "result"
ROLES = ("document", "result")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")

_EXTENSIONS: dict[str, Kind] = {
    "pdf": "pdf",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "jpe": "jpeg",
    "png": "png",
    "tif": "tiff",
    "tiff": "tiff",
}
KIND_NAMES: dict[Kind, str] = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG", "tiff": "TIFF"}

# TT 03/2025 Điều 5 khoản 2: what need not be digitised at the counter.
EXEMPT_REASONS: dict[str, Msg] = {
    "online": Msg("Hồ sơ đã nộp trực tuyến", "Submitted online"),
    "shown": Msg("Giấy tờ xuất trình", "Paper only shown"),
    "interagency": Msg("Kết quả xác minh liên thông", "Inter-agency verification reply"),
    "classified": Msg("Tài liệu mật", "Classified document"),
}


class FileRefused(DomainError):
    """A file that cannot be attached; the message says why, in the clerk's language."""


@dataclass(frozen=True)
class FileFacts:
    """What was read from a file that passed the checks."""

    kind: Kind
    size: int
    pages: int | None = None
    width: int | None = None
    height: int | None = None

    def describe(self, lang: str = "vi") -> str:
        """'PDF, 3 trang, 1,2 MB' or 'JPEG, 2480×3508, 850 KB'."""
        parts = [KIND_NAMES[self.kind]]
        if self.pages is not None:
            parts.append(f"{self.pages} trang" if lang != "en" else f"{self.pages} pages")
        if self.width is not None and self.height is not None:
            parts.append(f"{self.width}×{self.height}")
        parts.append(size_text(self.size))
        return ", ".join(parts)


def size_text(size: int) -> str:
    # Nothing reads as "0 KB" and a few bytes as bytes: "0 files, 1 KB waiting" once
    # contradicted itself on F5.
    if size >= MB:
        return f"{size / MB:.1f} MB".replace(".", ",")
    if size < 1000:
        return f"{size} byte" if size else "0 KB"
    return f"{round(size / 1000)} KB"


def _refuse(code: str, vi: str, en: str) -> FileRefused:
    return FileRefused(code, Msg(vi, en), "file")


def kind_of_name(name: str) -> Kind | None:
    """The kind a file's name says it is (by its extension), or None."""
    _, dot, ext = name.rpartition(".")
    return _EXTENSIONS.get(ext.lower()) if dot else None


def kind_of_bytes(head: bytes) -> Kind | None:
    """The kind the first bytes show, or None for anything else."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    return None


def max_bytes(max_mb: float) -> int:
    return int(max_mb * MB)


def check_size(name: str, size: int, limit: int) -> None:
    """Refuse an empty or oversized file before it is read whole."""
    if size <= 0:
        raise _refuse("file.empty", f"Tệp {name} rỗng.", f"{name} is empty.")
    if size > limit:
        raise _refuse(
            "file.too_big",
            f"Tệp {name} quá lớn ({size_text(size)}); tối đa {size_text(limit)} một tệp.",
            f"{name} is too big ({size_text(size)}); at most {size_text(limit)} a file.",
        )


def check_file(name: str, data: bytes, limit: int) -> FileFacts:
    """The facts of a file that may be attached, or :class:`FileRefused` saying why not."""
    check_size(name, len(data), limit)
    said = kind_of_name(name)
    if said is None:
        raise _refuse(
            "file.type",
            f"Tệp {name} không phải PDF, JPEG, PNG hay TIFF; chỉ nhận các loại này.",
            f"{name} is not a PDF, JPEG, PNG or TIFF; only these are taken.",
        )
    found = kind_of_bytes(data[:16])
    if found != said:
        inside = (
            f"nội dung là {KIND_NAMES[found]}"
            if found
            else "nội dung không phải PDF, JPEG, PNG hay TIFF"
        )
        raise _refuse(
            "file.mismatch",
            f"Tệp {name} mang đuôi {KIND_NAMES[said]} nhưng {inside}; "
            "hãy quét lại hoặc chọn đúng tệp.",
            f"{name} is named {KIND_NAMES[said]} but holds "
            f"{KIND_NAMES[found] if found else 'something else'}.",
        )
    if found == "pdf":
        return FileFacts("pdf", len(data), pages=pdf_pages(name, data))
    w, h = image_size(found, data)
    return FileFacts(found, len(data), width=w, height=h)


def pdf_pages(name: str, data: bytes) -> int:
    """The page count of a PDF; a PDF that cannot be read is refused (a torn scan)."""
    # Imported here: only attaching a PDF needs it, not the start of the app.
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        n = len(PdfReader(io.BytesIO(data)).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, struct.error) as exc:
        raise _refuse(
            "file.pdf_damaged",
            f"Tệp PDF {name} bị hỏng, không đọc được; hãy quét lại.",
            f"The PDF {name} is damaged and cannot be read; scan it again.",
        ) from exc
    if n < 1:
        raise _refuse("file.pdf_empty", f"Tệp PDF {name} không có trang nào.", f"{name}: no pages.")
    return n


def image_size(kind: Kind, data: bytes) -> tuple[int | None, int | None]:
    """(width, height) in pixels read from the image's header; (None, None) if not found."""
    try:
        if kind == "png":
            w, h = struct.unpack(">II", data[16:24])
            return int(w), int(h)
        if kind == "jpeg":
            return _jpeg_size(data)
        if kind == "tiff":
            return _tiff_size(data)
    except (struct.error, IndexError):
        pass
    return None, None


# Start-of-frame markers carry the size; C4 (huffman), C8 (reserved), CC (arithmetic) do not.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    pos = 2
    end = len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return None, None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _SOF:
            h, w = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(w), int(h)
        pos += 2 + length
    return None, None


def _tiff_size(data: bytes) -> tuple[int | None, int | None]:
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
    found: dict[int, int] = {}
    for i in range(count):
        at = ifd + 2 + 12 * i
        tag, typ = struct.unpack(order + "HH", data[at : at + 4])
        if tag in (256, 257):
            fmt = "H" if typ == 3 else "I"
            (value,) = struct.unpack(order + fmt, data[at + 8 : at + 8 + struct.calcsize(fmt)])
            found[tag] = int(value)
    return found.get(256), found.get(257)


def file_entry(
    sha: str,
    name: str,
    facts: FileFacts,
    *,
    item: str,
    role: str,
    at: str,
    actor: str,
) -> dict[str, Any]:
    """A file's entry in the dossier (the shape both sides agreed, notes/FILES-CONTRACT)."""
    return {
        "sha": sha,
        "size": facts.size,
        "name": name,
        "kind": facts.kind,
        "item": item,
        "role": role,
        "pages": facts.pages,
        "width": facts.width,
        "height": facts.height,
        "at": at,
        "actor": actor,
    }


def check_entry(raw: Any) -> dict[str, Any]:
    """A file entry as received in an operation, checked; :class:`FileRefused` if malformed
    (the centre applies the same operation, so a bad one is refused, never a crash)."""
    if not isinstance(raw, dict):
        raise _refuse("file.entry", "Thông tin tệp không hợp lệ.", "Malformed file entry.")
    sha, size = raw.get("sha"), raw.get("size")
    if not isinstance(sha, str) or not SHA_RE.match(sha):
        raise _refuse("file.sha", "Mã băm của tệp không hợp lệ.", "Invalid file hash.")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise _refuse("file.size", "Kích thước tệp không hợp lệ.", "Invalid file size.")
    if raw.get("kind") not in KINDS or raw.get("role") not in ROLES:
        raise _refuse("file.kind", "Loại tệp không hợp lệ.", "Invalid file kind or role.")
    if not isinstance(raw.get("item"), str) or not isinstance(raw.get("name"), str):
        raise _refuse("file.item", "Tệp không gắn với giấy tờ nào.", "No checklist item.")
    for key in ("pages", "width", "height"):
        v = raw.get(key)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            raise _refuse("file.facts", "Số trang hoặc cỡ ảnh không hợp lệ.", f"Invalid {key}.")
    out = {
        k: raw.get(k)
        for k in ("sha", "size", "name", "kind", "item", "role", "pages", "width", "height")
    }
    out["at"] = str(raw.get("at") or "")
    out["actor"] = str(raw.get("actor") or "")
    return out


def exempt_reason(code: str) -> Msg:
    """The words of an exemption code; :class:`FileRefused` for an unknown one."""
    try:
        return EXEMPT_REASONS[code]
    except KeyError:
        raise _refuse(
            "file.exempt", "Lý do miễn số hóa không hợp lệ.", "Unknown exemption reason."
        ) from None


def named_shas(doc: Any) -> list[str]:
    """Every sha a dossier's dict form names, in order and once: the scans of each checklist
    item (``documents[i].files``) and of the result (``result_files``). Tolerant of a
    malformed dict (the centre reads stored JSON): what is not an entry names nothing."""
    if not isinstance(doc, dict):
        return []
    lists: list[Any] = [d.get("files") for d in doc.get("documents") or () if isinstance(d, dict)]
    lists.append(doc.get("result_files"))
    seen: dict[str, None] = {}
    for entries in lists:
        for e in entries if isinstance(entries, list) else ():
            if isinstance(e, dict) and isinstance(e.get("sha"), str):
                seen.setdefault(e["sha"], None)
    return list(seen)
