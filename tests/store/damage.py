"""The damage matrix: every kind of file the store writes × flip a byte / truncate / delete / zero.

Shared by ``test_damage.py`` (one parametrised test) and ``bench/faults.py``.
A scenario builds a cache the way a counter fills it (receives with a code, an
outbox operation and an audit entry in one transaction; some acknowledged by
the centre, one refused; a sync cursor; a catalog; checkpoints in between),
closes it, damages one file, reopens it and checks what a clerk would notice:
no unsent operation lost, no code issued twice, saving still works, and a
notice that says what happened (and never that nothing was lost when
something was).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from counter_tui.store.local import LocalStore
from tests.factories import dossier

OFFICE = "000.00.00.H56"
SLOT = 3
DAY = date(2026, 11, 30)

# The cursor has no file of its own: it lives in m-meta with the counters ("meta").
KINDS: dict[str, Callable[[Path], Path]] = {}


def _kind(name: str) -> Callable[[Callable[[Path], Path]], Callable[[Path], Path]]:
    def register(fn: Callable[[Path], Path]) -> Callable[[Path], Path]:
        KINDS[name] = fn
        return fn

    return register


@_kind("data")
def _data(path: Path) -> Path:
    # The data shard of the last dossier received: it has unsent changes.
    return path / "shards" / _last_data_shard(path)


@_kind("outbox")
def _outbox(path: Path) -> Path:
    return path / "shards" / "o-000000.json"


@_kind("meta")
def _meta(path: Path) -> Path:
    return path / "shards" / "m-meta.json"


@_kind("rejected")
def _rejected(path: Path) -> Path:
    return path / "shards" / "m-rejected.json"


@_kind("catalog")
def _catalog(path: Path) -> Path:
    return path / "shards" / "m-catalog.json"


@_kind("audit")
def _audit(path: Path) -> Path:
    return path / "shards" / "a-000000.json"


@_kind("index")
def _index(path: Path) -> Path:
    return path / "index.bin"


@_kind("manifest")
def _manifest(path: Path) -> Path:
    return path / "manifest.json"


@_kind("log")
def _log(path: Path) -> Path:
    # The biggest segment: one kept because it holds unsent operations.
    return max(path.glob("log-*.wal"), key=lambda p: p.stat().st_size)


def _flip(p: Path) -> None:
    raw = bytearray(p.read_bytes())
    raw[len(raw) // 2] ^= 0x04
    p.write_bytes(bytes(raw))


def _truncate(p: Path) -> None:
    raw = p.read_bytes()
    p.write_bytes(raw[: len(raw) // 2])


def _delete(p: Path) -> None:
    p.unlink()


def _zero(p: Path) -> None:
    p.write_bytes(b"\0" * p.stat().st_size)


DAMAGES: dict[str, Callable[[Path], None]] = {
    "flip": _flip,
    "truncate": _truncate,
    "delete": _delete,
    "zero": _zero,
}

CASES = [(k, d) for k in KINDS for d in DAMAGES]


def _last_data_shard(path: Path) -> str:
    from counter_tui.store.dossiers import DATA_SHARDS, shard_key_of
    from counter_tui.store.engine.shard_format import crc_shard

    doc = _LAST[str(path)]
    return f"d-{crc_shard(shard_key_of(doc), DATA_SHARDS):04d}.json"


_LAST: dict[str, dict[str, Any]] = {}


def receive(store: LocalStore, doc: dict[str, Any], actor: str = "canbo01") -> dict[str, Any]:
    """What the desk does in one transaction: a code, the dossier, its operation, an audit."""
    from counter_tui.domain.codes import make_code

    with store.transaction():
        n = store.dossiers.next_code_number(DAY, SLOT)
        doc = dict(doc, code=str(make_code(OFFICE, DAY, SLOT, n)))
        store.dossiers.put(doc)
        store.outbox.enqueue({"type": "dossier.create", "uid": doc["uid"], "code": doc["code"]})
        store.audit.append({"action": "receive", "actor": actor, "uid": doc["uid"]})
    return doc


@dataclass
class Built:
    unsent: list[tuple[int, str]]  # (seq, uid) not yet acknowledged by the centre
    docs: dict[str, dict[str, Any]]  # uid -> dossier as last saved
    codes: set[str]
    rejected: list[int] = field(default_factory=list)


def build(path: Path, seed: int = 1, n: int = 60) -> Built:
    rng = random.Random(seed)
    store = LocalStore(path, background=False, full_checkpoint_bytes=1 << 40)
    docs: dict[str, dict[str, Any]] = {}
    try:
        store.catalog.save([{"code": "1.001193", "name": "Đăng ký khai sinh"}], "etag-1")
        for i in range(n):
            d = receive(store, dossier(rng, i))
            docs[d["uid"]] = d
        results = [{"seq": s, "status": "applied"} for s in range(1, n // 3)]
        results.append({"seq": n // 3, "status": "rejected", "reason": "Thiếu giấy tờ"})
        store.outbox.ack(results)
        store.meta.set("cursor", "1:4242")
        store.checkpoint(full=True)  # the segment with ops 21..60 is kept: they are unsent
        for i in range(n, n + n // 3):
            d = receive(store, dossier(rng, i))
            docs[d["uid"]] = d
        store.checkpoint(full=False)
        _LAST[str(path)] = d
        unsent = [(int(o["seq"]), str(o["uid"])) for o in store.outbox.pending(limit=10**6)]
        codes = {s.code for s in store.dossiers.all_summaries()}
    finally:
        store.close()
    return Built(unsent, docs, codes, [n // 3])


@dataclass
class Outcome:
    kind: str
    damage: str
    unsent_lost: int
    code_reused: bool
    write_blocked: str | None
    notices: list[str]
    honest: bool
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def run_case(root: Path, kind: str, damage: str, seed: int = 1) -> Outcome:
    path = root / f"{kind}-{damage}"
    built = build(path, seed)
    victim = KINDS[kind](path)
    DAMAGES[damage](victim)
    problems: list[str] = []
    store = LocalStore(path, background=False)
    try:
        pending = {(int(o["seq"]), str(o["uid"])) for o in store.outbox.pending(limit=10**6)}
        lost = [u for u in built.unsent if u not in pending]
        if lost:
            problems.append(f"{len(lost)} unsent operations lost")
        for _seq, uid in built.unsent:
            got = store.dossiers.get(uid)
            if got is None or got != built.docs[uid]:
                problems.append(f"dossier {uid} with unsent changes is not as saved")
                break
        procs, etag = store.catalog.cached()  # as the app does when it starts
        if not procs and etag is not None:
            problems.append("the catalog is gone but its version stays: never downloaded again")
        if not any(r.get("seq") in built.rejected for r in store.outbox.rejected()):
            problems.append("the refused operation is no longer listed")
        blocked = None
        code_reused = False
        try:
            new = receive(store, dossier(random.Random(seed + 99), 999))
            code_reused = new["code"] in built.codes
            if code_reused:
                problems.append(f"code {new['code']} issued twice")
        except Exception as exc:
            blocked = f"{type(exc).__name__}: {exc}"
            problems.append(f"saving is blocked: {blocked}")
            new = None
        notices = [n.code for n in store.notices]
        texts = " ".join(n.msg.en for n in store.notices)
        honest = bool(notices) and not (lost and ("intact" in texts or "nothing is lost" in texts))
        if not notices:
            problems.append("no notice")
        elif not honest:
            problems.append("a notice claims nothing was lost")
    finally:
        store.close()
    if new is not None:
        store = LocalStore(path, background=False)
        try:
            if store.dossiers.by_code(new["code"]) is None:
                problems.append("the write after the damage did not survive a reopen")
        finally:
            store.close()
    return Outcome(kind, damage, len(lost), code_reused, blocked, notices, honest, problems)
