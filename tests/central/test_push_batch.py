"""A push batch is decided in memory and written at its end (central/db/batch.py): the
answers and the stored state must be exactly those of the same operations pushed one at a
time, and a row another transaction writes between the batch's read and its write must not
be overwritten or duplicated."""

from __future__ import annotations

import contextlib
import uuid

from counter_tui.central.db import CentralDB
from counter_tui.central.db.dossier_writes import DossierWrites
from counter_tui.central.service import CentralService
from counter_tui.domain.status import Action
from tests.central.test_engines import PUSH_FIELDS
from tests.support.central import OFFICE, db_target
from tests.support.counter import CALENDAR, CATALOG, make_counter

OTHER = "000.00.00.H57"


def _service(target) -> tuple[CentralDB, CentralService]:
    db = CentralDB(target)
    db.offices.add(OFFICE, "UBND xã Quảng Phú")
    db.offices.add(OTHER, "UBND xã bên cạnh")
    return db, CentralService(db, CATALOG, CALENDAR)


def _ops(tmp_path, slot: int) -> list[dict]:
    """What a real counter queues: receives, then actions on them (one dossier acted on
    twice), then what a broken or copied counter could send: a uid the centre already has,
    a code already taken, a dossier the centre never saw."""
    c = make_counter(tmp_path / "counter", "http://127.0.0.1:9", "unused", slot)
    try:
        a = c.receive("Nguyễn Văn An", "079185000001")
        b = c.receive("Trần Thị Bình", "079185000002")
        c.receive("Lê Văn Cường", "079185000003")
        c.desk.act(a.uid, Action.TRANSFER, data={"unit": "Tư pháp"})
        c.desk.act(a.uid, Action.EDIT_CONTACT, data={"phone": "0987654321"})
        c.desk.act(b.uid, Action.WITHDRAW, note="Công dân rút hồ sơ")
        ops = [{k: v for k, v in op.items() if k in PUSH_FIELDS} for op in c.store.outbox.pending()]
    finally:
        c.close()
    seq = ops[-1]["seq"]
    again = dict(ops[1], seq=seq + 1, op_id="same-uid")
    taken = dict(ops[2], seq=seq + 2, op_id="same-code", uid=str(uuid.uuid4()))
    taken["doc"] = dict(ops[2]["doc"], uid=taken["uid"])
    unknown = dict(ops[3], seq=seq + 3, op_id="unknown", uid=str(uuid.uuid4()))
    # Withdrawn twice: refused, recorded as a conflict (the centre changed it meanwhile).
    twice = dict(ops[-1], seq=seq + 4, op_id="withdrawn-again")
    return [*ops, again, taken, unknown, twice]


def _state(db: CentralDB) -> dict:
    feed = db.feed.changes(OFFICE, 0, 10_000)
    return {
        "feed": [(uid, v) for uid, v, _doc in feed],
        "docs": {uid: db.dossiers.by_uid(OFFICE, uid) for uid, _v, _doc in feed},
        "totals": db.totals(),
        "audit": [
            (e["action"], e["target"], e["detail"].get("result"), e["detail"].get("version"))
            for e in db.audit.entries()
        ],
        "verified": db.audit.verify(),
    }


def _strip_times(state: dict) -> dict:
    """The documents as stored, without the centre's clock (the two runs differ in it)."""
    for found in state["docs"].values():
        assert found is not None
        found[0].pop("synced_at", None)
    return state


def test_a_batch_answers_and_stores_what_one_op_at_a_time_would(tmp_path, engine):
    with contextlib.ExitStack() as stack:
        one = stack.enter_context(db_target(engine, tmp_path / "one"))
        single = stack.enter_context(db_target(engine, tmp_path / "single"))
        db1, batched = _service(one)
        db2, singly = _service(single)
        stack.callback(db1.close)
        stack.callback(db2.close)
        c1, _ = db1.clients.add(OFFICE, "Q1")
        c2, _ = db2.clients.add(OFFICE, "Q1")
        ops = _ops(tmp_path, c1.slot or 1)
        # The first receive is already at the centre: the batch changes a stored dossier too.
        assert batched.push(c1, ops[:1]).results == singly.push(c2, ops[:1]).results
        out = batched.push(c1, ops[1:])
        alone = [singly.push(c2, [op]) for op in ops[1:]]
        assert out.error is None and all(o.error is None for o in alone)
        assert out.results == [r for o in alone for r in o.results]
        statuses = [r["status"] for r in out.results]
        assert statuses.count("applied") == 5, out.results  # 2 receives (1 was there), 3 actions
        codes = [r.get("code") for r in out.results[-4:-1]]
        assert codes == ["op.exists", "op.code_taken", "op.unknown"]
        assert out.results[-1]["status"] == "conflict", out.results[-1]
        assert out.last_seq == alone[-1].last_seq == ops[-1]["seq"]
        assert _strip_times(_state(db1)) == _strip_times(_state(db2))
        assert _state(db1)["verified"][1] is None
        # Replayed, the batch is answered from what was recorded, and nothing changes.
        before = db1.totals()
        assert batched.push(c1, ops[1:]).results == out.results
        assert db1.totals() == before


def test_a_uid_taken_between_the_batch_read_and_its_write_is_refused_not_doubled(tmp_path):
    # The batch holds its office's feed row, so no other write of that office can come in
    # between; another office's can (a copied counter's uid, say). Writers run at once only
    # on PostgreSQL (SQLite's queue), so this runs there alone.
    with db_target("postgresql", tmp_path) as target:
        db, service = _service(target)
        try:
            client, _ = db.clients.add(OFFICE, "Q1")
            ops = _ops(tmp_path, client.slot or 1)[:3]  # three receives
            intruder = dict(ops[2]["doc"], office=OTHER, code=f"{OTHER}-x")
            real_begin = DossierWrites.begin_batch
            raced: list[bool] = []

            def begin_then_race(writes: DossierWrites, *args, **kwargs) -> None:
                real_begin(writes, *args, **kwargs)
                if not raced:  # the first attempt only: the retry reads the intruder
                    raced.append(True)
                    other = CentralDB(target, migrate=False)
                    with other.write() as w:
                        assert w.dossiers.insert(intruder, OTHER) is not None
                    other.close()

            DossierWrites.begin_batch = begin_then_race  # type: ignore[method-assign]
            try:
                out = service.push(client, ops)
            finally:
                DossierWrites.begin_batch = real_begin  # type: ignore[method-assign]
            assert raced == [True]
            assert [r["status"] for r in out.results] == ["applied", "applied", "rejected"]
            assert out.results[2]["code"] == "op.exists"
            assert db.dossiers.count(OFFICE) == 2 and db.dossiers.count(OTHER) == 1
            assert db.dossiers.by_uid(OTHER, intruder["uid"])[0]["code"] == intruder["code"]
            totals = db.totals()
            assert totals["ops"] == 3 and totals["sum_last_seq"] == 3
            versions = [v for _uid, v, _doc in db.feed.changes(OFFICE, 0, 100)]
            assert versions == [1, 2]  # the retry's own numbers: no hole, no repeat
            assert db.audit.verify()[1] is None
        finally:
            db.close()
