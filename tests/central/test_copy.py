"""``counter-tui central copy``: a commune's SQLite file moved to a new database (PostgreSQL,
or another file), verified, and the counters carry on without noticing."""

from __future__ import annotations

from counter_tui.domain.status import Action
from tests.support.central import OFFICE, CentralProcess, cli
from tests.support.counter import make_counter


def test_copy_moves_a_centre_and_the_counters_carry_on(tmp_path, central_db):
    old = CentralProcess(tmp_path / "old" / "central.sqlite3")
    old.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    q1, token = old.db.clients.add(OFFICE, "Q1")
    old.start()
    c = make_counter(tmp_path / "q1", old.url, token, q1.slot)
    first = c.receive("Trần Thị Bình", "079185000001")
    c.desk.act(first.uid, Action.WITHDRAW, note="rút")
    c.receive("Lê Văn Cường", "079185000002")
    assert c.engine.sync_once()
    old.stop()
    source = str(old.db_path)
    copied = cli("central", "copy", "--from", source, "--to", str(central_db))
    assert copied.returncode == 0, copied.stderr
    assert f"audit_head: {old.db.audit.head()}" in copied.stdout
    assert "dossiers: 2" in copied.stdout
    # A second copy into the same target is refused: it is no longer new.
    again = cli("central", "copy", "--from", source, "--to", str(central_db))
    assert again.returncode == 1 and "already holds a centre" in again.stderr
    new = CentralProcess(central_db, log_path=tmp_path / "new.log")
    new.start()
    try:
        c.client.close()
        from counter_tui.sync.client import CentralClient

        c.engine.client = c.client = CentralClient(new.url, token)
        third = c.receive("Phạm Thị Dung", "079185000003")
        assert c.engine.sync_once()
        st = c.engine.status()
        assert st.pending == 0 and st.resyncs == 0  # same epoch: no resync, same sequence
        assert new.db.dossiers.count() == 3
        assert new.db.dossiers.by_code(OFFICE, third.code) is not None
        assert new.db.audit.verify()[1] is None
        q2, _t2 = new.db.clients.add(OFFICE, "Q2")  # ids go on after the copied ones
        assert q2.id == q1.id + 1 and q2.slot == q1.slot + 1
    finally:
        c.close()
        new.close()
        old.close()
