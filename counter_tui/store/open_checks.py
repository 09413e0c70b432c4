"""What the cache checks when it opens: its counters against the data, and what damage cost.

The counters in ``m/meta`` (the outbox's sequence and acknowledged mark, the audit
head) are brought up to what the outbox and audit shards themselves show, so a
damaged or rolled-back meta file never reuses a number. When the engine rebuilt a
damaged shard, the clerk is told exactly what it cost (the engine says how it was
rebuilt; this says which operations or dossiers).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from counter_tui.domain.messages import Msg
from counter_tui.store.dossiers import data_shard
from counter_tui.store.engine.core import Notice, ShardDamage
from counter_tui.store.outbox import OPS_PER_SHARD

if TYPE_CHECKING:
    from counter_tui.store.local import LocalStore

log = logging.getLogger(__name__)


def reconcile(local: LocalStore) -> None:
    """Bring the counters in ``m/meta`` up to what the data itself shows.

    The operation sequence is at least the highest operation in the outbox, the
    acknowledged mark at least the newest operation with an answer, the audit head
    the newest audit entry. Cheap (the newest outbox and audit shards), so it runs at
    every open; it writes only when something was behind.
    """
    store, meta, outbox = local.store, local.meta, local.outbox
    for d in list(store.damaged):
        describe_damage(local, d)
    fixes: dict[str, Any] = {}
    with store.lock:
        meta.get("op_seq")  # load (and verify) m/meta first
        meta_damaged = any(d.shard == "m/meta" for d in store.damaged)
        top = 0
        for name in reversed(store.shard_names("o/")):
            ops = store.read_shard_uncached(name).get("ops", {})
            if ops:
                top = max(int(k) for k in ops)
                break
        if top > outbox.last_seq():
            fixes["op_seq"] = top
        acked = outbox.acked_seq()
        for seq in range(top, acked, -1):
            op = outbox.raw(seq)
            if op is not None and op.get("state") != "pending":
                fixes["acked_seq"] = seq
                break
        audit_seq = int(meta.get("audit_seq", 0))
        for name in reversed(store.shard_names("a/")):
            events = store.read_shard_uncached(name).get("events", {})
            if events:
                newest = max(events.values(), key=lambda e: int(e["seq"]))
                if int(newest["seq"]) > audit_seq:
                    fixes["audit_seq"] = int(newest["seq"])
                    fixes["audit_hash"] = newest["hash"]
                break
    try:
        if fixes:
            with store.transaction():
                for k, v in fixes.items():
                    meta.set(k, v)
    except Exception:  # a full disk: enqueue's own check still never reuses a number
        log.exception("could not record the rebuilt counters yet")
    if meta_damaged:
        store.notices.append(_meta_notice(local, fixes))


def _meta_notice(local: LocalStore, fixes: dict[str, Any]) -> Notice:
    lost = [k for k in ("cursor", "catalog_etag", "local_clerks") if local.meta.get(k) is None]
    rebuilt = ", ".join(f"{k}={v}" for k, v in fixes.items() if k != "audit_hash") or "-"
    return Notice(
        "meta.rebuilt",
        Msg(
            "Tệp cài đặt và bộ đếm (m-meta) bị hỏng hoặc thiếu. Đã dựng lại từ dữ liệu: "
            f"{rebuilt}; số hồ sơ trong ngày theo mã lớn nhất đang dùng, không cấp lại mã "
            f"đã cấp. Không khôi phục được (nếu đã có): {', '.join(lost) or 'không'} (mất vị trí đồng bộ thì sẽ tải "
            "lại toàn bộ từ trung tâm; mất tài khoản cán bộ cục bộ thì cần tạo lại).",
            "The settings and counters file (m-meta) was damaged or missing. Rebuilt from "
            f"the data: {rebuilt}; daily code numbers follow the highest code in use, no "
            f"code is issued twice. Not recoverable (if they were set): {', '.join(lost) or 'none'} (a lost sync "
            "position means a full download from the centre; lost local clerk accounts "
            "must be re-created).",
        ),
        needs_resync="cursor" in lost,
    )


def describe_damage(local: LocalStore, d: ShardDamage) -> None:
    """Say exactly what a damaged file cost (the engine says how it was rebuilt)."""
    if d.shard.startswith("o/"):
        first = int(d.shard[2:]) * OPS_PER_SHARD
        acked, last = local.outbox.acked_seq(), local.outbox.last_seq()
        ops = d.data.get("ops", {})
        unsent = list(range(max(first, acked + 1), min(first + OPS_PER_SHARD, last + 1)))
        missing = [s for s in unsent if str(s) not in ops]
        kept = len(unsent) - len(missing)
        lost_vi = f" Mất {len(missing)} (số {missing[0]}-{missing[-1]})." if missing else ""
        lost_en = f" {len(missing)} lost (seq {missing[0]}-{missing[-1]})." if missing else ""
        d.tell_more(
            f"Hàng chờ gửi: {kept} trong {len(unsent)} thao tác chưa gửi còn nguyên.{lost_vi}",
            f"Outbox: {kept} of {len(unsent)} unsent operations are intact.{lost_en}",
        )
    elif d.shard.startswith("d/") and hasattr(local, "directory"):
        directory = local.directory
        present = {doc.get("uid") for doc in d.data.get("dossiers", {}).values()}
        gone = [
            s
            for u in list(directory.rows)
            if (s := directory.summary(u)) is not None
            and data_shard(s.shard_key) == d.shard
            and u not in present
        ]
        if gone:
            codes = ", ".join(s.code for s in gone[:10]) + (" …" if len(gone) > 10 else "")
            d.tell_more(
                f"{len(gone)} hồ sơ không còn trong bộ đệm ({codes}). Chúng đã lên trung "
                "tâm (mọi thay đổi chưa gửi được khôi phục từ nhật ký); hãy đồng bộ lại toàn "
                "bộ để tải về.",
                f"{len(gone)} dossiers are no longer in the cache ({codes}). They had reached "
                "the centre (every unsent change was restored from the log); a full resync "
                "brings them back.",
                needs_resync=True,
            )
