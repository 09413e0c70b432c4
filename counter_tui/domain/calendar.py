"""The working-day calendar: office hours, holidays, make-up Saturdays, due dates.

Public holidays and make-up working Saturdays come from the ``holidays``
package; a table of decisions (:class:`HolidayDecisions`, seeded from
``config/holidays.toml``, later received from the centre) adds the days off and
make-up working days the Government or the province decided, each with its
source, and the years whose Tết break is decided. The package misses decisions
it has not caught up with (Tết Dương lịch 2026), so the table wins over it.
:meth:`WorkCalendar.with_decisions` gives the calendar for a new table; due
dates already stored on dossiers are never recomputed. Due dates are counted in
working time from the first opening at or after receipt, so a due date always
falls inside office hours on a working day.

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


@dataclass(frozen=True)
class TetDecision:
    """The decided Tết Nguyên Đán break of a year (every day in it is off)."""

    year: int
    first: date
    last: date
    source: str


@dataclass(frozen=True)
class HolidayDecisions:
    """Decided days off, make-up working days and Tết breaks, each with its source.

    A value: the seeded file gives one, the centre will send newer ones, and
    :meth:`WorkCalendar.with_decisions` applies one. ``to_dict``/``from_dict``
    are its form in the store and on the wire (dates as ISO strings).
    """

    off: dict[date, DayOverride] = field(default_factory=dict)
    work: dict[date, DayOverride] = field(default_factory=dict)
    tet: dict[int, TetDecision] = field(default_factory=dict)

    def to_dict(self) -> dict[str, list[dict[str, str | int]]]:
        def days(items: dict[date, DayOverride]) -> list[dict[str, str | int]]:
            return [
                {"date": o.day.isoformat(), "reason": o.reason, "source": o.source}
                for o in sorted(items.values(), key=lambda o: o.day)
            ]

        return {
            "off": days(self.off),
            "work": days(self.work),
            "tet": [
                {
                    "year": t.year,
                    "first": t.first.isoformat(),
                    "last": t.last.isoformat(),
                    "source": t.source,
                }
                for t in sorted(self.tet.values(), key=lambda t: t.year)
            ],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, object], shown: str = "(holidays)") -> HolidayDecisions:
        """Checked like the file: a date and a source for every entry (ISO strings allowed)."""

        def dated(items: object) -> list[object]:
            out = []
            for item in items if isinstance(items, list) else [items]:
                if isinstance(item, dict):
                    item = {
                        k: (date.fromisoformat(v) if k in _DATE_KEYS and isinstance(v, str) else v)
                        for k, v in item.items()
                    }
                out.append(item)
            return out

        try:
            return cls(
                off=_overrides(dated(raw.get("off", [])), "off", shown),
                work=_overrides(dated(raw.get("work", [])), "work", shown),
                tet=_tet(dated(raw.get("tet", [])), shown),
            )
        except ValueError as exc:
            raise CalendarError(
                "holidays.date", Msg(f"{shown}: ngày sai: {exc}", f"{shown}: bad date: {exc}")
            ) from exc


_DATE_KEYS = ("date", "first", "last")


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


@lru_cache(maxsize=16)
def tet_estimate(year: int) -> tuple[date, date]:
    """The weeks around Tết of ``year`` by the package's rules (not a decision): the
    period where an undecided break could move a due date."""
    import holidays

    vn = holidays.country_holidays("VN", years=year, language="en_US")
    days = sorted(d for d, name in vn.items() if "Lunar New Year" in name and d.year == year)
    if not days:  # the package always has Tết; keep a safe window if it ever does not
        return date(year, 1, 15), date(year, 2, 28)
    return days[0] - timedelta(days=7), days[-1] + timedelta(days=7)


@dataclass
class WorkCalendar:
    """Which days are working days, and working-time arithmetic over office hours."""

    hours: OfficeHours = field(default_factory=OfficeHours)
    extra_off: dict[date, DayOverride] = field(default_factory=dict)
    extra_work: dict[date, DayOverride] = field(default_factory=dict)
    weekend: frozenset[int] = frozenset({5, 6})
    tet: dict[int, TetDecision] = field(default_factory=dict)

    def with_decisions(self, decisions: HolidayDecisions) -> WorkCalendar:
        """This calendar (same office hours) under another table of decisions: the one a
        counter receives from the centre replaces the seeded one from the next receipt on."""
        return WorkCalendar(
            hours=self.hours,
            extra_off=dict(decisions.off),
            extra_work=dict(decisions.work),
            weekend=self.weekend,
            tet=dict(decisions.tet),
        )

    @property
    def decisions(self) -> HolidayDecisions:
        return HolidayDecisions(dict(self.extra_off), dict(self.extra_work), dict(self.tet))

    def tet_decided(self, year: int) -> bool:
        return year in self.tet

    def tet_warning(self, day: date) -> Msg | None:
        """A warning when ``day`` falls around a Tết whose break is not decided yet."""
        year = day.year
        first, last = tet_estimate(year)
        if self.tet_decided(year) or not first <= day <= last:
            return None
        return Msg(
            f"Chưa có quyết định nghỉ Tết năm {year}: ngày {day:%d/%m/%Y} nằm trong dịp Tết, "
            "hạn trả có thể phải điều chỉnh khi có quyết định.",
            f"No decision yet on the {year} Tet break: {day:%d/%m/%Y} falls around Tet; "
            "the due date may need adjusting once it is decided.",
        )

    def undecided_tet_years(self, years: Iterable[int]) -> list[int]:
        return sorted({y for y in years if not self.tet_decided(y)})

    def is_working_day(self, d: date) -> bool:
        if d in self.extra_work:
            return True
        if d in self.extra_off:
            return False
        t = self.tet.get(d.year)
        if t is not None and t.first <= d <= t.last:
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


def _tet(items: Iterable[object], path: str) -> dict[int, TetDecision]:
    out: dict[int, TetDecision] = {}
    for i, item in enumerate(items):
        where = f"{path}: [[tet]] #{i + 1}"
        if not isinstance(item, dict):
            raise CalendarError("holidays.entry", Msg(f"{where}: cần một bảng.", f"{where}: table"))
        first, last, year = item.get("first"), item.get("last"), item.get("year")
        ok = all(isinstance(x, date) and not isinstance(x, datetime) for x in (first, last))
        if not ok or not isinstance(year, int) or first > last:  # type: ignore[operator]
            raise CalendarError(
                "holidays.tet",
                Msg(
                    f"{where}: cần year, first và last (ngày, first trước last).",
                    f"{where}: year, first and last (dates, first before last) are required.",
                ),
            )
        source = item.get("source")
        if not isinstance(source, str) or not source.strip():
            raise CalendarError(
                "holidays.source",
                Msg(f"{where}, trường 'source': cần ghi nguồn.", f"{where}, 'source': required"),
                "source",
            )
        out[year] = TetDecision(year, first, last, source)  # type: ignore[arg-type]
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
    return WorkCalendar(hours=hours).with_decisions(HolidayDecisions.from_dict(doc, shown))
