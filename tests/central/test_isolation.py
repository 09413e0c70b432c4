"""Offices never see each other's data: every endpoint of the OpenAPI document, called with
another office's tokens against two offices' seeded data, returns nothing of the other office.

The endpoints come from the service's own ``/openapi.json``, so a new endpoint is covered
without anyone remembering to add it (and a path parameter or request body this table does not
know how to fill fails the test, saying which)."""

from __future__ import annotations

import dataclasses
import hashlib

import httpx
import orjson
import pytest

from counter_tui.domain.status import Action
from counter_tui.usecases.auth import hash_pin
from tests.support.counter import make_counter

OTHER = "000.00.00.H38"


@pytest.fixture
def two_offices(tmp_path, central, tokens):
    """Office A (OFFICE) and office B (OTHER), each with a counter, a back office, a dossier;
    B also with a clerk and a conflict (the conflict holds a receiver's name and ID)."""
    q1, token_a = tokens["q1"]
    a = make_counter(tmp_path / "a", central.url, token_a, q1.slot)
    da = a.receive("Trần Thị Bình", "079185000001")
    assert a.engine.sync_once()

    central.db.offices.add(OTHER, "UBND xã Bên Kia")
    qb, token_b = central.db.clients.add(OTHER, "QuayBenKia")
    _bo, bo_b = central.db.clients.add(OTHER, "TuPhapBenKia", role="backoffice")
    central.db.clerks.set(OTHER, "canbobenkia", "Người Bên Kia", hash_pin("13572468"))
    b = make_counter(tmp_path / "b", central.url, token_b, qb.slot, name="QuayBenKia")
    b.desk.identity = dataclasses.replace(
        b.desk.identity, office=OTHER, office_name="UBND xã Bên Kia"
    )
    db_ = b.receive("Phạm Văn Bênkia", "001090777666")
    assert b.engine.sync_once()
    bo = httpx.Client(base_url=central.url, headers={"Authorization": f"Bearer {bo_b}"})
    for step in ("start_processing", "result_ready"):
        assert (
            bo.post(
                f"/v1/backoffice/dossiers/{db_.code}/actions", json={"action": step}
            ).status_code
            == 200
        )
    assert b.engine.sync_once()
    b.desk.act(db_.uid, Action.HAND_OVER, data={"receiver_name": "Ngô Thị Nhậnhộ", "fee": 0})
    r = bo.post(
        f"/v1/backoffice/dossiers/{db_.code}/actions",
        json={"action": "request_supplement", "note": "Thiếu bản sao giấy khai sinh"},
    )
    assert r.status_code == 200, r.text
    assert b.engine.sync_once()
    # A scan office B's counter sent whole (issue 14), its bytes holding a marker.
    scan = b"%PDF-1.4 " + "Tệp của bên kia".encode() * 1000
    sha = hashlib.sha256(scan).hexdigest()
    r = httpx.patch(
        f"{central.url}/v1/files/{sha}/upload",
        content=scan,
        headers={
            "Authorization": f"Bearer {token_b}",
            "Upload-Offset": "0",
            "Upload-Length": str(len(scan)),
        },
    )
    assert r.json()["complete"] is True, r.text
    # The markers are really there for office B itself (else this test could not fail).
    seen_by_b = bo.get("/v1/backoffice/conflicts").text
    assert "Ngô Thị Nhậnhộ" in seen_by_b and db_.uid in seen_by_b
    assert "Tệp của bên kia" in bo.get(f"/v1/files/{sha}").text
    markers = [
        OTHER,
        db_.uid,
        db_.code,
        "001090777666",
        "Phạm Văn Bênkia",
        "Ngô Thị Nhậnhộ",
        "canbobenkia",
        "QuayBenKia",
        "UBND xã Bên Kia",
        "Tệp của bên kia",
    ]
    yield {
        "a": da,
        "b": db_,
        "a_tokens": [token_a, tokens["bo"]],
        "markers": markers,
        "sha": sha,
    }
    bo.close()
    a.close()
    b.close()


def _fill_path(path: str, b, sha: str = "") -> str:
    values = {"code": b.code, "key": b.code, "uid": b.uid, "citizen_id": b.applicant.citizen_id}
    if sha:
        values["sha"] = sha  # a file office B holds
    while "{" in path:
        name = path[path.index("{") + 1 : path.index("}")]
        assert name in values, f"add a value of office B for the path parameter {name!r}"
        path = path.replace("{" + name + "}", values[name])
    return path


def _body(operation: dict, b) -> dict | None:
    ref = (
        operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
        .get("$ref")
    )
    if ref is None:
        return None
    bodies = {
        "PushRequest": {
            "ops": [
                {
                    "seq": 2,
                    "op_id": "cross-office",
                    "type": "dossier.action",
                    "uid": b.uid,
                    "at": "2026-11-25T10:00:00",
                    "action": "withdraw",
                }
            ]
        },
        "BackOfficeRequest": {"action": "start_processing"},
    }
    name = ref.rsplit("/", 1)[-1]
    assert name in bodies, f"add a request body aimed at office B's data for {name}"
    return bodies[name]


def test_no_endpoint_returns_another_offices_data(central, two_offices):
    spec = httpx.get(f"{central.url}/openapi.json").json()
    b = two_offices["b"]
    version_b = central.db.dossiers.by_code(OTHER, b.code)[1]
    called = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            url = _fill_path(path, b, two_offices["sha"])
            for token in two_offices["a_tokens"]:
                r = httpx.request(
                    method.upper(),
                    central.url + url,
                    json=_body(operation, b),
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert r.status_code < 500, (method, path, r.text)
                for marker in two_offices["markers"]:
                    assert marker not in r.text, (method, path, marker, r.text[:300])
                called.append((method, path, r.status_code))
    assert ("get", "/v1/backoffice/conflicts", 200) in called
    assert ("get", "/v1/sync/pull", 200) in called
    # Nothing aimed at office B changed it either.
    assert central.db.dossiers.by_code(OTHER, b.code)[1] == version_b


def test_the_central_database_its_wal_and_its_folder_are_owner_only(tmp_path):
    """Names, IDs, phones, PIN and token hashes: no other local user may read them."""
    import subprocess
    import sys

    from counter_tui.central.db import CentralDB

    folder = tmp_path / "trung-tam"
    path = folder / "central.sqlite3"
    db = CentralDB(path)
    db.offices.add(OTHER, "UBND xã Bên Kia")
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        assert p.exists() and p.stat().st_mode & 0o777 == 0o600, p
    assert folder.stat().st_mode & 0o777 == 0o700
    # A file an older version left world-readable is closed down when the centre opens it.
    old = tmp_path / "old.sqlite3"
    old.touch(mode=0o644)
    old.chmod(0o644)
    run = subprocess.run(
        [sys.executable, "-m", "counter_tui.cli", "central", "--db", str(old), "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert old.stat().st_mode & 0o777 == 0o600


def test_an_action_on_another_offices_dossier_learns_and_records_nothing_of_it(
    central, two_offices
):
    """A counter of office A pushes an action naming office B's dossier (a bug, a tampered
    PC): it is refused exactly as a uid the centre never saw, and the audit entry recorded
    for office A names the uid it sent, never B's dossier code."""
    b = two_offices["b"]
    token_a = two_offices["a_tokens"][0]
    client = httpx.Client(base_url=central.url, headers={"Authorization": f"Bearer {token_a}"})
    last = client.post("/v1/sync/push", json={"ops": []}).json()["last_seq"]
    op = {
        "type": "dossier.action",
        "op_id": "11111111-2222-3333-4444-555555555555",
        "seq": last + 1,
        "uid": b.uid,
        "action": "withdraw",
        "actor": "canbo01",
        "at": "2026-11-25T09:00:00",
        "data": {},
    }
    unknown = dict(op, op_id="66666666-2222-3333-4444-555555555555", seq=last + 2, uid="x" * 36)
    r = client.post("/v1/sync/push", json={"ops": [op, unknown]})
    client.close()
    assert r.status_code == 200, r.text
    got, never_seen = r.json()["results"]
    assert got["status"] == "rejected"
    # Indistinguishable from a dossier that does not exist.
    assert (got["code"], got["reason"]) == (never_seen["code"], never_seen["reason"])
    entries_of_a = [e for e in central.db.audit.entries() if e.get("office") != OTHER]
    text = orjson.dumps(entries_of_a).decode()
    assert b.uid in text  # the attempt is on record, by the uid A itself sent
    assert b.code not in text and "Phạm Văn Bênkia" not in text
