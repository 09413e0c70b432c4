"""The audit log's hash chain, shared by the counter and the central service.

Each entry holds its sequence number, the hash of the entry before it
(``prev``) and the SHA-256 of its own content with ``prev`` (``hash``). An
edited, removed or reordered entry breaks the chain where it was; cutting
entries off the end is caught by comparing with the head hash kept apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson


def entry_hash(body: dict[str, Any]) -> str:
    """SHA-256 of the entry without its own ``hash`` (keys sorted, so order never matters)."""
    content = {k: v for k, v in body.items() if k != "hash"}
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def chain(prev: str, seq: int, entry: dict[str, Any]) -> dict[str, Any]:
    body = {**entry, "seq": seq, "prev": prev}
    return {**body, "hash": entry_hash(body)}


def verify_chain(entries: Iterable[dict[str, Any]], head: str | None) -> tuple[int, str | None]:
    """(entries checked, None) when intact, else the first broken link, described."""
    prev = ""
    n = 0
    for n, e in enumerate(entries, 1):
        if e.get("seq") != n:
            return n - 1, f"entry {n}: sequence number {e.get('seq')} (an entry is missing)"
        if e.get("prev") != prev:
            return n - 1, f"entry {n}: does not follow entry {n - 1}"
        if e.get("hash") != entry_hash(e):
            return n - 1, f"entry {n}: content changed after it was written"
        prev = e["hash"]
    if head is not None and head != prev:
        return n, "the last entries were removed"
    return n, None
