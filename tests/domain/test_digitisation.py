"""Digitisation: the attach action, what lacks a scan, and the rates counted by hand."""

from datetime import date

import pytest

from counter_tui.domain.digitisation import digitisation_rates, is_digitised, lacking_scan
from counter_tui.domain.dossier import TransitionError, apply
from counter_tui.domain.status import Action, Status
from tests.domain.test_dossier import ctx, new_dossier

SHA = "b" * 64


def entry(item="1", sha=SHA, role="document"):
    return {
        "sha": sha,
        "size": 5,
        "name": "a.pdf",
        "kind": "pdf",
        "item": item,
        "role": role,
        "pages": 1,
        "width": None,
        "height": None,
        "at": "2026-11-25T09:00:00",
        "actor": "clerk1",
    }


def test_attach_appends_to_the_item_and_is_an_event_that_keeps_the_status():
    d = apply(new_dossier(), Action.RECEIVE, ctx())
    after = apply(d, Action.ATTACH, ctx(files=[entry("1")]))
    assert after.status == Status.RECEIVED
    assert [f["sha"] for f in after.documents[0].files] == [SHA]
    assert after.events[-1].action == "attach" and after.events[-1].actor == "clerk1"
    # The same scan attached twice is kept once.
    again = apply(after, Action.ATTACH, ctx(files=[entry("1")]))
    assert len(again.documents[0].files) == 1


def test_attach_a_result_and_refuse_an_unknown_item():
    d = apply(new_dossier(), Action.RECEIVE, ctx())
    after = apply(d, Action.ATTACH, ctx(files=[entry("result", role="result")]))
    assert after.result_files[0]["sha"] == SHA
    with pytest.raises(TransitionError) as info:
        apply(d, Action.ATTACH, ctx(files=[entry("99")]))
    assert info.value.code == "attach.item"
    with pytest.raises(TransitionError):
        apply(d, Action.ATTACH, ctx(files=[]))


def test_lacking_scan_skips_shown_and_exempt_items():
    d = new_dossier()
    # Papers the catalog lists as only shown (xuất trình) never lack a scan.
    required = [doc for doc in d.documents if doc.required and doc.copy != "present"]
    assert lacking_scan(d.documents) == [doc.name for doc in required]
    required[0].digitisation = {"exempt": "shown", "missing_reason": None}
    for doc in required[1:]:
        doc.files = [entry()]
    assert lacking_scan(d.documents) == []


def _received(code, at, *, scanned=True, channel="direct", exempt=None, result=None):
    d = new_dossier()
    d.procedure_code = code
    d.channel = channel
    for doc in d.documents:
        if doc.required:
            doc.digitisation = {"exempt": exempt, "missing_reason": None} if exempt else None
            doc.files = [entry()] if scanned else []
    d.received_at = at
    d.status = Status.RECEIVED
    if result is not None:
        d.status = Status.RETURNED
        d.handover = {"at": at}
        d.result_files = [entry("result", role="result")] if result else []
    return d


def test_rates_on_a_hand_counted_fixture():
    nov = "2026-11-10T09:00:00"
    fixture = [
        _received("A", nov),  # A: needed, digitised
        _received("A", nov, scanned=False),  # A: needed, not digitised
        _received("A", nov, channel="online", scanned=False),  # A: exempt (online)
        _received("A", "2026-10-01T09:00:00"),  # before the period: not counted
        _received("B", nov, exempt="classified", scanned=False),  # B: exempt
        _received("B", nov, result=True),  # B: digitised; handed over, result scanned
        _received("B", nov, scanned=False, result=False),  # B: not; handed over, no result
    ]
    rows, total = digitisation_rates(fixture, date(2026, 11, 1), date(2026, 11, 30))
    a, b = rows
    assert (a.procedure_code, a.received, a.digitised, a.exempt) == ("A", 2, 1, 1)
    assert (b.received, b.digitised, b.exempt, b.handed_over, b.results_digitised) == (
        2,
        1,
        1,
        2,
        1,
    )
    assert a.rate == 0.5 and b.result_rate == 0.5 and a.result_rate is None
    assert (total.received, total.digitised, total.exempt) == (4, 2, 2)
    assert is_digitised(fixture[0]) and not is_digitised(fixture[2])


def test_a_receive_operation_with_a_malformed_file_is_refused_not_stored():
    from counter_tui.domain.ops import OpError, parse_dossier

    doc = new_dossier().to_dict()
    doc["documents"][0]["files"] = [entry()]
    assert parse_dossier(doc).documents[0].files[0]["sha"] == SHA
    doc["documents"][0]["files"] = [{**entry(), "sha": "../../etc/passwd"}]
    with pytest.raises(OpError):
        parse_dossier(doc)
    doc["documents"][0]["files"] = "nope"
    with pytest.raises(OpError):
        parse_dossier(doc)


def test_named_shas_lists_every_scan_of_a_dossier_once_and_ignores_junk():
    from counter_tui.domain.files import named_shas

    d = apply(new_dossier(), Action.RECEIVE, ctx())
    a, b = "a" * 64, "c" * 64
    d = apply(d, Action.ATTACH, ctx(files=[entry("1", a), entry("2", SHA), entry("2", a)]))
    d = apply(d, Action.ATTACH, ctx(files=[entry("result", b, role="result")]))
    assert named_shas(d.to_dict()) == [a, SHA, b]
    junk = {"documents": [None, {"files": "x"}, {"files": [1, {"sha": 2}]}], "result_files": 5}
    assert named_shas(junk) == [] and named_shas(None) == []


def test_a_paper_the_catalog_lists_as_only_shown_needs_no_scan():
    from counter_tui.domain.catalog import CopyKind
    from counter_tui.domain.dossier import DocItem

    card = DocItem("Xuất trình: giấy tờ tùy thân", CopyKind.PRESENT.value, True, received=True)
    form = DocItem("Tờ khai", CopyKind.ORIGINAL.value, True, received=True)
    # Only the form is asked for; the card is counted as exempt, not as lacking a scan.
    assert lacking_scan([card, form]) == ["Tờ khai"]
