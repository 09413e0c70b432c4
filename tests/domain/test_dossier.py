"""The dossier state machine: allowed transitions, their effects, refusals with reasons."""

from dataclasses import asdict
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter_tui.config_files import catalog_path
from counter_tui.domain.calendar import WorkCalendar
from counter_tui.domain.catalog import load_catalog
from counter_tui.domain.dossier import (
    Applicant,
    Context,
    Dossier,
    FeePaid,
    Submitter,
    TrackingEntry,
    TransitionError,
    apply,
    documents_for,
)
from counter_tui.domain.status import TERMINAL, TRANSITIONS, Action, Status

CAL = WorkCalendar()
CATALOG = load_catalog(catalog_path())
AT = datetime(2026, 11, 25, 9, 0)
XNTTHN = CATALOG.get("1.004873", AT.date())  # 3 working days


def new_dossier(complete: bool = True) -> Dossier:
    docs = documents_for(XNTTHN)
    for d in docs:
        d.received = complete or not d.required
    return Dossier(
        uid="u1",
        code="000.00.00.H56-261125-10001",
        office="000.00.00.H56",
        counter="Q1",
        procedure_code=XNTTHN.code,
        procedure_version=XNTTHN.version,
        procedure_name=XNTTHN.name,
        applicant=Applicant("Nguyễn Văn An", citizen_id="001203012345", phone="0912345678"),
        documents=docs,
    )


def ctx(at=AT, note="", **data) -> Context:
    return Context(
        at=at, actor="clerk1", counter="Q1", note=note, calendar=CAL, procedure=XNTTHN, data=data
    )


def test_receive_sets_the_due_date_and_records_the_event():
    d = apply(new_dossier(), Action.RECEIVE, ctx())
    assert d.status == Status.RECEIVED
    assert d.due_at == datetime(2026, 11, 30, 9, 0).isoformat()
    assert [e.action for e in d.events] == ["receive"]
    assert d.events[0].actor == "clerk1" and d.events[0].to_status == Status.RECEIVED


def test_receive_with_missing_required_documents_is_refused_and_names_them():
    with pytest.raises(TransitionError) as info:
        apply(new_dossier(complete=False), Action.RECEIVE, ctx())
    assert "Tờ khai" in info.value.text("vi")


def test_apply_never_changes_its_argument():
    d0 = new_dossier()
    apply(d0, Action.RECEIVE, ctx())
    assert d0.status is None and d0.events == []


def test_supplement_at_receipt_then_supplement_received_starts_the_clock():
    d = apply(
        new_dossier(complete=False), Action.REQUEST_SUPPLEMENT, ctx(missing=["Tờ khai theo mẫu"])
    )
    assert d.status == Status.AWAITING_SUPPLEMENT and d.due_at is None
    for item in d.documents:
        item.received = True
    d = apply(d, Action.SUPPLEMENT_RECEIVED, ctx(at=datetime(2026, 11, 26, 9, 0)))
    assert d.status == Status.RECEIVED
    assert d.due_at == datetime(2026, 12, 1, 9, 0).isoformat()


def test_supplement_during_processing_pauses_the_clock():
    d = apply(new_dossier(), Action.RECEIVE, ctx())
    d = apply(d, Action.START_PROCESSING, ctx(at=datetime(2026, 11, 25, 10, 0)))
    d = apply(
        d, Action.REQUEST_SUPPLEMENT, ctx(at=datetime(2026, 11, 26, 9, 0), note="Thiếu bản sao")
    )
    assert d.status == Status.AWAITING_SUPPLEMENT
    d = apply(d, Action.SUPPLEMENT_RECEIVED, ctx(at=datetime(2026, 11, 27, 9, 0)))
    assert d.status == Status.PROCESSING
    assert d.due_at == datetime(2026, 12, 1, 9, 0).isoformat()  # one working day later


def test_hand_over_only_when_ready():
    d = apply(new_dossier(), Action.RECEIVE, ctx())
    with pytest.raises(TransitionError) as info:
        apply(d, Action.HAND_OVER, ctx(receiver_name="Nguyễn Văn An"))
    assert "Được tiếp nhận" in info.value.text("vi")
    d = apply(d, Action.RESULT_READY, ctx())
    d = apply(d, Action.HAND_OVER, ctx(receiver_name="Nguyễn Văn An", fee=0))
    assert d.status == Status.RETURNED and d.handover["receiver_name"] == "Nguyễn Văn An"


def test_authorised_receiver_needs_an_id():
    d = apply(apply(new_dossier(), Action.RECEIVE, ctx()), Action.RESULT_READY, ctx())
    with pytest.raises(TransitionError) as info:
        apply(d, Action.HAND_OVER, ctx(receiver_name="Lê B", relation="authorised"))
    assert info.value.field == "receiver_id"


def test_reschedule_once_with_a_later_date_and_a_reason():
    d = apply(new_dossier(), Action.RECEIVE, ctx())
    with pytest.raises(TransitionError):
        apply(d, Action.RESCHEDULE, ctx(note="", new_due="2026-12-10T17:00:00"))
    with pytest.raises(TransitionError):
        apply(d, Action.RESCHEDULE, ctx(note="Chờ xác minh", new_due="2026-11-26T17:00:00"))
    d = apply(d, Action.RESCHEDULE, ctx(note="Chờ xác minh", new_due="2026-12-10T17:00:00"))
    assert d.due_at == "2026-12-10T17:00:00" and d.original_due_at != d.due_at
    with pytest.raises(TransitionError) as info:
        apply(d, Action.RESCHEDULE, ctx(note="Lần nữa", new_due="2026-12-20T17:00:00"))
    assert info.value.code == "reschedule.once"


def test_refusal_needs_a_reason():
    with pytest.raises(TransitionError):
        apply(new_dossier(), Action.REFUSE, ctx(note="  "))
    d = apply(new_dossier(), Action.REFUSE, ctx(note="Không thuộc thẩm quyền"))
    assert d.status == Status.REFUSED and d.reason == "Không thuộc thẩm quyền"


def test_json_round_trip():
    d = apply(new_dossier(), Action.RECEIVE, ctx())
    assert Dossier.from_dict(d.to_dict()) == d


def test_the_dict_form_is_asdicts_own_and_shares_nothing_mutable():
    # to_dict is a faster hand-written walk (the centre converts every pushed dossier): the
    # same dict as dataclasses.asdict, key order included, and changing it changes nothing.
    d = apply(new_dossier(), Action.RECEIVE, ctx())
    d.submitter = Submitter("Trần Thị Bình", citizen_id="001190000001", relation="con")
    d.fee_paid = FeePaid(50_000, "cash", "BL-1")
    d.tracking = TrackingEntry("1", 2026, 7)
    d.handover = {"at": "2026-11-26T10:00:00", "to": {"name": "B", "ids": ["1", 2]}}
    d.documents[0].files = [{"sha": "a" * 64, "size": 10, "pages": None}]
    d.documents[0].digitisation = {"exempt": None, "missing_reason": ""}
    d.events[0].data = {"missing": ["Tờ khai"], "nested": {"list": [1, 2.5, True, None]}}
    d.missing = ["Tờ khai"]
    d.status = Status.RECEIVED  # an enum member, kept as asdict keeps it
    plain = d.to_dict()
    assert plain == asdict(d)
    assert list(plain) == list(asdict(d)) and list(plain["applicant"]) == list(asdict(d.applicant))
    assert type(plain["status"]) is Status
    plain["events"][0]["data"]["nested"]["list"].append("x")
    plain["documents"][0]["files"][0]["size"] = 99
    plain["handover"]["to"]["ids"].clear()
    plain["missing"].append("y")
    assert d.events[0].data["nested"]["list"] == [1, 2.5, True, None]
    assert d.documents[0].files[0]["size"] == 10
    assert d.handover["to"]["ids"] == ["1", 2]
    assert d.missing == ["Tờ khai"]


DATA = {
    "missing": ["Tờ khai"],
    "receiver_name": "A",
    "fee": 0,
    "new_due": "2027-06-01T17:00:00",
    "unit": "Tư pháp",
}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(Action)), max_size=25), st.booleans())
def test_no_sequence_of_actions_leaves_the_state_machine(actions, complete):
    d = new_dossier(complete)
    for i, action in enumerate(actions):
        before = d.status
        try:
            d = apply(d, action, ctx(note="ghi chú", **DATA))
        except TransitionError:
            continue
        assert d.status in {s.value for s in Status}
        table = TRANSITIONS[action]
        assert (Status(before) if before is not None else None) in table
        if before is not None and Status(before) in TERMINAL:
            pytest.fail(f"step {i}: {action} changed a finished dossier")
        assert d.events[-1].action == action.value
