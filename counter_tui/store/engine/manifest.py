"""``manifest.json``: the on-disk format version, how far the shard files cover the log,
shard sizes and the log segments kept; and the migrations between formats.

The manifest is checksummed like the shards. Nothing depends on it alone: each
shard file says itself which transaction it covers, so a lost manifest means
replaying more of the log, never losing what it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from counter_tui.domain.messages import Msg
from counter_tui.store.engine.cipher import Cipher
from counter_tui.store.engine.disk import (
    CHECK_HEAD,
    DamagedFile,
    fsync_dir,
    open_json,
    seal_json,
    write_atomic,
)
from counter_tui.store.engine.errors import StoreError
from counter_tui.store.engine.shard_format import decode_legacy, encode_shard, file_to_shard

FORMAT = 2
MANIFEST = "manifest.json"


def empty_manifest() -> dict[str, Any]:
    return {"format": FORMAT, "flushed_txn": 0, "full_txn": 0, "shards": {}, "segments": []}


def parse_manifest(raw: bytes) -> dict[str, Any]:
    """The manifest's content; DamagedFile if it fails its checksum or is not a manifest."""
    if raw.startswith(CHECK_HEAD):
        try:
            body, _ = open_json(raw)
        except DamagedFile:
            # A newer version may seal differently: say "update the app", not "damaged".
            newer = _newer_format(raw)
            if newer is None:
                raise
            return newer
    else:
        body = raw  # format 1 had no checksum; anything newer without one is damage
    try:
        m = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DamagedFile("not JSON") from exc
    if not isinstance(m, dict) or "flushed_txn" not in m:
        raise DamagedFile("not a manifest")
    if body is raw and 2 <= int(m.get("format", 0)) <= FORMAT:
        raise DamagedFile("no checksum")  # a newer format is refused by migrate(), not here
    return m


def _newer_format(raw: bytes) -> dict[str, Any] | None:
    try:
        m = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if isinstance(m, dict) and isinstance(m.get("format"), int) and m["format"] > FORMAT:
        return m
    return None


def write_manifest(directory: Path, m: dict[str, Any]) -> None:
    write_atomic(directory / MANIFEST, seal_json(orjson.dumps(m)))
    fsync_dir(directory)


# --- on-disk format migrations -------------------------------------------------------------

Migration = Callable[[dict[str, Any], Path, Cipher | None], dict[str, Any]]


def _one_to_two(manifest: dict[str, Any], path: Path, cipher: Cipher | None) -> dict[str, Any]:
    """Format 2 checksums every shard: rewrite each file with its checksum."""
    covers = int(manifest.get("flushed_txn", 0))
    sizes: dict[str, int] = {}
    for f in sorted((path / "shards").glob("*.json")):
        try:
            data = decode_legacy(f.read_bytes(), cipher)
        except DamagedFile:
            continue  # left as found: the store's own check moves it aside and says so
        blob = encode_shard(data, covers, cipher)
        write_atomic(f, blob)
        sizes[file_to_shard(f.name)] = len(blob)
    fsync_dir(path / "shards")
    out = {**manifest, "format": 2, "shards": sizes, "segments": []}
    write_manifest(path, out)
    return out


MIGRATIONS: dict[int, Migration] = {1: _one_to_two}


def migrate(manifest: dict[str, Any], path: Path, cipher: Cipher | None = None) -> dict[str, Any]:
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
        manifest = step(manifest, path, cipher)
        version = int(manifest["format"])
    return manifest
