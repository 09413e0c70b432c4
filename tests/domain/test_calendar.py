"""Working days, office hours and due dates, on fixed dates (never today's)."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter_tui.domain.calendar import (
    DayOverride,
    OfficeHours,
    Timeliness,
    WorkCalendar,
    load_calendar,
)
from counter_tui.domain.catalog import ProcessingTime, TimeUnit
from counter_tui.domain.messages import DomainError

CAL = WorkCalendar()
DAYS3 = ProcessingTime(3, TimeUnit.WORKING_DAYS)
SAME_DAY = ProcessingTime(0, TimeUnit.SAME_WORKING_DAY, time(15, 0))


def dt(*a):
    return datetime(*a)


def test_holidays_and_make_up_saturdays():
    assert not CAL.is_working_day(date(2026, 2, 17))  # Tết
    assert not CAL.is_working_day(date(2026, 9, 2))
    assert not CAL.is_working_day(date(2026, 11, 29))  # Sunday
    assert CAL.is_working_day(date(2026, 8, 22))  # make-up Saturday
    assert not CAL.is_working_day(date(2026, 8, 31))  # the day swapped off
    assert CAL.is_working_day(date(2026, 11, 27))


def test_three_working_days_skip_the_weekend():
    assert CAL.due_date(dt(2026, 11, 26, 9, 0), DAYS3) == dt(2026, 12, 1, 9, 0)


def test_receipt_in_lunch_counts_from_the_afternoon():
    assert CAL.due_date(dt(2026, 11, 25, 12, 0), ProcessingTime(4, TimeUnit.WORKING_HOURS)) == (
        dt(2026, 11, 26, 7, 30)
    )


def test_vietnam_cultural_day_is_a_day_off():
    # 24/11/2026 is a holiday in holidays 0.109: work received the day before skips it
    assert CAL.due_date(dt(2026, 11, 23, 16, 0), ProcessingTime(2, TimeUnit.WORKING_HOURS)) == (
        dt(2026, 11, 25, 8, 0)
    )


def test_receipt_after_hours_counts_from_the_next_opening():
    # Friday evening: the clock starts Monday 07:00, three full days end Wednesday 17:00
    assert CAL.due_date(dt(2026, 11, 27, 18, 0), DAYS3) == dt(2026, 12, 2, 17, 0)
    assert CAL.due_date(dt(2026, 11, 30, 6, 0), DAYS3) == dt(2026, 12, 2, 17, 0)


def test_tet_pushes_the_due_date_past_the_holiday():
    due = CAL.due_date(dt(2026, 2, 13, 9, 0), DAYS3)  # Friday before Tết (16-20/2)
    assert due == dt(2026, 2, 25, 9, 0)


def test_same_day_before_cutoff_is_due_that_evening_after_cutoff_next_day():
    assert CAL.due_date(dt(2026, 11, 25, 14, 59), SAME_DAY) == dt(2026, 11, 25, 17, 0)
    assert CAL.due_date(dt(2026, 11, 25, 15, 0), SAME_DAY) == dt(2026, 11, 26, 17, 0)
    assert CAL.due_date(dt(2026, 11, 27, 15, 30), SAME_DAY) == dt(2026, 11, 30, 17, 0)
    assert CAL.due_date(dt(2026, 11, 28, 9, 0), SAME_DAY) == dt(2026, 11, 30, 17, 0)


def test_calendar_days_never_fall_on_a_day_off():
    due = CAL.due_date(dt(2026, 11, 2, 9, 0), ProcessingTime(27, TimeUnit.CALENDAR_DAYS))
    assert due.date() == date(2026, 11, 30)  # 29/11 is a Sunday


def test_supplement_pause_extends_by_the_working_time_it_lasted():
    due = dt(2026, 11, 30, 9, 0)
    # paused Wed 25/11 09:00, resumed Thu 26/11 09:00: 8 working hours lost
    assert CAL.extend_for_pause(due, dt(2026, 11, 25, 9, 0), dt(2026, 11, 26, 9, 0)) == dt(
        2026, 12, 1, 9, 0
    )
    # a pause over a weekend costs only the working time
    assert CAL.extend_for_pause(due, dt(2026, 11, 27, 17, 0), dt(2026, 11, 30, 7, 0)) == due


def test_overrides_file_adds_days_off_and_working_days(tmp_path):
    f = tmp_path / "holidays.toml"
    f.write_text(
        "[[off]]\ndate = 2026-12-31\nreason = 'x'\nsource = 'QĐ 1/UBND'\n"
        "[[work]]\ndate = 2026-12-05\nreason = 'làm bù'\nsource = 'QĐ 2/UBND'\n",
        encoding="utf-8",
    )
    cal = load_calendar(f)
    assert not cal.is_working_day(date(2026, 12, 31))
    assert cal.is_working_day(date(2026, 12, 5))
    assert cal.extra_off[date(2026, 12, 31)] == DayOverride(date(2026, 12, 31), "x", "QĐ 1/UBND")


def test_override_without_source_is_rejected(tmp_path):
    f = tmp_path / "holidays.toml"
    f.write_text("[[off]]\ndate = 2026-12-31\n", encoding="utf-8")
    with pytest.raises(DomainError) as info:
        load_calendar(f)
    assert "source" in info.value.text("vi")


def test_classification_by_date():
    due = dt(2026, 11, 30, 9, 0)
    assert CAL.classify_finished(due, dt(2026, 11, 27, 16, 0)) is Timeliness.EARLY
    assert CAL.classify_finished(due, dt(2026, 11, 30, 16, 0)) is Timeliness.ON_TIME
    assert CAL.classify_finished(due, dt(2026, 12, 1, 7, 0)) is Timeliness.LATE
    assert CAL.classify_open(due, dt(2026, 11, 30, 16, 0)) is Timeliness.WITHIN
    assert CAL.classify_open(due, dt(2026, 12, 1, 7, 0)) is Timeliness.OVERDUE


def test_bad_office_hours_are_refused():
    with pytest.raises(DomainError):
        OfficeHours(((time(13, 0), time(12, 0)),))


def _in_hours(cal: WorkCalendar, at: datetime) -> bool:
    return cal.is_working_day(at.date()) and any(s <= at.time() <= e for s, e in cal.hours.sessions)


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31))
times = st.one_of(
    st.builds(ProcessingTime, st.integers(1, 30), st.just(TimeUnit.WORKING_DAYS)),
    st.builds(ProcessingTime, st.integers(1, 40), st.just(TimeUnit.WORKING_HOURS)),
    st.builds(ProcessingTime, st.integers(1, 60), st.just(TimeUnit.CALENDAR_DAYS)),
    st.just(SAME_DAY),
)


@settings(max_examples=300, deadline=None)
@given(received=moments, processing=times)
def test_a_due_date_is_always_in_office_hours_on_a_working_day(received, processing):
    due = CAL.due_date(received, processing)
    assert _in_hours(CAL, due)
    assert due > received


@settings(max_examples=200, deadline=None)
@given(received=moments, pause_start=st.integers(0, 500), pause_len=st.integers(0, 500))
def test_a_pause_never_brings_the_due_date_forward(received, pause_start, pause_len):
    due = CAL.due_date(received, DAYS3)
    paused = received + timedelta(hours=pause_start)
    resumed = paused + timedelta(hours=pause_len)
    extended = CAL.extend_for_pause(due, paused, resumed)
    assert extended >= due
    assert _in_hours(CAL, extended)
