"""The centre's file endpoints (issue 14) against a real central service on each engine:
chunked uploads that resume, a hash checked before "complete", one copy on disk for all
offices, and no office ever told anything about another office's files."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import httpx
import pytest

from counter_tui.central.filestore import DiskFileStore
from counter_tui.cli import main
from counter_tui.domain.files import named_shas
from tests.central.test_routing import routed  # noqa: F401  (a fixture, by name)
from tests.support.central import OFFICE, CentralProcess
from tests.support.counter import make_counter

MIB = 1024 * 1024
OTHER = "000.00.00.H38"  # the same office as test_routing's office B


def blob(n: int, seed: int = 0) -> tuple[bytes, str]:
    data = hashlib.sha256(str(seed).encode()).digest() * (n // 32 + 1)
    data = data[:n]
    return data, hashlib.sha256(data).hexdigest()


def http_for(central: CentralProcess, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=central.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def patch(http: httpx.Client, sha: str, offset: int, total: int, chunk: bytes) -> httpx.Response:
    return http.patch(
        f"/v1/files/{sha}/upload",
        content=chunk,
        headers={
            "Upload-Offset": str(offset),
            "Upload-Length": str(total),
            "Content-Type": "application/octet-stream",
        },
    )


def send_all(http: httpx.Client, data: bytes, sha: str, start: int = 0) -> httpx.Response:
    offset = start
    while True:
        r = patch(http, sha, offset, len(data), data[offset : offset + MIB])
        assert r.status_code == 200, r.text
        offset = r.json()["received"]
        if r.json()["complete"]:
            return r


def stored(central: CentralProcess) -> int:
    return DiskFileStore(central.files).count()


def test_a_file_sent_in_chunks_is_kept_once_and_served_byte_identical(central, tokens):
    http = http_for(central, tokens["q1"][1])
    data, sha = blob(3 * MIB + 123)
    assert http.get(f"/v1/files/{sha}/upload").json() == {
        "size": None,
        "received": 0,
        "complete": False,
    }
    r = patch(http, sha, 0, len(data), data[:MIB])
    assert r.json() == {"received": MIB, "complete": False}
    assert http.get(f"/v1/files/{sha}/upload").json() == {
        "size": len(data),
        "received": MIB,
        "complete": False,
    }
    # Not yet whole: nobody may read it.
    assert http.get(f"/v1/files/{sha}").status_code == 404
    # A chunk sent again (its answer was lost) is refused with where the centre stands.
    r = patch(http, sha, 0, len(data), data[:MIB])
    assert r.status_code == 409
    assert r.json()["code"] == "offset" and r.json()["received"] == MIB
    send_all(http, data, sha, start=MIB)
    got = http.get(f"/v1/files/{sha}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "application/octet-stream"
    # The last chunk again (a retry after a lost "complete"): complete, nothing changes.
    r = patch(http, sha, 3 * MIB, len(data), data[3 * MIB :])
    assert r.status_code == 200 and r.json() == {"received": len(data), "complete": True}
    assert http.get(f"/v1/files/{sha}/upload").json()["complete"] is True
    assert [f["sha"] for f in central.db.files.of_office(OFFICE)] == [sha]
    assert stored(central) == 1
    # The back office of the same office reads it too.
    assert http_for(central, tokens["bo"]).get(f"/v1/files/{sha}").content == data


def test_bytes_that_do_not_hash_to_the_name_are_discarded(central, tokens):
    http = http_for(central, tokens["q1"][1])
    data, sha = blob(MIB + 10)
    patch(http, sha, 0, len(data), data[:MIB])
    r = patch(http, sha, MIB, len(data), b"X" * 10)  # the right length, the wrong bytes
    assert r.status_code == 422 and r.json()["code"] == "hash.mismatch"
    assert http.get(f"/v1/files/{sha}/upload").json()["received"] == 0
    assert http.get(f"/v1/files/{sha}").status_code == 404
    assert central.db.files.of_office(OFFICE) == [] and stored(central) == 0
    # Sent again, right, it is taken.
    assert send_all(http, data, sha).json()["complete"] is True


def test_a_second_counter_of_the_office_never_sends_it_again(central, tokens):
    data, sha = blob(2 * MIB, seed=1)
    send_all(http_for(central, tokens["q1"][1]), data, sha)
    q2 = http_for(central, tokens["q2"][1])
    assert q2.get(f"/v1/files/{sha}/upload").json() == {
        "size": len(data),
        "received": len(data),
        "complete": True,
    }
    # Even a first chunk from it is answered "complete" without taking anything.
    assert patch(q2, sha, 0, len(data), data[:MIB]).json()["complete"] is True
    assert len(central.db.files.of_office(OFFICE)) == 1


def test_another_office_learns_nothing_and_must_send_the_bytes(central, tokens):
    data, sha = blob(MIB + 7, seed=2)
    send_all(http_for(central, tokens["q1"][1]), data, sha)
    central.db.offices.add(OTHER, "UBND xã khác")
    _c, token = central.db.clients.add(OTHER, "Q1")
    _b, bo_token = central.db.clients.add(OTHER, "BO", role="backoffice")
    other = http_for(central, token)
    _unknown, unknown_sha = blob(5, seed=99)
    for client in (other, http_for(central, bo_token)):
        held, unknown = client.get(f"/v1/files/{sha}"), client.get(f"/v1/files/{unknown_sha}")
        assert held.status_code == unknown.status_code == 404
        assert held.content == unknown.content
    # The upload state says nothing either: the other office starts from zero.
    assert (
        other.get(f"/v1/files/{sha}/upload").json()
        == other.get(f"/v1/files/{unknown_sha}/upload").json()
    )
    r = patch(other, sha, MIB, len(data), data[MIB:])
    assert r.status_code == 409 and r.json()["received"] == 0
    send_all(other, data, sha)
    assert other.get(f"/v1/files/{sha}").content == data
    # Two offices hold it, one copy is on disk.
    assert len(central.db.files.of_office(OTHER)) == 1 and stored(central) == 1


@pytest.mark.parametrize(
    ("sha", "headers", "body_len", "status", "code"),
    [
        ("A" * 64, {"Upload-Offset": "0", "Upload-Length": "1"}, 1, 422, None),
        ("a" * 63, {"Upload-Offset": "0", "Upload-Length": "1"}, 1, 422, None),
        ("a" * 64, {"Upload-Offset": "0"}, 1, 422, None),
        ("a" * 64, {"Upload-Offset": "-1", "Upload-Length": "1"}, 1, 422, None),
        ("a" * 64, {"Upload-Offset": "0", "Upload-Length": "x"}, 1, 422, None),
        ("a" * 64, {"Upload-Offset": "0", "Upload-Length": str(2**64)}, 1, 422, None),
        (
            "a" * 64,
            {"Upload-Offset": "0", "Upload-Length": str(20 * MIB + 1)},
            1,
            413,
            "file.too_large",
        ),
        (
            "a" * 64,
            {"Upload-Offset": "0", "Upload-Length": str(2 * MIB)},
            MIB + 1,
            413,
            "chunk.too_large",
        ),
        ("a" * 64, {"Upload-Offset": "0", "Upload-Length": "3"}, 4, 422, "upload.overrun"),
    ],
)
def test_bad_uploads_get_a_clear_4xx_and_leave_nothing(
    central, tokens, sha, headers, body_len, status, code
):
    http = http_for(central, tokens["q1"][1])
    r = http.patch(f"/v1/files/{sha}/upload", content=b"x" * body_len, headers=headers)
    assert r.status_code == status, r.text
    assert "detail" in r.json()
    if code:
        assert r.json()["code"] == code
    assert http.get(f"/v1/files/{'a' * 64}/upload").json()["received"] == 0
    assert central.db.files.of_office(OFFICE) == [] and stored(central) == 0


def test_files_need_a_token_and_uploads_a_counter_token(central, tokens):
    sha = "b" * 64
    for method, url in [("GET", f"/v1/files/{sha}"), ("GET", f"/v1/files/{sha}/upload")]:
        assert httpx.request(method, central.url + url).status_code == 401
    bo = http_for(central, tokens["bo"])
    assert bo.get(f"/v1/files/{sha}/upload").status_code == 403
    assert patch(bo, sha, 0, 1, b"x").status_code == 403


def test_a_cut_upload_resumes_after_the_centre_restarts(central, tokens):
    http = http_for(central, tokens["q1"][1])
    data, sha = blob(3 * MIB, seed=3)
    patch(http, sha, 0, len(data), data[:MIB])
    patch(http, sha, MIB, len(data), data[MIB : 2 * MIB])
    central.kill()  # as a power cut would
    central.start()
    http = http_for(central, tokens["q1"][1])
    assert http.get(f"/v1/files/{sha}/upload").json()["received"] == 2 * MIB
    send_all(http, data, sha, start=2 * MIB)
    assert http.get(f"/v1/files/{sha}").content == data


def test_a_centre_on_postgresql_must_be_told_where_files_go(capsys):
    assert main(["central", "--db", "postgresql://nobody@127.0.0.1:1/none", "serve"]) == 2
    assert "--files DIR" in capsys.readouterr().err


def test_a_sqlite_centre_keeps_files_beside_its_database(tmp_path: Path):
    central = CentralProcess(tmp_path / "commune.sqlite3")
    central.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    _c, token = central.db.clients.add(OFFICE, "Q1")
    central.start()
    try:
        data, sha = blob(1000, seed=4)
        send_all(http_for(central, token), data, sha)
        assert (tmp_path / "commune-files" / "objects" / sha[:2] / sha).read_bytes() == data
        assert os.listdir(tmp_path / "commune-files" / "partial" / OFFICE) == []
    finally:
        central.close()


# --- the "attach" action (scans added to a dossier after receipt) --------------------------


def entry(sha: str, item: str = "1") -> dict[str, object]:
    """A scan of checklist item ``item`` (its 1-based place in the dossier's checklist)."""
    return {
        "sha": sha,
        "size": 1000,
        "name": "don.pdf",
        "kind": "pdf",
        "item": item,
        "role": "document",
        "pages": 2,
        "width": None,
        "height": None,
        "at": "2026-11-25T09:00:00",
        "actor": "canbo-Q1",
    }


def attach_op(seq: int, uid: str, files: list[dict[str, object]]) -> dict[str, object]:
    return {
        "seq": seq,
        "op_id": f"attach-{seq}",
        "type": "dossier.action",
        "uid": uid,
        "at": "2026-11-25T09:30:00",
        "actor": "canbo-Q1",
        "action": "attach",
        "data": {"files": files},
    }


def test_attach_appends_files_in_any_status_and_never_changes_it(tmp_path, central, tokens):
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(tmp_path / "q1", central.url, token, slot)
    try:
        d = c.receive("Hoàng Thị Mai", "001185000999")
        assert c.engine.sync_once()
    finally:
        c.close()
    http = http_for(central, token)
    a, b = "a" * 64, "b" * 64
    withdraw = dict(attach_op(2, d.uid, []), action="withdraw", op_id="w", data={})
    # Withdrawn: a final status, where attaching is still allowed.
    assert (
        http.post("/v1/sync/push", json={"ops": [withdraw]}).json()["results"][0]["status"]
        == "applied"
    )
    withdrawn = central.db.dossiers.by_code(OFFICE, d.code)[0]["status"]
    assert withdrawn != d.status
    ops = [
        attach_op(3, d.uid, [entry(a), entry(b, "2"), entry(b, "2")]),  # twice in one op: once
        attach_op(4, d.uid, [entry(a)]),  # already there: not added twice
        attach_op(5, d.uid, [dict(entry(a), sha="XYZ")]),
        attach_op(6, d.uid, []),
        attach_op(7, d.uid, [entry(b, "99")]),  # no such checklist item
        attach_op(8, d.uid, [dict(entry(a), kind="docx")]),
    ]
    results = http.post("/v1/sync/push", json={"ops": ops}).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"] + ["rejected"] * 4
    # Refused with the domain's codes (the counter applies the same rules), never a conflict.
    assert [r["code"] for r in results[2:]] == [
        "file.sha",
        "attach.files",
        "attach.item",
        "file.kind",
    ]
    assert central.db.dossiers.conflicts(office=OFFICE) == []
    doc, _v = central.db.dossiers.by_code(OFFICE, d.code)
    # Where the counter keeps them: per checklist item; a dossier's files in one list.
    assert [f["sha"] for f in doc["documents"][0]["files"]] == [a]
    assert [(f["sha"], f["item"]) for f in doc["documents"][1]["files"]] == [(b, "2")]
    assert named_shas(doc) == [a, b]
    assert "files" not in doc
    assert [e["action"] for e in doc["events"]][-3:] == ["withdraw", "attach", "attach"]
    attaches = [e for e in doc["events"] if e["action"] == "attach"]
    assert all(e["from_status"] == e["to_status"] == withdrawn for e in attaches)
    assert doc["status"] == withdrawn
    # Another office's counter cannot attach to it, and learns nothing.
    central.db.offices.add(OTHER, "UBND xã khác")
    _o, other_token = central.db.clients.add(OTHER, "Q1")
    r = http_for(central, other_token).post(
        "/v1/sync/push", json={"ops": [attach_op(1, d.uid, [entry(a)])]}
    )
    assert r.json()["results"][0]["code"] == "op.unknown"


def test_counters_racing_on_one_file_store_it_once(tmp_path, central_db, engine):
    """Three counters of one office and one of another send the same file at the same moment,
    chunk for chunk, to a centre with several workers (PostgreSQL) or its one worker (SQLite):
    every chunk lands once (the others hear where the upload stands), the file is whole and
    stored once, each office holds it once."""
    workers = ["--workers", "3"] if engine == "postgresql" else []
    central = CentralProcess(
        central_db, extra=workers, log_path=tmp_path / "race.log", files=tmp_path / "files"
    )
    central.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    central.db.offices.add(OTHER, "UBND xã khác")
    tokens = [central.db.clients.add(OFFICE, f"Q{i}")[1] for i in range(3)]
    tokens.append(central.db.clients.add(OTHER, "Q1")[1])
    central.start()
    try:
        data, sha = blob(4 * MIB + 1, seed=5)
        barrier = threading.Barrier(len(tokens))
        outcomes: list[list[int]] = []

        def send(token: str) -> None:
            http, statuses = http_for(central, token), []
            barrier.wait()
            offset = 0
            while True:
                r = patch(http, sha, offset, len(data), data[offset : offset + MIB])
                statuses.append(r.status_code)
                assert r.status_code in (200, 409), r.text
                offset = r.json()["received"]
                if r.status_code == 200 and r.json()["complete"]:
                    break
            outcomes.append(statuses)

        threads = [threading.Thread(target=send, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert len(outcomes) == len(tokens)
        assert sum(s.count(409) for s in outcomes) > 0  # they did collide
        assert http_for(central, tokens[0]).get(f"/v1/files/{sha}").content == data
        assert http_for(central, tokens[3]).get(f"/v1/files/{sha}").content == data
        assert (
            len(central.db.files.of_office(OFFICE)) == len(central.db.files.of_office(OTHER)) == 1
        )
        assert DiskFileStore(tmp_path / "files").count() == 1
    finally:
        central.close()


def test_the_handling_office_reads_the_files_of_a_dossier_routed_to_it(central, routed):  # noqa: F811
    """Receipt regardless of boundary: office A's counter scans the papers of a dossier it
    received for office B; B (its back office and its counters) reads those scans, and
    nothing else of A's; a third office reads nothing."""
    token_a, for_b, own = routed["a_token"], routed["for_b"], routed["own"]
    http_a = http_for(central, token_a)
    routed_data, routed_sha = blob(MIB + 1, seed=6)
    own_data, own_sha = blob(1000, seed=7)
    send_all(http_a, routed_data, routed_sha)
    send_all(http_a, own_data, own_sha)
    last = next(c["last_seq"] for c in central.db.clients.all() if c["name"] == "Q1")
    ops = [
        attach_op(last + 1, for_b.uid, [entry(routed_sha)]),
        attach_op(last + 2, own.uid, [entry(own_sha)]),
    ]
    results = http_a.post("/v1/sync/push", json={"ops": ops}).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    for token in routed["b_tokens"]:
        b = http_for(central, token)
        assert b.get(f"/v1/files/{routed_sha}").content == routed_data
        assert b.get(f"/v1/files/{own_sha}").status_code == 404
    # Reading is all: B's counter holds no upload of it (it would send every byte).
    counter_b = http_for(central, routed["b_tokens"][0])
    state = counter_b.get(f"/v1/files/{routed_sha}/upload").json()
    assert state == {"size": None, "received": 0, "complete": False}
    central.db.offices.add("000.00.00.H39", "UBND xã thứ ba")
    _c, third = central.db.clients.add("000.00.00.H39", "Q1")
    unknown = http_for(central, third).get(f"/v1/files/{'c' * 64}")
    assert http_for(central, third).get(f"/v1/files/{routed_sha}").content == unknown.content


def test_an_office_cannot_fill_the_centres_disk_with_unfinished_uploads(central, tokens):
    """At most MAX_OPEN_PER_OFFICE unfinished uploads per office: the next new one is a 429
    (busy: the counter retries later, nothing is set aside), another office is not held up,
    and one finished makes room again."""
    from counter_tui.central.filestore import MAX_OPEN_PER_OFFICE

    q1 = http_for(central, tokens["q1"][1])
    halves = [blob(64, seed=1000 + i) for i in range(MAX_OPEN_PER_OFFICE + 1)]
    for data, sha in halves[:MAX_OPEN_PER_OFFICE]:
        assert patch(q1, sha, 0, len(data), data[:32]).status_code == 200
    data, sha = halves[-1]
    refused = patch(q1, sha, 0, len(data), data[:32])
    assert refused.status_code == 429 and refused.json()["code"] == "uploads.too_many"
    assert refused.headers["Retry-After"] == "60"
    assert q1.get(f"/v1/files/{sha}/upload").json()["received"] == 0  # nothing kept
    # A started upload still goes on, and finishing it makes room for the new one.
    first, first_sha = halves[0]
    assert patch(q1, first_sha, 32, len(first), first[32:]).json()["complete"] is True
    assert patch(q1, sha, 0, len(data), data[:32]).status_code == 200
    # Another office has its own room.
    central.db.offices.add(OTHER, "UBND xã khác")
    _c, token = central.db.clients.add(OTHER, "Q1")
    other_data, other_sha = blob(10, seed=7)
    assert send_all(http_for(central, token), other_data, other_sha).json()["complete"]


def test_partial_uploads_untouched_for_a_week_are_removed(tmp_path: Path):
    from counter_tui.central.filestore import STALE_AFTER_S, Uploads

    folder = tmp_path / "partial" / OFFICE
    folder.mkdir(parents=True)
    stale, fresh = folder / f"{'a' * 64}-10.part", folder / f"{'b' * 64}-10.part"
    for p in (stale, fresh):
        p.write_bytes(b"12345")
    old = os.stat(fresh).st_mtime - STALE_AFTER_S - 60
    os.utime(stale, (old, old))
    Uploads(tmp_path)  # the centre starting
    assert not stale.exists() and fresh.exists()
