"""The working-day calendar: office hours, holidays, make-up Saturdays, due dates.

Public holidays and make-up working Saturdays come from the ``holidays``
package; ``config/holidays.toml`` adds the province's own decisions. Due dates
are counted in working time from the first opening at or after receipt, so a
due date always falls inside office hours on a working day.

Granularity of on-time classification: by date (the common reading of the
rules, DOMAIN.md section 4.2): a result handed over any time on the due date is
on time.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from counter_tui.domain.catalog import ProcessingTime, TimeUnit
from counter_tui.domain.messages import DomainError, Msg

DEFAULT_SESSIONS: tuple[tuple[time, time], ...] = (
    (time(7, 0), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
HOURS_PER_DAY = 8.0


class CalendarError(DomainError):
    pass


@dataclass(frozen=True)
class OfficeHours:
    """Daily sessions, e.g. 07:00-11:30 and 13:30-17:00 (lunch break between)."""

    sessions: tuple[tuple[time, time], ...] = DEFAULT_SESSIONS

    def __post_init__(self) -> None:
        if not self.sessions:
            raise CalendarError("hours.empty", Msg("Chưa có giờ làm việc.", "No office hours."))
        prev_end: time | None = None
        for start, end in self.sessions:
            if start >= end or (prev_end is not None and start < prev_end):
                raise CalendarError(
                    "hours.order",
                    Msg(
                        "Giờ làm việc phải tăng dần và không chồng nhau.",
                        "Office sessions must be in order and not overlap.",
                    ),
                )
            prev_end = end

    @property
    def opening(self) -> time:
        return self.sessions[0][0]

    @property
    def closing(self) -> time:
        return self.sessions[-1][1]


@dataclass(frozen=True)
class DayOverride:
    day: date
    reason: str
    source: str


class Timeliness(StrEnum):
    EARLY = "early"  # trước hạn
    ON_TIME = "on_time"  # đúng hạn
    LATE = "late"  # trễ hạn
    WITHIN = "within"  # trong hạn (open)
    OVERDUE = "overdue"  # quá hạn (open)

    @property
    def vi(self) -> str:
        return {
            "early": "Trước hạn",
            "on_time": "Đúng hạn",
            "late": "Trễ hạn",
            "within": "Trong hạn",
            "overdue": "Quá hạn",
        }[self.value]


@lru_cache(maxsize=64)
def _vn_holidays(year: int) -> tuple[frozenset[date], frozenset[date]]:
    import holidays  # imported on first use: it costs ~70 ms, and startup comes first

    vn = holidays.country_holidays("VN", years=year)
    days_off = frozenset(d for d in vn if d.year == year)
    workdays = frozenset(d for d in getattr(vn, "weekend_workdays", ()) if d.year == year)
    return days_off, workdays


@dataclass
class WorkCalendar:
    """Which days are working days, and working-time arithmetic over office hours."""

    hours: OfficeHours = field(default_factory=OfficeHours)
    extra_off: dict[date, DayOverride] = field(default_factory=dict)
    extra_work: dict[date, DayOverride] = field(default_factory=dict)
    weekend: frozenset[int] = frozenset({5, 6})

    def is_working_day(self, d: date) -> bool:
        if d in self.extra_work:
            return True
        if d in self.extra_off:
            return False
        off, make_up = _vn_holidays(d.year)
        if d in make_up:
            return True
        if d in off:
            return False
        return d.weekday() not in self.weekend

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        d += timedelta(days=1)
        for _ in range(400):
            if self.is_working_day(d):
                return d
            d += timedelta(days=1)
        raise CalendarError(
            "calendar.closed", Msg("Không có ngày làm việc nào.", "No working day.")
        )

    def working_day_on_or_after(self, d: date) -> date:
        return d if self.is_working_day(d) else self.next_working_day(d)

    def next_opening(self, at: datetime) -> datetime:
        """``at`` if the office is open then, else the start of the next session."""
        d, t = at.date(), at.time()
        if self.is_working_day(d):
            for start, end in self.hours.sessions:
                if t < start:
                    return datetime.combine(d, start, at.tzinfo)
                if start <= t < end:
                    return at
        nd = self.next_working_day(d)
        return datetime.combine(nd, self.hours.opening, at.tzinfo)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant ``hours`` of office time after ``start`` (itself moved into hours)."""
        remaining = timedelta(hours=hours)
        cur = self.next_opening(start) if hours > 0 else start
        for _ in range(100_000):
            d = cur.date()
            for s, e in self.hours.sessions:
                s_dt = datetime.combine(d, s, cur.tzinfo)
                e_dt = datetime.combine(d, e, cur.tzinfo)
                if cur >= e_dt:
                    continue
                begin = max(cur, s_dt)
                available = e_dt - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                cur = e_dt
            cur = datetime.combine(self.next_working_day(d), self.hours.opening, cur.tzinfo)
        raise CalendarError("calendar.loop", Msg("Thời hạn quá dài.", "Duration too long."))

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time elapsed between two instants (zero if ``b`` <= ``a``)."""
        if b <= a:
            return timedelta(0)
        total = timedelta(0)
        d = a.date()
        while d <= b.date():
            if self.is_working_day(d):
                for s, e in self.hours.sessions:
                    s_dt = datetime.combine(d, s, a.tzinfo)
                    e_dt = datetime.combine(d, e, a.tzinfo)
                    lo, hi = max(a, s_dt), min(b, e_dt)
                    if hi > lo:
                        total += hi - lo
            d += timedelta(days=1)
        return total

    def end_of_day(self, d: date, tz: tzinfo | None = None) -> datetime:
        return datetime.combine(d, self.hours.closing, tz)

    def due_date(self, received_at: datetime, processing: ProcessingTime) -> datetime:
        """When the result is due, for a complete dossier received at ``received_at``."""
        start = self.next_opening(received_at)
        unit = processing.unit
        if unit is TimeUnit.SAME_WORKING_DAY:
            cutoff = processing.cutoff or time(15, 0)
            day = start.date()
            if start.time() >= cutoff:
                day = self.next_working_day(day)
            return self.end_of_day(day, received_at.tzinfo)
        if unit is TimeUnit.WORKING_DAYS:
            return self.add_working_hours(start, processing.value * HOURS_PER_DAY)
        if unit is TimeUnit.WORKING_HOURS:
            return self.add_working_hours(start, processing.value)
        if unit is TimeUnit.CALENDAR_DAYS:
            day = received_at.date() + timedelta(days=round(processing.value))
            return self.end_of_day(self.working_day_on_or_after(day), received_at.tzinfo)
        raise CalendarError("calendar.unit", Msg("Đơn vị thời gian lạ.", "Unknown time unit."))

    def extend_for_pause(
        self, due: datetime, paused_at: datetime, resumed_at: datetime
    ) -> datetime:
        """Push ``due`` back by the office time the supplement pause lasted."""
        lost = self.working_time_between(paused_at, resumed_at)
        if lost <= timedelta(0):
            return due
        return self.add_working_hours(due, lost.total_seconds() / 3600)

    @staticmethod
    def classify_finished(due: datetime, finished_at: datetime) -> Timeliness:
        fd, dd = finished_at.date(), due.date()
        if fd < dd:
            return Timeliness.EARLY
        if fd == dd:
            return Timeliness.ON_TIME
        return Timeliness.LATE

    @staticmethod
    def classify_open(due: datetime, at: datetime) -> Timeliness:
        return Timeliness.OVERDUE if at.date() > due.date() else Timeliness.WITHIN


def _overrides(items: Iterable[object], kind: str, path: str) -> dict[date, DayOverride]:
    out: dict[date, DayOverride] = {}
    for i, item in enumerate(items):
        where = f"{path}: [[{kind}]] #{i + 1}"
        if not isinstance(item, dict):
            raise CalendarError("holidays.entry", Msg(f"{where}: cần một bảng.", f"{where}: table"))
        d = item.get("date")
        if not isinstance(d, date) or isinstance(d, datetime):
            raise CalendarError(
                "holidays.date",
                Msg(
                    f"{where}, trường 'date': cần ngày dạng 2026-01-02.", f"{where}, 'date': a date"
                ),
                "date",
            )
        source = item.get("source")
        if not isinstance(source, str) or not source.strip():
            raise CalendarError(
                "holidays.source",
                Msg(f"{where}, trường 'source': cần ghi nguồn.", f"{where}, 'source': required"),
                "source",
            )
        out[d] = DayOverride(d, str(item.get("reason", "")), source)
    return out


def _parse_sessions(raw: object, path: str) -> tuple[tuple[time, time], ...]:
    if not isinstance(raw, list) or not raw:
        raise CalendarError(
            "hours.format", Msg(f"{path}: 'sessions' sai.", f"{path}: bad sessions")
        )
    sessions = []
    for pair in raw:
        try:
            a, b = pair
            sessions.append((time.fromisoformat(a), time.fromisoformat(b)))
        except (TypeError, ValueError) as exc:
            raise CalendarError(
                "hours.format",
                Msg(f"{path}: giờ làm việc {pair!r} sai.", f"{path}: bad session {pair!r}"),
            ) from exc
    return tuple(sessions)


def load_calendar(path: str | Path | None, sessions: object = None) -> WorkCalendar:
    """Build the calendar from the overrides file (if any) and optional session list."""
    hours = OfficeHours(_parse_sessions(sessions, "settings")) if sessions else OfficeHours()
    if path is None or not Path(path).exists():
        return WorkCalendar(hours=hours)
    shown = str(path)
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CalendarError(
            "holidays.toml", Msg(f"{shown}: TOML sai: {exc}", f"{shown}: invalid TOML: {exc}")
        ) from exc
    return WorkCalendar(
        hours=hours,
        extra_off=_overrides(doc.get("off", []), "off", shown),
        extra_work=_overrides(doc.get("work", []), "work", shown),
    )
