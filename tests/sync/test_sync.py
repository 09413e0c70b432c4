"""Sync against a real central service on 127.0.0.1: nothing lost, nothing applied twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from counter_tui.domain.status import Action, Status
from counter_tui.sync.client import CentralClient
from counter_tui.sync.state import Connection
from tests.support.central import OFFICE
from tests.support.counter import make_counter


def names(n: int) -> list[tuple[str, str]]:
    return [(f"Nguyễn Văn Số {i}", f"0012030{i:05d}") for i in range(n)]


def test_offline_receive_then_sync_arrives_once_with_the_counters_code(tmp_path, central, tokens):
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    central.stop()
    c = make_counter(tmp_path / "q1", central.url, token, slot)
    d = c.receive("Trần Thị Bình", "079185000001")
    assert d.code.startswith(f"{OFFICE}-261125-{slot}")
    assert c.engine.sync_once() is False
    assert c.engine.status().state is Connection.OFFLINE
    assert c.engine.status().pending == 1
    assert "Không kết nối" in c.engine.status().error.vi
    central.start()
    assert c.engine.sync_once() is True
    st = c.engine.status()
    assert (st.state, st.pending, st.conflicts) == (Connection.ONLINE, 0, 0)
    found = central.db.dossiers.by_code(OFFICE, d.code)
    assert found is not None and found[0]["uid"] == d.uid
    assert central.db.dossiers.count() == 1
    # pushing again changes nothing; the local copy is now confirmed by the centre
    assert c.engine.sync_once() is True
    assert central.db.dossiers.count() == 1
    assert c.store.dossiers.get(d.uid)["_sync"]["confirmed"] is True
    c.close()


def test_lost_push_response_is_retried_and_applied_once(tmp_path, central, tokens, proxy):
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(tmp_path / "q1", proxy.url, token, slot)
    received = [c.receive(n, cid) for n, cid in names(5)]
    proxy.cut_after = 1
    proxy.set("cut_response")
    assert c.engine.sync_once() is False  # the server applied the batch, the answer was lost
    assert central.db.dossiers.count() == 5
    assert c.store.outbox.pending_count() == 5
    proxy.set("pass")
    assert c.engine.sync_once() is True
    assert c.store.outbox.pending_count() == 0
    assert central.db.dossiers.count() == 5
    assert {central.db.dossiers.by_code(OFFICE, d.code)[0]["uid"] for d in received} == {
        d.uid for d in received
    }
    c.close()


def test_503_and_timeouts_lose_nothing(tmp_path, central, tokens, proxy):
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(
        tmp_path / "q1",
        proxy.url,
        token,
        slot,
        # Read timeout well under the proxy's delay, yet roomy enough that a loaded CI
        # machine does not time out the request that should pass.
        timeout=httpx.Timeout(connect=2.0, read=2.0, write=2.0, pool=2.0),
    )
    for n, cid in names(3):
        c.receive(n, cid)
    proxy.set("error503")
    assert c.engine.sync_once() is False
    assert c.engine.status().state is Connection.OFFLINE
    proxy.set("delay", 4.0)
    assert c.engine.sync_once() is False
    assert c.store.outbox.pending_count() == 3
    proxy.set("pass")
    # a timed-out request may still have reached the server: no double application either way
    assert c.engine.sync_once() is True
    assert central.db.dossiers.count() == 3
    assert c.store.outbox.pending_count() == 0
    c.close()


def test_server_killed_mid_push_and_restarted(tmp_path, central, tokens):
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(tmp_path / "q1", central.url, token, slot)
    c.engine.batch = 20
    received = [c.receive(n, cid) for n, cid in names(300)]
    import threading

    done = threading.Event()

    def killer() -> None:
        # wait until the push is under way, then kill the server without warning
        while central.db.dossiers.count() < 40 and not done.is_set():
            pass
        central.kill()

    t = threading.Thread(target=killer)
    t.start()
    ok = c.engine.sync_once()
    t.join()
    done.set()
    assert ok is False
    assert 0 < central.db.dossiers.count() < 300
    central.start()
    assert c.engine.sync_once() is True
    assert central.db.dossiers.count() == 300
    assert c.store.outbox.pending_count() == 0
    codes = {central.db.dossiers.by_code(OFFICE, d.code)[0]["uid"] for d in received}
    assert len(codes) == 300
    c.close()


def test_two_offline_counters_never_collide(tmp_path, central, tokens):
    (q1, t1), (q2, t2) = tokens["q1"], tokens["q2"]
    central.stop()
    a = make_counter(tmp_path / "q1", central.url, t1, q1.slot, name="Q1")
    b = make_counter(tmp_path / "q2", central.url, t2, q2.slot, name="Q2")
    got = []
    for n, cid in names(40):
        got.append(a.receive(n, cid))
        got.append(b.receive(n + " B", "0381" + cid[4:]))
    assert a.engine.sync_once() is False and b.engine.sync_once() is False
    central.start()
    assert a.engine.sync_once() and b.engine.sync_once() and a.engine.sync_once()
    codes = [d.code for d in got]
    assert len(set(codes)) == 80
    assert central.db.dossiers.count() == 80
    assert all(central.db.dossiers.by_code(OFFICE, code) for code in codes)
    # and each counter now has the other's dossiers too
    assert a.store.dossiers.count() == 80 and b.store.dossiers.count() == 80
    for x in (a, b):
        x.close()


def test_back_office_supplement_vs_offline_handover_conflict(tmp_path, central, tokens, proxy):
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(tmp_path / "q1", proxy.url, token, slot)
    d = c.receive("Lê Văn Cường", "031090123456")
    assert c.engine.sync_once()
    bo = CentralClient(central.url, tokens["bo"])
    assert bo.back_office(d.code, "start_processing").status_code == 200
    assert bo.back_office(d.code, "result_ready").status_code == 200
    assert c.engine.sync_once()
    assert c.store.dossiers.get(d.uid)["status"] == Status.READY
    # the counter goes offline and hands the result over ...
    proxy.set("refuse")
    c.desk.act(d.uid, Action.HAND_OVER, data={"receiver_name": "Lê Văn Cường", "fee": 0})
    assert c.engine.sync_once() is False
    # ... while the back office asks for a supplement
    r = bo.back_office(d.code, "request_supplement", note="Thiếu bản sao giấy khai sinh")
    assert r.status_code == 200, r.text
    proxy.set("pass")
    assert c.engine.sync_once()
    st = c.engine.status()
    assert st.pending == 0 and st.conflicts == 1
    rejected = c.store.outbox.rejected()
    assert rejected[0]["action"] == "hand_over"
    assert rejected[0]["result"]["status"] == "conflict"
    assert "Yêu cầu bổ sung" in rejected[0]["result"]["reason"]
    local = c.store.dossiers.get(d.uid)
    assert local["status"] == Status.AWAITING_SUPPLEMENT  # the centre's fact stands
    # ... and the counter's fact is kept in the history, at the counter and at the centre
    assert any(e["action"] == "conflict" and "hand_over" in str(e["data"]) for e in local["events"])
    assert (
        central.db.dossiers.conflicts(d.uid, office=OFFICE)[0]["op"]["data"]["receiver_name"]
        == "Lê Văn Cường"
    )
    bo.close()
    c.close()


def test_a_counter_whose_clock_is_hours_wrong_still_syncs(tmp_path, central, tokens):
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(tmp_path / "q1", central.url, token, slot)
    import time as _time

    real = _time.time
    try:
        # The PC's clock runs five hours fast (a dead CMOS battery after a power cut).
        import counter_tui.sync.client as client_mod

        client_mod.time.time = lambda: real() + 5 * 3600  # type: ignore[attr-defined]
        c.clock.now = datetime(2026, 11, 25, 8, 0) + timedelta(hours=5)
        d1 = c.receive("Phạm Thị Dung", "001185000123")
        assert c.engine.sync_once() is True
        st = c.engine.status()
        assert st.skew_s is not None and st.skew_s < -4 * 3600
        assert any("lệch" in w.vi for w in st.warnings)
    finally:
        client_mod.time.time = real  # type: ignore[attr-defined]
    c.clock.now = datetime(2026, 11, 25, 8, 30)
    d2 = c.receive("Phạm Văn Em", "001085000456")
    assert c.engine.sync_once() is True
    assert central.db.dossiers.count() == 2
    assert {central.db.dossiers.by_code(OFFICE, x.code)[0]["uid"] for x in (d1, d2)} == {
        d1.uid,
        d2.uid,
    }
    assert not any("lệch" in w.vi for w in c.engine.status().warnings)
    c.close()


def test_expired_cursor_triggers_full_resync_keeping_the_outbox(tmp_path, central, tokens):
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(tmp_path / "q1", central.url, token, slot)
    c.receive("Võ Thị Giang", "048190000001")
    assert c.engine.sync_once()
    c.store.meta.set("cursor", "oldepoch:12")
    pending_doc = c.receive("Võ Văn Hải", "048090000002")
    assert c.engine.sync_once()
    st = c.engine.status()
    assert st.resyncs == 1 and st.pending == 0
    assert central.db.dossiers.by_code(OFFICE, pending_doc.code) is not None
    c.close()


def test_background_engine_syncs_after_a_write(tmp_path, central, tokens):
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(tmp_path / "q1", central.url, token, slot)
    c.engine.start()
    d = c.receive("Đỗ Thị Lan", "036185000321")
    import time

    deadline = time.time() + 20
    while time.time() < deadline and central.db.dossiers.by_code(OFFICE, d.code) is None:
        time.sleep(0.05)
    assert central.db.dossiers.by_code(OFFICE, d.code) is not None
    c.close()


def test_the_counters_cycle_actions_reach_the_centre(tmp_path, central, tokens):
    """Transfer, result back and an apology with a new date, recorded at the counter, arrive."""
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(tmp_path / "q1", central.url, token, slot)
    d = c.receive("Trần Thị Bình", "079185000001")
    c.desk.act(d.uid, Action.TRANSFER, data={"unit": "Tư pháp", "person": "Đỗ Văn Bảy"})
    new_due = c.desk.reschedule_date(d.uid, "04/12/2026 16:00")
    c.desk.act(d.uid, Action.RESCHEDULE, note="Chờ xác minh", data={"new_due": new_due.isoformat()})
    c.desk.act(d.uid, Action.RESULT_BACK, data={"unit": "Tư pháp", "person": "Đỗ Văn Bảy"})
    assert c.engine.sync_once() is True
    assert c.engine.status().conflicts == 0 and c.store.outbox.rejected() == []
    at_centre = central.db.dossiers.by_code(OFFICE, d.code)[0]
    assert at_centre["status"] == Status.READY
    assert at_centre["due_at"] == "2026-12-04T16:00:00" and at_centre["reschedules"] == 1
    c.close()


def test_an_action_saved_while_a_page_is_pulled_is_never_undone(tmp_path, central, tokens):
    """The clerk's action commits just as the engine starts writing a pulled page that
    holds the centre's older copy of the same dossier. The action stays, unconfirmed and
    pending; it is not replaced by the older copy marked confirmed. (The interleaving is
    forced by running the action at the moment the engine opens its transaction: the one
    stand-in here, since thread scheduling cannot be chosen otherwise.)"""
    import contextlib

    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(tmp_path / "q1", central.url, token, slot)
    d = c.receive("Trần Thị Bình", "079185000001")
    c.engine._push_all()  # the centre has the dossier at version 1, in its feed
    real = c.store.transaction
    armed = [True]

    @contextlib.contextmanager
    def clerk_first():
        if armed[0]:
            armed[0] = False
            c.desk.act(d.uid, Action.TRANSFER, data={"unit": "Tư pháp"})
        with real() as t:
            yield t

    c.store.transaction = clerk_first
    try:
        c.engine._pull_all()
    finally:
        c.store.transaction = real
    assert not armed[0]  # the action did run in the window
    assert c.desk.dossier(d.uid).status == Status.PROCESSING
    assert c.desk.sync_state(d.uid).confirmed is False
    assert c.store.outbox.pending_count() == 1
    c.close()
