"""One data layer, two engines: migrations, the workers switch, and the guarantees of the sync
protocol under concurrent workers (on PostgreSQL, the engine that has them)."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from counter_tui.central.app import PushRequest
from counter_tui.central.db import CentralDB
from counter_tui.domain.status import Status
from tests.support.central import OFFICE, CentralProcess, cli, db_target
from tests.support.counter import make_counter

PUSH_FIELDS = set(PushRequest.model_fields["ops"].annotation.__args__[0].model_fields)  # type: ignore[union-attr]


def test_migrate_brings_either_engine_to_the_schema_and_is_safe_twice(central_db):
    first = cli("central", "--db", str(central_db), "migrate")
    assert first.returncode == 0, first.stderr
    again = cli("central", "--db", str(central_db), "migrate")
    assert again.returncode == 0 and again.stdout == first.stdout
    assert "schema at revision" in first.stdout and "None" not in first.stdout
    assert cli("central", "--db", str(central_db), "add-office", OFFICE, "UBND").returncode == 0
    assert (
        "audit chain intact: 1 entries"
        in cli("central", "--db", str(central_db), "audit", "verify").stdout
    )


def test_a_password_in_the_url_is_never_printed(tmp_path):
    # Only a PostgreSQL URL carries a password, so this runs on that engine alone.
    with db_target("postgresql", tmp_path) as target:
        url = str(target).replace("postgres@", "postgres:s3cret-pw@")
        _password_never_printed(url)


def _password_never_printed(url: str) -> None:
    out = cli("central", "--db", url, "migrate")
    assert out.returncode == 0, out.stderr
    assert "s3cret-pw" not in out.stdout + out.stderr and "***" in out.stdout


OLD_SCHEMA = """
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE offices (code TEXT PRIMARY KEY, name TEXT NOT NULL, next_slot INTEGER NOT NULL DEFAULT 1);
CREATE TABLE clients (id INTEGER PRIMARY KEY AUTOINCREMENT, office TEXT NOT NULL, name TEXT NOT NULL,
    role TEXT NOT NULL, slot INTEGER, token_hash TEXT NOT NULL UNIQUE,
    last_seq INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL);
CREATE TABLE dossiers (uid TEXT PRIMARY KEY, office TEXT NOT NULL, code TEXT NOT NULL UNIQUE,
    citizen_id TEXT, version INTEGER NOT NULL, doc BLOB NOT NULL, received_at_server REAL NOT NULL);
CREATE TABLE conflicts (id INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT, client_id INTEGER,
    seq INTEGER, reason TEXT NOT NULL, op BLOB NOT NULL, at REAL NOT NULL);
INSERT INTO meta VALUES ('epoch', 'oldepoch0001'), ('version', '41');
INSERT INTO offices VALUES ('000.00.00.H56', 'UBND xã Quảng Phú', 2);
INSERT INTO clients(office, name, role, slot, token_hash, last_seq, created_at)
    VALUES ('000.00.00.H56', 'Q1', 'counter', 1, 'x', 7, 0);
INSERT INTO dossiers VALUES ('u1', '000.00.00.H56', 'C1', NULL, 41, X'7B7D', 0);
INSERT INTO conflicts(uid, client_id, seq, reason, op, at) VALUES ('u1', 1, 3, 'r', X'7B7D', 0);
"""


def test_a_file_from_before_migrations_keeps_its_data_epoch_and_cursors(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    conn.close()
    out = cli("central", "--db", str(path), "migrate")
    assert out.returncode == 0, out.stderr
    db = CentralDB(path)
    assert db.epoch == "oldepoch0001"  # counters' cursors stay valid: no resync for anyone
    assert db.dossiers.count() == 1 and db.clients.all()[0]["last_seq"] == 7
    assert db.dossiers.conflicts(office=OFFICE)[0]["seq"] == 3  # the conflict knows its office now
    client, _token = db.clients.add(OFFICE, "Q2")
    assert client.slot == 2
    # The office's feed carries on above every version a counter may hold.
    with db.write() as tx:
        assert tx.dossiers.update({"uid": "u1", "code": "C1"}, OFFICE) == 42
    db.close()


def test_several_workers_need_postgresql(tmp_path):
    out = cli("central", "--db", str(tmp_path / "c.sqlite3"), "serve", "--workers", "2")
    assert out.returncode == 2 and "PostgreSQL" in out.stderr


def test_concurrent_workers_keep_the_protocol_guarantees(tmp_path, central_db, engine):
    """Four counters push in small batches while two readers poll the feed, against a service
    with several workers (PostgreSQL) or its one worker (SQLite). Each operation is applied
    once (even when one batch is pushed twice at the same moment), no reader ever passes a
    version that commits later (it would miss that dossier), and the audit chain has no fork."""
    workers = ["--workers", "3"] if engine == "postgresql" else []
    central = CentralProcess(central_db, extra=workers, log_path=tmp_path / "central.log")
    central.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    counters = []
    for i in range(4):
        client, token = central.db.clients.add(OFFICE, f"Q{i + 1}")
        counters.append((client, token))
    _bo, bo_token = central.db.clients.add(OFFICE, "Tư pháp", role="backoffice")
    central.start()
    try:
        made = []
        for i, (client, token) in enumerate(counters):
            c = make_counter(tmp_path / f"q{i}", central.url, token, client.slot, name=client.name)
            c.engine.batch = 3
            for k in range(24):
                c.receive(f"Người Số {i} {k}", f"0791850{i:02d}{k:03d}")
            made.append(c)
        expected = {d["uid"] for c in made for d in c.store.outbox.pending(limit=1000)}
        # One batch pushed twice at once, as a retry racing the original would be.
        first = [
            {k: v for k, v in op.items() if k in PUSH_FIELDS}
            for op in made[0].store.outbox.pending(limit=3)
        ]
        done = threading.Event()
        seen: list[set[str]] = [set(), set()]
        regressions: list[str] = []

        def reader(n: int) -> None:
            http = httpx.Client(
                base_url=central.url, headers={"Authorization": f"Bearer {counters[n][1]}"}
            )
            cursor, last = "", 0
            while True:
                finished = done.is_set()
                body = http.get("/v1/sync/pull", params={"cursor": cursor, "limit": 7}).json()
                for ch in body["changes"]:
                    if ch["version"] <= last:
                        regressions.append(f"{ch['version']} after {last}")
                    last = ch["version"]
                    seen[n].add(ch["uid"])
                cursor = body["cursor"]
                if finished and not body["has_more"]:
                    break
            http.close()

        def raw_push() -> dict:
            r = httpx.post(
                f"{central.url}/v1/sync/push",
                json={"ops": first},
                headers={"Authorization": f"Bearer {counters[0][1]}"},
                timeout=60,
            )
            return {"status": r.status_code, "results": r.json()["results"]}

        def sync(c) -> None:
            while c.store.outbox.pending_count():
                c.engine.sync_once()

        pushing = threading.Event()
        acted: list[str] = []

        def back_office() -> None:
            # Back-office actions on the office's dossiers while its counters push: both
            # take the office's feed row, a push batch with SELECT ... FOR UPDATE at its
            # start, an action with UPDATE ... RETURNING; the readers check the feed order.
            http = httpx.Client(
                base_url=central.url, headers={"Authorization": f"Bearer {bo_token}"}
            )
            while pushing.is_set() and len(acted) < 12:
                for uid, _v, _doc in central.db.feed.changes(OFFICE, 0, 1000):
                    if uid not in acted and len(acted) < 12:
                        r = http.post(
                            f"/v1/backoffice/dossiers/{uid}/actions",
                            json={"action": "start_processing"},
                        )
                        assert r.status_code == 200, r.text
                        acted.append(uid)
            http.close()

        with ThreadPoolExecutor(9) as pool:
            pushing.set()
            readers = [pool.submit(reader, n) for n in (0, 1)]
            dup = [pool.submit(raw_push) for _ in range(2)]
            pushers = [pool.submit(sync, c) for c in made]
            acting = pool.submit(back_office)
            for f in dup + pushers:
                f.result(timeout=240)
            pushing.clear()
            acting.result(timeout=240)
            done.set()
            for f in readers:
                f.result(timeout=240)
        a, b = (f.result() for f in dup)
        assert a == b and a["status"] == 200  # the same answer: applied once, then replayed
        assert regressions == []
        assert seen[0] == expected and seen[1] == expected
        totals = central.db.totals()
        assert totals["dossiers"] == len(expected) == totals["ops"] == 96
        assert totals["sum_last_seq"] == 96
        assert acted  # the back office acted while the counters pushed
        for uid in acted:  # and no push batch wrote over what it did
            assert central.db.dossiers.by_uid(OFFICE, uid)[0]["status"] == Status.PROCESSING
        checked, problem = central.db.audit.verify()
        assert problem is None and checked == totals["audit"]
        for c in made:
            c.close()
    finally:
        central.close()
