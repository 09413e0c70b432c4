"""The audit log's hash chain, shared by the counter and the central service, and its checks.

Each entry holds its sequence number, the hash of the entry before it
(``prev``) and the SHA-256 of its own content with ``prev`` (``hash``). An
edited, removed or reordered entry breaks the chain where it was; cutting
entries off the end is caught by comparing with the head hash kept apart, and
a chain whose kept head was rewritten too is caught against the heads kept
outside it: the centre's anchors of each counter's pushes
(:func:`against_anchors`), an operator's export of the centre's head
(:func:`against_export`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson

from counter_tui.domain.messages import Msg


class ChainBreak(str):
    """A broken link, described. The string is the English text every caller has always
    had (logs, the centre's copy check); ``msg`` holds it in both languages for the
    operator who reads it."""

    msg: Msg

    def __new__(cls, msg: Msg) -> ChainBreak:
        self = super().__new__(cls, msg.en)
        self.msg = msg
        return self


def break_words(problem: str) -> Msg:
    """A problem :func:`verify_chain` returned, in both languages (a plain string, from
    an older caller, reads the same in both)."""
    return problem.msg if isinstance(problem, ChainBreak) else Msg(problem, problem)


def entry_hash(body: dict[str, Any]) -> str:
    """SHA-256 of the entry without its own ``hash`` (keys sorted, so order never matters)."""
    content = {k: v for k, v in body.items() if k != "hash"}
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def chain(prev: str, seq: int, entry: dict[str, Any]) -> dict[str, Any]:
    body = {**entry, "seq": seq, "prev": prev}
    return {**body, "hash": entry_hash(body)}


def verify_chain(entries: Iterable[dict[str, Any]], head: str | None) -> tuple[int, str | None]:
    """(entries checked, None) when intact, else the first broken link, described (a
    :class:`ChainBreak`)."""
    prev = ""
    n = 0
    for n, e in enumerate(entries, 1):
        if e.get("seq") != n:
            return n - 1, ChainBreak(
                Msg(
                    f"mục {n}: số thứ tự {e.get('seq')} (thiếu một mục)",
                    f"entry {n}: sequence number {e.get('seq')} (an entry is missing)",
                )
            )
        if e.get("prev") != prev:
            return n - 1, ChainBreak(
                Msg(
                    f"mục {n}: không nối tiếp mục {n - 1}",
                    f"entry {n}: does not follow entry {n - 1}",
                )
            )
        if e.get("hash") != entry_hash(e):
            return n - 1, ChainBreak(
                Msg(
                    f"mục {n}: nội dung đã bị sửa sau khi ghi",
                    f"entry {n}: content changed after it was written",
                )
            )
        prev = e["hash"]
    if head is not None and head != prev:
        return n, ChainBreak(Msg("các mục cuối đã bị xóa", "the last entries were removed"))
    return n, None


def against_anchors(
    entries: Sequence[dict[str, Any]], anchors: Iterable[dict[str, Any]]
) -> Msg | None:
    """Compare a counter's chain with the heads the centre kept from its pushes: a chain
    cut short (its stored head rewritten to match) or rewritten shows here. None: every
    head the centre kept is in the chain where the centre saw it."""
    for a in anchors:
        seq, head = int(a["seq"]), str(a["head"])
        if seq > len(entries):
            return Msg(
                f"trung tâm đã thấy {seq} mục (đầu chuỗi {head[:12]}…), "
                f"máy này có {len(entries)}: đã có mục bị xóa",
                f"the central service saw {seq} entries (head {head[:12]}…), "
                f"this PC has {len(entries)}: entries were removed",
            )
        if entries[seq - 1].get("hash") != head:
            return Msg(
                f"mục {seq} không phải mục trung tâm đã thấy: nhật ký đã bị ghi lại",
                f"entry {seq} is not the one the central service saw: the log was rewritten",
            )
    return None


def against_export(
    checked: int, exported: dict[str, Any], hash_at: Callable[[int], str | None]
) -> Msg | None:
    """Compare the centre's chain (``checked`` entries, intact on its own) with a head an
    operator exported earlier and kept elsewhere (``{"entries": n, "head": hash}``): the
    chain must still hold that head at entry n. ``hash_at(n)`` reads entry n's hash."""
    n, was = int(exported["entries"]), str(exported["head"])
    if n > checked:
        return Msg(
            f"CHUỖI NHẬT KÝ NGẮN HƠN BẢN ĐÃ XUẤT: khi đó {n} mục, nay {checked}",
            f"AUDIT CHAIN SHORTER THAN EXPORTED: {n} entries then, {checked} now",
        )
    if n and hash_at(n) != was:
        return Msg(
            f"CHUỖI NHẬT KÝ ĐÃ BỊ GHI LẠI: mục {n} khác đầu chuỗi đã xuất",
            f"AUDIT CHAIN REWRITTEN: entry {n} differs from the exported head",
        )
    return None
