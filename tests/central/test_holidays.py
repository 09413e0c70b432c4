"""Holiday decisions from the centre (issue 13, item 5): a table seeded from
config/holidays.toml on first migrate, edited by an operator, sent to the counters with the
catalog (ETag, cached offline) and used from the next receipt; earlier due dates stay."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

from counter_tui.central import migrate
from counter_tui.domain.calendar import WorkCalendar
from counter_tui.domain.dossier import Applicant
from counter_tui.usecases.desk import Desk
from tests.support.counter import make_counter

ONE_DAY = "1.010041"  # 1 working day
SOURCE = "Công văn 12729/VPCP-KGVX của Văn phòng Chính phủ"


def cli(db, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "counter_tui.cli", "--lang=en", "central", "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_table_is_seeded_once_and_edited_by_the_operator(central_db):
    for _ in range(2):  # safe to run twice
        run = cli(central_db, "migrate")
        assert run.returncode == 0, run.stderr
        assert f"revision {migrate.head()}" in run.stdout  # 0003 seeds holidays, or later
    shown = cli(central_db, "holidays", "list", "--year", "2026").stdout
    assert "off  2026-01-02" in shown and "12729/VPCP-KGVX" in shown
    assert "work 2026-01-10" in shown and "tet  2026-02-14..2026-02-22" in shown
    # No source, or a Tết break ending before it starts: refused, saying why; nothing changes.
    before = cli(central_db, "holidays", "list").stdout
    bad = cli(central_db, "holidays", "add", "off", "2027-01-04", "--source", " ")
    assert bad.returncode == 2 and "source" in bad.stderr
    bad = cli(central_db, "holidays", "add", "tet", "2027-02-10", "--last", "2027-02-01",
              "--source", "x")  # fmt: skip
    assert bad.returncode == 2 and "--last" in bad.stderr
    bad = cli(central_db, "holidays", "add", "work", "2026-01-02", "--source", "x")
    assert bad.returncode == 2 and "already a decided 'off' day" in bad.stderr
    assert cli(central_db, "holidays", "list").stdout == before
    added = cli(central_db, "holidays", "add", "tet", "2027-02-05", "--last", "2027-02-13",
                "--source", "Thông báo nghỉ Tết Đinh Mùi (thử)")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "tet  2027-02-05..2027-02-13 (Tết 2027)" in cli(central_db, "holidays", "list").stdout
    gone = cli(central_db, "holidays", "remove", "tet", "2027")
    assert gone.returncode == 0, gone.stderr
    assert cli(central_db, "holidays", "list").stdout == before
    assert cli(central_db, "holidays", "remove", "tet", "2027").returncode == 2
    # A seeded decision the operator removed is not seeded again by a later migrate.
    assert cli(central_db, "holidays", "remove", "off", "2026-08-31").returncode == 0
    assert cli(central_db, "migrate").returncode == 0
    assert "2026-08-31" not in cli(central_db, "holidays", "list").stdout


def receive(desk: Desk):
    d = desk.draft(ONE_DAY, Applicant("Trần Thị Bình", citizen_id="079185000001"))
    for item in d.documents:
        item.received = True
    return desk.receive(d)


def test_a_decision_added_at_the_centre_changes_the_next_due_date_not_earlier_ones(
    tmp_path, central, tokens
):
    db = central.db_path
    # The centre's table without the January 2026 swap (as before the letter was known).
    for kind, day in (("off", "2026-01-02"), ("work", "2026-01-10")):
        assert cli(db, "holidays", "remove", kind, day).returncode == 0
    q1, token = tokens["q1"]
    c = make_counter(tmp_path / "q1", central.url, token, q1.slot, start=datetime(2025, 12, 31, 9))
    assert c.engine.sync_once()
    c.clock.now = datetime(2025, 12, 31, 10, 0)
    first = receive(c.desk)
    assert first.due.date() == date(2026, 1, 2)
    assert c.engine.sync_once()
    tag_before = c.store.catalog.cached()[1]
    # The operator records the decision: 2 January off, Saturday 10 January worked.
    added = cli(db, "holidays", "add", "off", "2026-01-02", "--source", SOURCE,
                "--reason", "Nghỉ Tết Dương lịch 2026")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert cli(db, "holidays", "add", "work", "2026-01-10", "--source", SOURCE).returncode == 0
    assert c.engine.sync_once()
    assert c.store.catalog.cached()[1] != tag_before  # a new ETag: fetched again
    c.clock.now = datetime(2025, 12, 31, 10, 0)
    second = receive(c.desk)
    assert second.due.date() == date(2026, 1, 5)
    assert c.engine.sync_once()
    # The earlier dossier keeps its due date, at the counter and at the centre.
    assert c.desk.dossier(first.uid).due.date() == date(2026, 1, 2)
    at_centre = central.db.dossiers.by_uid(first.office, first.uid)[0]
    assert at_centre["due_at"].startswith("2026-01-02")
    # The sync engine holds the new calendar too, and the table is cached for a restart
    # without the network (the desk starts from the bare calendar here).
    assert date(2026, 1, 2) in c.engine.calendar.extra_off
    again = Desk(c.store, c.desk.catalog, WorkCalendar(), c.desk.identity, clock=c.clock)
    assert again.calendar.extra_off[date(2026, 1, 2)].source == SOURCE
    assert date(2026, 1, 10) in again.calendar.extra_work
    c.close()
