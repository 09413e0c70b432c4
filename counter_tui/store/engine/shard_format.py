"""Shard files on disk: their names, and their bytes (checksummed, optionally sealed).

A shard file is one JSON object in TinyDB's layout (table -> doc id -> document)
whose first member is a checksum over the rest and the last log transaction the
file covers (see :func:`counter_tui.store.engine.disk.seal_json`); with encryption on,
that whole text is sealed with AES-GCM. A file that fails either check is
damaged: :func:`salvage` still reads what it can, for the store to use only
where nothing verified is left.
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson

from counter_tui.store.engine.cipher import Cipher, CipherError
from counter_tui.store.engine.disk import CHECK_HEAD, DamagedFile, open_json, seal_json

Tables = dict[str, dict[str, Any]]


def shard_to_file(name: str) -> str:
    return name.replace("/", "-") + ".json"


def file_to_shard(filename: str) -> str:
    return filename[: -len(".json")].replace("-", "/", 1)


def crc_shard(key: str, count: int) -> int:
    return zlib.crc32(key.encode("utf-8")) % count


def _check_tables(data: Any) -> Tables:
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise DamagedFile("not a TinyDB document")
    return data


def encode_shard(data: Tables, covers: int, cipher: Cipher | None) -> bytes:
    blob = seal_json(orjson.dumps(data), covers)
    return cipher.seal(blob) if cipher is not None else blob


def decode_shard(raw: bytes, cipher: Cipher | None) -> tuple[Tables, int]:
    """The tables of a shard file and the transaction it covers; DamagedFile if not whole."""
    if cipher is not None:
        try:
            raw = cipher.open(raw)
        except CipherError as exc:
            raise DamagedFile("does not open with the key") from exc
    body, covers = open_json(raw)
    try:
        return _check_tables(orjson.loads(body)), covers
    except orjson.JSONDecodeError as exc:
        raise DamagedFile("not JSON") from exc


def decode_legacy(raw: bytes, cipher: Cipher | None) -> Tables:
    """A format-1 shard file (no checksum): plain or sealed TinyDB JSON."""
    if cipher is not None and raw:
        try:
            raw = cipher.open(raw)
        except CipherError as exc:
            raise DamagedFile("does not open with the key") from exc
    if raw.startswith(CHECK_HEAD):
        return decode_shard(raw, None)[0]
    try:
        return _check_tables(orjson.loads(raw)) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise DamagedFile("not JSON") from exc


def salvage(raw: bytes, cipher: Cipher | None) -> Tables:
    """What still parses of a damaged file, unverified (empty if nothing does)."""
    if cipher is not None:
        return {}  # GCM refuses a changed byte: nothing readable, by design
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k != "~ck" and isinstance(v, dict)}
