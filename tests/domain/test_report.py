"""Report figures against a hand-counted fixture across Tết 2026 (14-22 Feb are days off).

Every dossier below is built through the real rules (``apply`` with the shipped
calendar and catalog); the expected figures were counted by hand from the
dates written next to each dossier, not computed.
"""

from datetime import date, datetime

import pytest

from counter_tui.config_files import catalog_path, holidays_path
from counter_tui.domain.calendar import load_calendar
from counter_tui.domain.catalog import load_catalog
from counter_tui.domain.dossier import Applicant, Context, Dossier, apply, documents_for
from counter_tui.domain.report import build_report, status_at
from counter_tui.domain.status import Action, Status

CAL = load_calendar(holidays_path())
CATALOG = load_catalog(catalog_path())
OFFICE = "000.00.00.H56"
XNTTHN = "1.004873"  # 3 working days
KHAI_SINH = "1.001193"


def at(day: int, hour: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, 0)


class Make:
    def __init__(self, key: str, proc: str = XNTTHN, office: str = OFFICE, channel="direct"):
        p = CATALOG.get(proc, date(2026, 2, 1))
        assert p is not None
        self.p = p
        docs = documents_for(p)
        for d in docs:
            d.received = True
        self.d = Dossier(
            uid=key,
            code=f"{office}-2602xx-1{key}",
            office=office,
            counter="Q1",
            procedure_code=p.code,
            procedure_version=p.version,
            procedure_name=p.name,
            applicant=Applicant(f"Trần Thị {key}", citizen_id="001203012345"),
            documents=docs,
            channel=channel,
        )

    def do(self, action: Action, when: datetime, note: str = "", **data) -> "Make":
        ctx = Context(
            at=when, actor="c1", counter="Q1", note=note, calendar=CAL, procedure=self.p, data=data
        )
        self.d = apply(self.d, action, ctx)
        return self

    @property
    def doc(self) -> Dossier:
        return self.d


def fixture() -> list[Dossier]:
    R, READY, HAND = Action.RECEIVE, Action.RESULT_READY, Action.HAND_OVER
    who = {"receiver_name": "Trần Thị X"}
    return [
        # A: Wed 11/02 09:00, due Mon 23/02 (Tết skipped); ready 12/02 -> early
        Make("A").do(R, at(11, 9)).do(READY, at(12, 10)).do(HAND, at(13, 8), **who).doc,
        # B (post): Thu 12/02 14:00, due Tue 24/02 14:00; ready 24/02 16:00 -> on time
        Make("B", channel="post").do(R, at(12, 14)).do(READY, at(24, 16)).doc,
        # C (online): Fri 13/02 09:00, due Wed 25/02 (would be 18/02 without Tết); ready 24/02
        Make("C", channel="online").do(R, at(13, 9)).do(READY, at(24, 10)).doc,
        # D: Tue 10/02 09:00, due Fri 13/02; apology 13/02 -> 26/02; ready 25/02 -> late
        Make("D")
        .do(R, at(10, 9))
        .do(Action.TRANSFER, at(10, 10), unit="Công chức tư pháp")
        .do(Action.RESCHEDULE, at(13, 8), "Chờ xác minh", new_due="2026-02-26T17:00:00")
        .do(Action.RESULT_BACK, at(25, 9), unit="Công chức tư pháp")
        .doc,
        # E: Tue 24/02 09:00, due Fri 27/02; still processing at 28/02 -> overdue by 1 day
        Make("E").do(R, at(24, 9)).do(Action.START_PROCESSING, at(24, 10)).doc,
        # F: Fri 27/02 10:00, due Wed 04/03 -> within time on 28/02
        Make("F").do(R, at(27, 10)).doc,
        # G: Wed 25/02, supplement asked 26/02 -> awaiting supplement
        Make("G")
        .do(R, at(25, 9))
        .do(Action.REQUEST_SUPPLEMENT, at(26, 9), missing=["Tờ khai"])
        .doc,
        # H: Mon 23/02, withdrawn 24/02
        Make("H").do(R, at(23, 9)).do(Action.WITHDRAW, at(24, 11), "Công dân xin rút").doc,
        # I: Wed 28/01, due Mon 02/02, ready 03/02 -> carried over, then late
        Make("I").do(R, at(28, 9, 1)).do(READY, at(3, 9)).doc,
        # J: another office -> not in this office's report
        Make("J", office="000.00.00.H99").do(R, at(11, 9)).doc,
        # K: received in March -> outside the period
        Make("K").do(R, at(2, 9, 3)).doc,
        # L: refused at the counter 12/02 (never received), another procedure
        Make("L", proc=KHAI_SINH).do(Action.REFUSE, at(12, 9), "Không thuộc thẩm quyền").doc,
    ]


NOW = datetime(2026, 3, 5, 10, 0)


def test_due_dates_in_the_fixture_skip_tet():
    docs = {d.uid: d for d in fixture()}
    assert docs["A"].due_at == "2026-02-23T09:00:00"
    assert docs["C"].due_at == "2026-02-25T09:00:00"
    assert docs["D"].legal_due() == datetime(2026, 2, 13, 9, 0)
    assert docs["D"].due_at == "2026-02-26T17:00:00"


def test_february_report_matches_the_hand_count():
    r = build_report(fixture(), date(2026, 2, 1), date(2026, 2, 28), NOW, office=OFFICE)
    t = r.total
    assert t.received == 8  # A B C D E F G H
    assert r.by_channel == {"direct": 6, "post": 1, "online": 1}
    assert (t.early, t.on_time, t.late) == (2, 1, 2)  # A C | B | D I
    assert t.on_time_rate == pytest.approx(60.0)
    assert (t.within, t.overdue) == (1, 1)  # F | E
    assert t.awaiting_supplement == 1  # G
    assert t.withdrawn == 1 and t.refused == 1 and t.rescheduled == 1  # H, L, D
    assert r.carried_over == 1  # I
    assert [(o.code.split("-")[-1], o.due, o.days_late) for o in r.overdue] == [
        ("1E", date(2026, 2, 27), 1)
    ]
    assert set(r.per_procedure) == {XNTTHN, KHAI_SINH}
    assert r.per_procedure[KHAI_SINH].refused == 1
    assert r.per_procedure[XNTTHN].late == 2


def test_a_report_for_an_earlier_period_reads_history_not_todays_status():
    # 1-13 Feb, as of the 13th: A resolved early; B, C, D open; I resolved late on 03/02.
    r = build_report(fixture(), date(2026, 2, 1), date(2026, 2, 13), NOW, office=OFFICE)
    t = r.total
    assert t.received == 4  # A B C D
    assert (t.early, t.on_time, t.late) == (1, 0, 1)
    # D fell due on 13/02 itself: on its due date it is still within time.
    assert (t.within, t.overdue) == (3, 0)
    assert status_at(fixture()[3], datetime(2026, 2, 13, 23, 0)) is Status.PROCESSING


def test_all_offices_and_an_empty_period():
    everyone = build_report(fixture(), date(2026, 2, 1), date(2026, 2, 28), NOW)
    assert everyone.total.received == 9  # J counted too
    empty = build_report(fixture(), date(2025, 6, 1), date(2025, 6, 30), NOW, office=OFFICE)
    assert empty.total.received == 0 and empty.total.on_time_rate is None
    assert empty.per_procedure == {}


def test_fees_collected_at_receipt_and_at_hand_over_are_counted():
    from counter_tui.domain.dossier import FeePaid

    paid = Make("F")
    paid.d.fee_paid = FeePaid(10000, "cash", "BL-1")
    paid.do(Action.RECEIVE, at(11, 9)).do(Action.RESULT_READY, at(11, 10))
    paid.do(Action.HAND_OVER, at(12, 8), receiver_name="Trần Thị F", fee=0)
    online = Make("G")
    online.d.fee_paid = FeePaid(2000, "online", "BL-2")
    online.do(Action.RECEIVE, at(11, 9))
    later = Make("H").do(Action.RECEIVE, at(11, 9)).do(Action.RESULT_READY, at(12, 9))
    later.do(Action.HAND_OVER, at(12, 10), receiver_name="Trần Thị H", fee=8000)
    r = build_report([paid.doc, online.doc, later.doc], date(2026, 2, 1), date(2026, 2, 28), NOW)
    assert (r.fees_at_receipt, r.fees_at_receipt_total) == (2, 12000)
    assert r.fees_by_method == {"cash": 10000, "online": 2000}
    assert r.fees_at_hand_over_total == 8000


def test_a_dossier_received_for_another_office_counts_where_the_law_counts_it():
    """Receipt regardless of boundary (docs/reports.md): received, withdrawn, refused at the
    receiving office; resolved, open, overdue, awaiting supplement at the handling office."""
    handler = "000.00.00.H38"
    R, READY = Action.RECEIVE, Action.RESULT_READY

    def routed(key: str) -> Make:
        m = Make(key)
        m.d.handling_agency, m.d.handling_agency_name = handler, "UBND xã Bên Kia"
        return m

    dossiers = [
        routed("P").do(R, at(11, 9)).do(READY, at(12, 10)).doc,  # early
        routed("Q").do(R, at(24, 9)).do(Action.START_PROCESSING, at(24, 10)).doc,  # overdue
        routed("S").do(R, at(23, 9)).do(Action.WITHDRAW, at(24, 11), "Công dân xin rút").doc,
        Make("T", office=handler).do(R, at(27, 10)).doc,  # the handler's own, within time
    ]
    feb = (date(2026, 2, 1), date(2026, 2, 28))
    here = build_report(dossiers, *feb, NOW, office=OFFICE).total
    there = build_report(dossiers, *feb, NOW, office=handler).total
    assert (here.received, here.withdrawn, here.resolved, here.overdue, here.within) == (
        3,
        1,
        0,
        0,
        0,
    )
    assert (there.received, there.withdrawn, there.early, there.overdue, there.within) == (
        1,
        0,
        1,
        1,
        1,
    )
    everyone = build_report(dossiers, *feb, NOW).total
    assert (everyone.received, everyone.early, everyone.overdue) == (4, 1, 1)
    # F6 says which part of each figure crossed the boundary (P Q S both ways).
    here_r = build_report(dossiers, *feb, NOW, office=OFFICE)
    there_r = build_report(dossiers, *feb, NOW, office=handler)
    assert (here_r.received_for_others, here_r.routed_in) == (3, 0)
    assert (there_r.received_for_others, there_r.routed_in) == (0, 3)


def test_the_figures_add_up_and_a_supplement_asked_at_the_counter_is_apart():
    """Seen in the demo: 8% of citizens were asked at the counter to complete their papers
    (never received, no clock) and were counted in "Chờ bổ sung" beside the received ones,
    so resolved + in progress came to 27 more than carried over + received."""
    m = Make("M").do(Action.REQUEST_SUPPLEMENT, at(16, 9, 2), missing=["Tờ khai"]).doc
    r = build_report([*fixture(), m], date(2026, 2, 1), date(2026, 2, 28), NOW, office=OFFICE)
    t = r.total
    assert t.received == 8  # A B C D E F G H; M never received
    assert t.awaiting_supplement == 1  # G only: received, clock paused
    assert t.supplement_at_counter == 1  # M
    assert t.in_progress == 3  # F within, E overdue, G awaiting supplement
    # carried over (I) + received = resolved (A B C D I) + in progress + withdrawn (H)
    assert r.carried_over + t.received == t.resolved + t.in_progress + t.withdrawn == 9
