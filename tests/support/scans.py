"""Small real scan files for tests: a PDF written by pypdf, image headers written by hand."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path


def pdf_bytes(pages: int = 1, pad: int = 0) -> bytes:
    """A valid PDF of ``pages`` blank pages; ``pad`` bytes of a comment stream make it big."""
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(595, 842)
    if pad:
        w.add_metadata({"/Padding": "x" * pad})
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def png_bytes(width: int = 640, height: int = 480) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return b"\x89PNG\r\n\x1a\n" + body + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def jpeg_bytes(width: int = 2480, height: int = 3508) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def tiff_bytes(width: int = 1700, height: int = 2200) -> bytes:
    entries = [(256, 3, 1, width), (257, 4, 1, height)]
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        packed = struct.pack("<HI", value, 0)[:4] if typ == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, typ, count) + packed
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00\x00\x00\x00"


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_bytes(data)
    return p
