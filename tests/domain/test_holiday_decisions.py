"""Holiday decisions as data: the 2026 New Year swap the `holidays` package misses, Tết
decided or not, and a table a counter can receive and apply as a value."""

from datetime import date, datetime

import pytest

from counter_tui.config_files import holidays_path
from counter_tui.domain.calendar import (
    CalendarError,
    HolidayDecisions,
    WorkCalendar,
    load_calendar,
)
from counter_tui.domain.catalog import ProcessingTime, TimeUnit

ONE_DAY = ProcessingTime(1, TimeUnit.WORKING_DAYS)


@pytest.fixture
def seeded() -> WorkCalendar:
    return load_calendar(holidays_path())


def test_with_the_2026_decision_new_year_eve_receipt_is_due_monday(seeded):
    due = seeded.due_date(datetime(2025, 12, 31, 10, 0), ONE_DAY)
    assert due.date() == date(2026, 1, 5)  # 1/1 holiday, 2/1 off (swapped), weekend


def test_with_the_2026_decision_saturday_10_january_is_a_working_day(seeded):
    due = seeded.due_date(datetime(2026, 1, 9, 10, 0), ONE_DAY)
    assert due.date() == date(2026, 1, 10)


def test_without_the_decision_the_package_alone_gets_2_january_wrong():
    # The reason the table exists: the package has not caught up with letter 12729/VPCP-KGVX.
    bare = WorkCalendar()
    assert bare.due_date(datetime(2025, 12, 31, 10, 0), ONE_DAY).date() == date(2026, 1, 2)


def test_every_seeded_entry_names_its_source(seeded):
    d = seeded.decisions
    assert d.off[date(2026, 1, 2)].source.startswith("Công văn 12729/VPCP-KGVX")
    assert d.work[date(2026, 1, 10)].source.startswith("Công văn 12729/VPCP-KGVX")
    assert date(2026, 8, 31) in d.off and date(2026, 8, 22) in d.work
    assert all(o.source for o in [*d.off.values(), *d.work.values(), *d.tet.values()])


def test_a_year_without_a_tet_decision_warns_around_tet_only(seeded):
    assert seeded.tet_decided(2026) and not seeded.tet_decided(2027)
    assert seeded.tet_warning(date(2026, 2, 23)) is None  # decided
    warning = seeded.tet_warning(date(2027, 2, 8))  # Tết 2027, undecided
    assert warning is not None and "Chưa có quyết định nghỉ Tết năm 2027" in warning.vi
    assert seeded.tet_warning(date(2027, 6, 1)) is None  # far from Tết
    assert seeded.undecided_tet_years([2026, 2027]) == [2027]


def test_a_decided_tet_break_closes_every_day_in_it():
    table = HolidayDecisions.from_dict(
        {"tet": [{"year": 2027, "first": "2027-02-03", "last": "2027-02-11", "source": "QĐ x"}]}
    )
    cal = WorkCalendar().with_decisions(table)
    assert not cal.is_working_day(date(2027, 2, 3))  # a Wednesday the package keeps open
    assert cal.tet_warning(date(2027, 2, 8)) is None


def test_the_table_round_trips_and_replaces_the_old_one(seeded):
    again = HolidayDecisions.from_dict(seeded.decisions.to_dict())
    assert again == seeded.decisions
    emptied = seeded.with_decisions(HolidayDecisions())
    assert emptied.is_working_day(date(2026, 1, 2))  # back to the package's view
    assert emptied.hours == seeded.hours


@pytest.mark.parametrize(
    "raw",
    [
        {"off": [{"date": "2026-01-02"}]},  # no source
        {"off": [{"date": "2026-13-02", "source": "x"}]},  # no such date
        {"tet": [{"year": 2027, "first": "2027-02-11", "last": "2027-02-03", "source": "x"}]},
    ],
)
def test_a_malformed_table_is_refused_with_a_vietnamese_reason(raw):
    with pytest.raises(CalendarError) as info:
        HolidayDecisions.from_dict(raw, "(trung tâm)")
    assert "(trung tâm)" in info.value.msg.vi
