"""Reading the commit log on open: what to re-apply, which segments to keep, what to say.

Every segment still on disk is read. Records after the manifest's
``flushed_txn`` are queued for their shards (each shard file says itself how far
it is covered, so a record is applied only where it is newer). Segments older
than the last full checkpoint stay on disk while they hold an operation the
centre has not acknowledged (their *pin*): they are the second copy of unsent
work, used to rebuild a damaged or missing outbox shard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from counter_tui.domain.messages import Msg
from counter_tui.store.engine.cipher import Cipher
from counter_tui.store.engine.commitlog import Damage, list_segments, read_segment, scan_segment
from counter_tui.store.engine.errors import Notice

# (transaction, table, doc id, post-image or None)
PendingRecord = tuple[int, str, str, Any]


@dataclass
class LogState:
    last_txn: int = 0
    pending: dict[str, list[PendingRecord]] = field(default_factory=dict)
    replay: list[dict[str, Any]] = field(default_factory=list)
    pins: dict[str, int] = field(default_factory=dict)  # segment file name -> highest pinned id
    notices: list[Notice] = field(default_factory=list)
    last_damage: Damage | None = None  # damage in the newest segment (new writes go there)


def pin_of(record: dict[str, Any], prefix: str | None) -> int:
    """The highest document id the record writes in shards named ``prefix...``."""
    if prefix is None:
        return 0
    best = 0
    for shard, _table, doc_id, _doc in record["w"]:
        if shard.startswith(prefix):
            try:
                best = max(best, int(doc_id))
            except ValueError:
                continue
    return best


def read_log(
    directory: Path,
    cipher: Cipher | None,
    *,
    flushed_txn: int,
    full_txn: int,
    pin_prefix: str | None,
    expected_segments: list[str],
) -> LogState:
    state = LogState(last_txn=flushed_txn)
    segs = list_segments(directory)
    present = {s.name for s in segs}
    for name in expected_segments:
        if name not in present:
            state.notices.append(_missing_segment_notice(name, flushed_txn))
    for i, seg in enumerate(segs):
        records, damage = read_segment(seg, cipher)
        is_last = i == len(segs) - 1
        if damage is not None:
            covered_to = _covered_to(segs, i, records)
            state.notices.append(damage_notice(damage, flushed_txn, covered_to, is_last))
            if is_last:
                state.last_damage = damage
        pin = 0
        for rec in records:
            t = int(rec["t"])
            state.last_txn = max(state.last_txn, t)
            pin = max(pin, pin_of(rec, pin_prefix))
            if t > full_txn:
                state.replay.append(rec)
            if t > flushed_txn:
                for shard, table, doc_id, doc in rec["w"]:
                    state.pending.setdefault(shard, []).append((t, table, doc_id, doc))
        state.pins[seg.name] = pin
    return state


def _covered_to(segs: list[Path], i: int, records: list[dict[str, Any]]) -> int | None:
    """The last transaction segment ``i`` can hold (None for the newest: open-ended)."""
    if i + 1 < len(segs):
        from counter_tui.store.engine.commitlog import segment_start

        return segment_start(segs[i + 1]) - 1
    return None


def damage_notice(
    damage: Damage, flushed_txn: int, covered_to: int | None, is_last: bool
) -> Notice:
    """Say what the damage means, and claim nothing is lost only when that is known."""
    name = damage.path.name
    where = (
        f"đã chuyển sang {damage.side_file.name}"
        if damage.side_file is not None
        else "chưa chuyển ra được vì đĩa đầy (sẽ chuyển khi có chỗ)"
    )
    where_en = (
        f"moved to {damage.side_file.name}"
        if damage.side_file is not None
        else "not moved yet: the disk is full (it will be once there is room)"
    )
    if covered_to is not None and covered_to <= flushed_txn:
        return Notice(
            "log.damaged",
            Msg(
                f"Nhật ký {name} bị hỏng {damage.bytes_moved} byte ({where}). Không mất gì: "
                "các tệp dữ liệu đã chứa mọi thao tác trong đó.",
                f"Log {name} had {damage.bytes_moved} damaged bytes ({where_en}). Nothing is "
                "lost: the data files already hold every operation in it.",
            ),
        )
    unknown = [t for t in damage.unreadable_txns if t > flushed_txn]
    at_risk = damage.unreadable_lines - (len(damage.unreadable_txns) - len(unknown))
    if is_last and damage.torn_only:
        return Notice(
            "log.damaged_tail",
            Msg(
                f"Phần cuối nhật ký {name} bị hỏng ({damage.bytes_moved} byte, thường do mất "
                f"điện khi đang ghi); {where}. Mọi thao tác đã báo thành công vẫn còn.",
                f"The tail of {name} was damaged ({damage.bytes_moved} bytes, usually a power "
                f"cut mid-write); {where_en}. Every acknowledged operation is intact.",
            ),
        )
    if at_risk <= 0 and damage.torn_only is False:
        return Notice(
            "log.damaged",
            Msg(
                f"Nhật ký {name} có {damage.unreadable_lines} dòng hỏng ({where}); các tệp dữ "
                "liệu đã chứa chúng, không mất gì.",
                f"Log {name} had {damage.unreadable_lines} damaged lines ({where_en}); the data "
                "files already hold them, nothing is lost.",
            ),
        )
    count = max(at_risk, 1)
    return Notice(
        "log.lost",
        Msg(
            f"Nhật ký {name} bị hỏng ({damage.bytes_moved} byte, {where}): có thể mất tới "
            f"{count} lần lưu sau điểm lưu cuối (giao dịch {flushed_txn}). Hãy kiểm tra các hồ "
            "sơ nhận gần đây nhất và đồng bộ lại với trung tâm.",
            f"Log {name} was damaged ({damage.bytes_moved} bytes, {where_en}): up to {count} "
            f"saves after the last checkpoint (transaction {flushed_txn}) may be missing. Check "
            "the most recently received dossiers and resync with the centre.",
        ),
        needs_resync=True,
    )


def _missing_segment_notice(name: str, flushed_txn: int) -> Notice:
    return Notice(
        "log.missing",
        Msg(
            f"Thiếu tệp nhật ký {name}. Các tệp dữ liệu vẫn chứa mọi thao tác đến điểm lưu "
            f"cuối (giao dịch {flushed_txn}); bản sao thứ hai của các thao tác chưa gửi trong "
            "đó không còn.",
            f"Log file {name} is missing. The data files still hold every operation up to the "
            f"last checkpoint (transaction {flushed_txn}); the second copy of the unsent "
            "operations it held is gone.",
        ),
    )


def records_for(directory: Path, cipher: Cipher | None, shard: str) -> list[PendingRecord]:
    """Every logged post-image of ``shard`` still on disk, oldest first (changes nothing)."""
    out: list[PendingRecord] = []
    for seg in list_segments(directory):
        for rec in scan_segment(seg, cipher):
            t = int(rec["t"])
            for name, table, doc_id, doc in rec["w"]:
                if name == shard:
                    out.append((t, table, doc_id, doc))
    out.sort(key=lambda r: r[0])
    return out
