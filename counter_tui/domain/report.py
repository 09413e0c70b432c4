"""The period report (DOMAIN.md section 4.2): received, resolved early / on time / late,
in progress within time / overdue, awaiting supplement, withdrawn, the on-time rate.

Each dossier is judged from its own history (events carry the status they led
to), so a report for last month says what was true at the end of last month,
not what is true today. Choices, also in docs/reports.md:

- Granularity is the date: resolved on the due date is on time (the common reading).
- "Resolved" is the moment the result was ready (status 9); handing it over
  later does not make it late. A result sent back for supplement is unresolved again.
- The deadline judged is the legal one: the due date after supplement pauses,
  but before an apology and reschedule. An apology slip admits lateness, so a
  rescheduled dossier finished after its first date counts as late.
- An open dossier is overdue when its legal due date is before the earlier of
  the period's last day and now.
- In progress = within time + overdue + awaiting supplement (a received dossier whose
  clock is paused). A supplement asked at the counter before receipt starts no clock:
  it is neither received nor in progress, and is counted apart (supplement_at_counter).
  So carried over + received = resolved + in progress + withdrawn (+ refused or
  stopped after receipt) for an office that handles what it receives.
- Receipt regardless of boundary: a dossier received here for another agency
  counts as received (and its fees, withdrawals, refusals) at the receiving
  office; whether it was resolved on time, is open, overdue, awaiting
  supplement or rescheduled counts at the handling office, which decides it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from counter_tui.domain.calendar import Timeliness, WorkCalendar
from counter_tui.domain.dossier import Dossier, Event
from counter_tui.domain.status import Status

IN_PROGRESS = frozenset(
    {Status.RECEIVED, Status.PROCESSING, Status.AWAITING_PAYMENT, Status.AWAITING_SUPPLEMENT}
)
RESOLVED = frozenset({Status.READY, Status.RETURNED})


@dataclass
class Counts:
    """One line of figures: the whole office, or one procedure."""

    received: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    within: int = 0
    overdue: int = 0
    awaiting_supplement: int = 0  # received, clock paused: a part of "in progress"
    # Asked at the counter to complete the papers, never received (no clock started):
    # outside received and in progress, like a refusal at the counter.
    supplement_at_counter: int = 0
    withdrawn: int = 0
    refused: int = 0
    rescheduled: int = 0

    @property
    def resolved(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def in_progress(self) -> int:
        """Open at the end of the period: within time, overdue, or paused for a supplement."""
        return self.within + self.overdue + self.awaiting_supplement

    @property
    def on_time_rate(self) -> float | None:
        """Percentage resolved early or on time; ``None`` when nothing was resolved."""
        if not self.resolved:
            return None
        return 100.0 * (self.early + self.on_time) / self.resolved


@dataclass
class OverdueItem:
    uid: str
    code: str
    name: str
    procedure_code: str
    due: date
    days_late: int


@dataclass
class Report:
    start: date
    end: date
    office: str | None
    as_of: date
    carried_over: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    total: Counts = field(default_factory=Counts)
    per_procedure: dict[str, Counts] = field(default_factory=dict)
    procedure_names: dict[str, str] = field(default_factory=dict)
    overdue: list[OverdueItem] = field(default_factory=list)
    # Fees collected at receipt (issue 13) among the dossiers received in the period, and
    # fees collected at hand-over in the period (procedures paid at the end).
    fees_at_receipt: int = 0
    fees_at_receipt_total: int = 0
    fees_by_method: dict[str, int] = field(default_factory=dict)
    fees_at_hand_over_total: int = 0
    # Receipt regardless of boundary, so a reader can reconcile the figures: of those
    # received here, how many another office handles; of those handled here, how many
    # another office received (both with their clock started in the period).
    received_for_others: int = 0
    routed_in: int = 0


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


Timeline = list[tuple[datetime, Event]]


def _timeline(d: Dossier) -> Timeline:
    """The dossier's events with their times parsed once (a report reads them many times)."""
    return [(datetime.fromisoformat(e.at), e) for e in d.events]


def _status_at(tl: Timeline, moment: datetime) -> Status | None:
    state: int | None = None
    for at, e in tl:
        if at > moment:
            break
        if e.to_status is not None:
            state = e.to_status
    return Status(state) if state is not None else None


def status_at(d: Dossier, moment: datetime) -> Status | None:
    """The dossier's status at ``moment``, read from its history."""
    return _status_at(_timeline(d), moment)


def _resolved_at(
    d: Dossier, tl: Timeline, moment: datetime, state: Status | None
) -> datetime | None:
    if state not in RESOLVED:
        return None
    ready = [at for at, e in tl if at <= moment and e.to_status == Status.READY]
    if ready:
        return ready[-1]
    # A result recorded straight as returned (older data).
    return _dt(d.finished_at) or _dt((d.handover or {}).get("at"))


def resolved_at(d: Dossier, moment: datetime) -> datetime | None:
    """When the result became ready, if it is resolved at ``moment``."""
    tl = _timeline(d)
    return _resolved_at(d, tl, moment, _status_at(tl, moment))


def _happened(tl: Timeline, action: str, start: datetime, end: datetime) -> bool:
    return any(e.action == action and start <= at <= end for at, e in tl)


def build_report(
    dossiers: Iterable[Dossier],
    start: date,
    end: date,
    now: datetime,
    office: str | None = None,
) -> Report:
    """Figures for the days ``start``..``end`` (both included) for ``office`` (or all)."""
    if end < start:
        start, end = end, start
    begin = datetime.combine(start, time.min)
    finish = datetime.combine(end, time.max)
    as_of = min(finish, now)
    report = Report(start, end, office, as_of.date())
    for d in dossiers:
        receiving = not office or d.office == office
        handling = not office or (d.handling_agency or d.office) == office
        if not (receiving or handling):
            continue
        proc = d.procedure_code
        report.procedure_names.setdefault(proc, d.procedure_name)
        line = report.per_procedure.setdefault(proc, Counts())
        touched = _judge(d, begin, as_of, report, line, receiving=receiving, handling=handling)
        if not touched and not any(vars(line).values()):
            del report.per_procedure[proc]
    report.overdue.sort(key=lambda o: (o.due, o.code))
    return report


def _judge(
    d: Dossier,
    begin: datetime,
    as_of: datetime,
    report: Report,
    line: Counts,
    *,
    receiving: bool = True,
    handling: bool = True,
) -> bool:
    """Count ``d`` on ``line`` and the totals: the receiving office's figures when
    ``receiving``, the handling office's when ``handling`` (both for a dossier of one office)."""
    received = _dt(d.received_at)
    due = d.legal_due()
    tl = _timeline(d)
    state = _status_at(tl, as_of)
    touched = False

    def add(name: str) -> None:
        setattr(report.total, name, getattr(report.total, name) + 1)
        setattr(line, name, getattr(line, name) + 1)

    if (
        handling
        and received is not None
        and received < begin
        and _status_at(tl, begin - timedelta(microseconds=1)) in IN_PROGRESS
    ):
        report.carried_over += 1
    if received is not None and begin <= received <= as_of and receiving != handling:
        if receiving:
            report.received_for_others += 1
        else:
            report.routed_in += 1
            touched = True
    if receiving and received is not None and begin <= received <= as_of:
        add("received")
        channel = d.channel or "direct"
        report.by_channel[channel] = report.by_channel.get(channel, 0) + 1
        touched = True
        if d.fee_paid is not None:
            report.fees_at_receipt += 1
            report.fees_at_receipt_total += d.fee_paid.amount
            method = d.fee_paid.method
            report.fees_by_method[method] = report.fees_by_method.get(method, 0) + d.fee_paid.amount
    handed = _dt((d.handover or {}).get("at"))
    if receiving and handed is not None and begin <= handed <= as_of:
        report.fees_at_hand_over_total += int((d.handover or {}).get("fee") or 0)
    done = _resolved_at(d, tl, as_of, state)
    judged = d.timeliness_if_finished(done) if done is not None and begin <= done <= as_of else None
    if not handling:
        judged = None
    if judged is not None:
        add(judged.value)  # early / on_time / late
        touched = True
    if not handling:
        pass
    elif state is Status.AWAITING_SUPPLEMENT and received is None:
        # Never received: the counter handed back a list of missing papers. It is not in
        # progress (no clock runs); it is counted apart, at the receiving office, below.
        pass
    elif state is Status.AWAITING_SUPPLEMENT:
        add("awaiting_supplement")
        touched = True
    elif state in IN_PROGRESS and received is not None and due is not None:
        if WorkCalendar.classify_open(due, as_of) is Timeliness.OVERDUE:
            add("overdue")
            report.overdue.append(
                OverdueItem(
                    d.uid,
                    d.code,
                    d.applicant.full_name,
                    d.procedure_code,
                    due.date(),
                    (as_of.date() - due.date()).days,
                )
            )
        else:
            add("within")
        touched = True
    if receiving and received is None and _happened(tl, "request_supplement", begin, as_of):
        add("supplement_at_counter")
        touched = True
    for action, counted, counts_here in (
        ("withdraw", "withdrawn", receiving),
        ("refuse", "refused", receiving),
        ("reschedule", "rescheduled", handling),
    ):
        if counts_here and _happened(tl, action, begin, as_of):
            add(counted)
            touched = True
    return touched
