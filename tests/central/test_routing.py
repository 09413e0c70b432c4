"""Receipt regardless of administrative boundary (issue 13, item 2), against a real central
service on each engine: office A's counter receives a dossier for office B; B's feed and back
office get it, A's counter gets B's changes and hands the result back, and neither office
sees anything else of the other (B gets exactly the dossiers routed to it)."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime

import httpx
import pytest

from counter_tui.domain.boundary import BoundaryList, HandlingAgency
from counter_tui.domain.dossier import Applicant
from counter_tui.domain.messages import DomainError
from counter_tui.domain.report import build_report
from counter_tui.domain.status import Action, Status
from counter_tui.usecases.auth import hash_pin
from tests.central.test_isolation import _body, _fill_path
from tests.support.central import OFFICE
from tests.support.counter import Counter, make_counter

OTHER = "000.00.00.H38"
OTHER_NAME = "UBND xã Bên Kia"
PROCEDURE = "1.004873"


def receive_for(counter: Counter, agency: str, name: str, cid: str):
    """Counter A receives ``PROCEDURE`` for ``agency`` (chosen on F2 from the province list)."""
    d = counter.desk.draft(PROCEDURE, Applicant(name, citizen_id=cid, phone="0912345678"))
    for item in d.documents:
        item.received = True
    d.handling_agency = agency
    return counter.desk.receive(d)


def office_b_counter(tmp_path, central):
    qb, token_b = central.db.clients.add(OTHER, "QuayBenKia")
    b = make_counter(tmp_path / "b", central.url, token_b, qb.slot, name="QuayBenKia")
    b.desk.identity = dataclasses.replace(b.desk.identity, office=OTHER, office_name=OTHER_NAME)
    return b, token_b


def pull_all(token: str, url: str) -> tuple[list[dict], int]:
    """Every change of the token's feed, from the start; and the counter's last_seq."""
    changes, cursor = [], ""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as h:
        while True:
            body = h.get("/v1/sync/pull", params={"cursor": cursor}).json()
            changes += body["changes"]
            cursor = body["cursor"]
            if not body["has_more"]:
                return changes, body["last_seq"]


@pytest.fixture
def routed(tmp_path, central, tokens):
    """Office A (OFFICE) receives one dossier for office B and one of its own (which gets a
    conflict holding a receiver's name); A also has a clerk. B has a counter, a back office
    and a dossier of its own."""
    central.db.offices.add(OTHER, OTHER_NAME)
    q1, token_a = tokens["q1"]
    a = make_counter(tmp_path / "a", central.url, token_a, q1.slot)
    a.desk.boundary = BoundaryList(
        (HandlingAgency(PROCEDURE, OTHER, OTHER_NAME, date(2025, 7, 1), "QĐ thử nghiệm"),)
    )
    central.db.clerks.set(OFFICE, "canbokhac", "Người Khác", hash_pin("13572468"))
    for_b = receive_for(a, OTHER, "Trần Thị Liênxã", "079185000011")
    own = a.receive("Lê Văn Riêngtư", "079185000022")
    assert a.engine.sync_once()
    bo_a = httpx.Client(base_url=central.url, headers={"Authorization": f"Bearer {tokens['bo']}"})
    for step in ("start_processing", "result_ready"):
        r = bo_a.post(f"/v1/backoffice/dossiers/{own.code}/actions", json={"action": step})
        assert r.status_code == 200, r.text
    assert a.engine.sync_once()
    a.desk.act(own.uid, Action.HAND_OVER, data={"receiver_name": "Đỗ Thị Nhậnthay", "fee": 0})
    r = bo_a.post(
        f"/v1/backoffice/dossiers/{own.code}/actions",
        json={"action": "request_supplement", "note": "Thiếu tờ khai"},
    )
    assert r.status_code == 200, r.text
    assert a.engine.sync_once()
    assert "Đỗ Thị Nhậnthay" in bo_a.get("/v1/backoffice/conflicts").text  # really there

    b, token_b = office_b_counter(tmp_path, central)
    b_own = b.receive("Phạm Văn Bênkia", "001090777666")
    assert b.engine.sync_once()
    _bo, bo_b_token = central.db.clients.add(OTHER, "TuPhapBenKia", role="backoffice")
    bo_b = httpx.Client(base_url=central.url, headers={"Authorization": f"Bearer {bo_b_token}"})
    yield {
        "a": a,
        "b": b,
        "for_b": for_b,
        "own": own,
        "b_own": b_own,
        "bo_a": bo_a,
        "bo_b": bo_b,
        "b_tokens": [token_b, bo_b_token],
        "a_token": token_a,
    }
    bo_a.close()
    bo_b.close()
    a.close()
    b.close()


def test_a_dossier_received_for_another_office_is_handled_there_and_handed_back_here(
    central, routed
):
    a, b, for_b, bo_a, bo_b = (routed[k] for k in ("a", "b", "for_b", "bo_a", "bo_b"))
    assert for_b.handling_agency == OTHER and for_b.handling_agency_name == OTHER_NAME
    # B's counter has it in its feed, beside its own dossier; B's back office finds it.
    assert b.engine.sync_once()
    seen_by_b = b.desk.dossier(for_b.uid)
    assert seen_by_b is not None and seen_by_b.status == Status.RECEIVED
    assert seen_by_b.office == OFFICE
    assert bo_b.get(f"/v1/dossiers/{for_b.code}").status_code == 200
    # The receiving office's back office does not decide it: B does.
    r = bo_a.post(
        f"/v1/backoffice/dossiers/{for_b.code}/actions", json={"action": "start_processing"}
    )
    assert r.status_code == 404, r.text
    # B's counter only views it (the receiving counter hands the result back).
    with pytest.raises(DomainError) as refused:
        b.desk.act(for_b.uid, Action.HAND_OVER, data={"receiver_name": "X", "fee": 0})
    assert "chỉ xem" in refused.value.msg.vi
    for step in ("start_processing", "result_ready"):
        r = bo_b.post(f"/v1/backoffice/dossiers/{for_b.code}/actions", json={"action": step})
        assert r.status_code == 200, r.text
    # A's counter gets B's state changes and hands the result back.
    assert a.engine.sync_once()
    assert a.desk.dossier(for_b.uid).status == Status.READY
    a.desk.act(for_b.uid, Action.HAND_OVER, data={"receiver_name": "Trần Thị Liênxã", "fee": 0})
    assert a.engine.sync_once()
    assert a.store.outbox.pending_count() == 0
    assert not [op for op in a.store.outbox.rejected() if op["uid"] == for_b.uid]
    at_centre, _ = central.db.dossiers.by_code(OFFICE, for_b.code)
    assert at_centre["status"] == Status.RETURNED
    # B's counter sees the hand-over too.
    assert b.engine.sync_once()
    assert b.desk.dossier(for_b.uid).status == Status.RETURNED
    # Reports: received counts at A, the resolution at B (docs/reports.md).
    now = datetime(2027, 12, 31, 17, 0)
    period = (date(2026, 1, 1), date(2027, 12, 31))
    at_a = build_report([a.desk.dossier(for_b.uid)], *period, now, OFFICE).total
    at_b = build_report([b.desk.dossier(for_b.uid)], *period, now, OTHER).total
    assert (at_a.received, at_a.resolved) == (1, 0)
    assert (at_b.received, at_b.resolved) == (0, 1)


def test_the_handling_office_sees_exactly_what_is_routed_to_it(central, routed):
    """B's tokens, through every endpoint of the OpenAPI document aimed at A's own dossier,
    get nothing of A but the routed dossier: not A's other dossier, its conflict, its clerks."""
    own, for_b, b_own = routed["own"], routed["for_b"], routed["b_own"]
    markers = [
        own.uid,
        own.code,
        "079185000022",
        "Lê Văn Riêngtư",
        "Đỗ Thị Nhậnthay",
        "canbokhac",
        "Người Khác",
    ]
    # A scan of A's own dossier (issue 14): B, which reads the scans of the routed dossier,
    # reads none of A's other ones.
    scan = b"%PDF-1.4 " + "Bản quét riêng của A".encode() * 500
    sha = hashlib.sha256(scan).hexdigest()
    http_a = httpx.Client(
        base_url=central.url, headers={"Authorization": f"Bearer {routed['a_token']}"}
    )
    up = http_a.patch(
        f"/v1/files/{sha}/upload",
        content=scan,
        headers={"Upload-Offset": "0", "Upload-Length": str(len(scan))},
    )
    assert up.json()["complete"] is True
    last = http_a.post("/v1/sync/push", json={"ops": []}).json()["last_seq"]
    entry = {"sha": sha, "size": len(scan), "name": "a.pdf", "kind": "pdf", "item": "1"}
    attach = {
        "seq": last + 1,
        "op_id": "attach-own",
        "type": "dossier.action",
        "uid": own.uid,
        "at": "2026-11-25T10:00:00",
        "action": "attach",
        "data": {"files": [dict(entry, role="document")]},
    }
    pushed = http_a.post("/v1/sync/push", json={"ops": [attach]}).json()
    assert pushed["results"][0]["status"] == "applied", pushed
    http_a.close()
    markers.append("Bản quét riêng của A")
    spec = httpx.get(f"{central.url}/openapi.json").json()
    version_own = central.db.dossiers.by_code(OFFICE, own.code)[1]
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            for token in routed["b_tokens"]:
                r = httpx.request(
                    method.upper(),
                    central.url + _fill_path(path, own, sha),
                    json=_body(operation, own),
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert r.status_code < 500, (method, path, r.text)
                for marker in markers:
                    assert marker not in r.text, (method, path, marker, r.text[:300])
    assert central.db.dossiers.by_code(OFFICE, own.code)[1] == version_own
    # B's feed: its own dossier and the routed one, nothing else; A's feed lacks B's own.
    token_b, _bo = routed["b_tokens"]
    changes, last_seq = pull_all(token_b, central.url)
    assert {c["uid"] for c in changes} == {b_own.uid, for_b.uid}
    versions = [c["version"] for c in changes]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    a_changes, _ = pull_all(routed["a_token"], central.url)
    assert b_own.uid not in {c["uid"] for c in a_changes}
    assert for_b.uid in {c["uid"] for c in a_changes}
    # A citizen lookup by B finds the routed dossier, not A's other one.
    bo_b = routed["bo_b"]
    assert [
        d["doc"]["uid"] for d in bo_b.get("/v1/citizens/079185000011/dossiers").json()["dossiers"]
    ] == [for_b.uid]
    # B's counter may not act on the routed dossier through the centre either.
    r = httpx.post(
        f"{central.url}/v1/sync/push",
        json={
            "ops": [
                {
                    "seq": last_seq + 1,
                    "op_id": "routed-by-b",
                    "type": "dossier.action",
                    "uid": for_b.uid,
                    "at": "2026-11-25T10:00:00",
                    "action": "withdraw",
                }
            ]
        },
        headers={"Authorization": f"Bearer {token_b}"},
    )
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "rejected", r.text
    assert central.db.dossiers.by_code(OFFICE, for_b.code)[0]["status"] == Status.RECEIVED


def test_a_dossier_for_an_office_not_yet_registered_reaches_it_once_registered(
    tmp_path, central, tokens
):
    later = "000.00.00.H40"
    q1, token_a = tokens["q1"]
    a = make_counter(tmp_path / "a", central.url, token_a, q1.slot)
    a.desk.boundary = BoundaryList(
        (HandlingAgency(PROCEDURE, later, "Sở Nội vụ", date(2025, 7, 1), "QĐ thử nghiệm"),)
    )
    d = receive_for(a, later, "Võ Thị Chờ", "079185000033")
    assert a.engine.sync_once()
    assert not a.store.outbox.rejected()  # saved at the counter, accepted at the centre
    central.db.offices.add(later, "Sở Nội vụ")
    _q, token = central.db.clients.add(later, "SoNoiVu")
    changes, _ = pull_all(token, central.url)
    assert [c["uid"] for c in changes] == [d.uid]
    # And it follows the dossier's changes from then on.
    a.desk.act(d.uid, Action.WITHDRAW, note="Công dân rút")
    assert a.engine.sync_once()
    changes, _ = pull_all(token, central.url)
    assert [c["doc"]["status"] for c in changes] == [Status.WITHDRAWN]
    a.close()
