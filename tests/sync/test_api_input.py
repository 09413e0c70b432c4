"""Bad input to every endpoint of the central service: a clear 4xx, and nothing changes."""

from __future__ import annotations

import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.support.central import OFFICE, CentralProcess
from tests.support.counter import make_counter


@pytest.fixture
def setup(tmp_path, central, tokens):
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(tmp_path / "q1", central.url, token, slot)
    d = c.receive("Hoàng Thị Mai", "001185000999")
    assert c.engine.sync_once()
    http = httpx.Client(base_url=central.url, headers={"Authorization": f"Bearer {token}"})
    yield central, http, d
    http.close()
    c.close()


def _state(central: CentralProcess):
    t = central.db.totals()
    return (t["dossiers"], t["max_version"], t["sum_last_seq"], t["ops"])


GOOD_OP = {
    "seq": 2,
    "op_id": "x1",
    "type": "dossier.action",
    "uid": "u",
    "at": "2026-11-25T09:00:00",
    "action": "withdraw",
}


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status"),
    [
        (
            "POST",
            "/v1/sync/push",
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            422,
        ),
        ("POST", "/v1/sync/push", {"json": {"ops": "many"}}, 422),
        ("POST", "/v1/sync/push", {"json": {"ops": [dict(GOOD_OP, seq="two")]}}, 422),
        ("POST", "/v1/sync/push", {"json": {"ops": [dict(GOOD_OP, colour="red")]}}, 422),
        ("POST", "/v1/sync/push", {"json": {"ops": [GOOD_OP], "extra": 1}}, 422),
        ("POST", "/v1/sync/push", {"json": {"ops": [dict(GOOD_OP, seq=0)]}}, 422),
        (
            "POST",
            "/v1/sync/push",
            {"json": {"ops": [dict(GOOD_OP, seq=3), dict(GOOD_OP, seq=2)]}},
            422,
        ),
        (
            "POST",
            "/v1/sync/push",
            {
                "content": b'{"ops":[' + b"1," * 3_000_000 + b"1]}",
                "headers": {"Content-Type": "application/json"},
            },
            413,
        ),
        # Beyond what a 64-bit column or orjson can hold (found by schemathesis as a 500).
        ("POST", "/v1/sync/push", {"json": {"ops": [], "audit": {"seq": 2**70}}}, 422),
        ("POST", "/v1/sync/push", {"json": {"ops": [dict(GOOD_OP, seq=2**63)]}}, 422),
        ("POST", "/v1/sync/push", {"json": {"ops": [dict(GOOD_OP, base_version=2**64)]}}, 422),
        (
            "POST",
            "/v1/sync/push",
            {"json": {"ops": [dict(GOOD_OP, data={"n": 2**65})]}},
            422,
        ),
        (
            "POST",
            "/v1/sync/push",
            {
                "content": b'{"ops":[{"seq":2,"op_id":"x1","type":"dossier.action","uid":"u",'
                b'"at":"2026-11-25T09:00:00","action":"withdraw","note":"\\ud800"}]}',
                "headers": {"Content-Type": "application/json"},
            },
            422,
        ),
        # The NUL character: PostgreSQL text cannot hold it (found by schemathesis as a 500).
        ("POST", "/v1/sync/push", {"json": {"ops": [dict(GOOD_OP, uid="u\x00")]}}, 422),
        (
            "POST",
            "/v1/sync/push",
            {"json": {"ops": [dict(GOOD_OP, data={"k\x00": 1})]}},
            422,
        ),
        (
            "POST",
            "/v1/sync/push",
            {"json": {"ops": [dict(GOOD_OP, type="dossier.receive", doc={"a": ["\x00"]})]}},
            422,
        ),
        ("GET", "/v1/dossiers/a%00b", {}, 400),
        ("GET", "/v1/citizens/%00/dossiers", {}, 400),
        ("GET", "/v1/sync/pull?cursor=%00", {}, 400),
        ("POST", "/v1/backoffice/dossiers/a%00/actions", {"json": {"action": "x"}}, 400),
        ("GET", "/v1/sync/pull?cursor=abc", {}, 400),
        ("GET", f"/v1/sync/pull?cursor={{epoch}}:{'9' * 20}", {}, 400),
        ("GET", "/v1/sync/pull?cursor={epoch}:²", {}, 400),
        ("GET", "/v1/sync/pull?cursor={epoch}:-1", {}, 400),
        (
            "POST",
            "/v1/sync/push",
            {
                "content": (b"x" * 65536,) * (11 * 16),  # 11 MB, chunked (no length)
                "headers": {"Content-Type": "application/json"},
            },
            413,
        ),
        ("GET", "/v1/sync/pull?limit=0", {}, 422),
        ("GET", "/v1/sync/pull?limit=ten", {}, 422),
        ("GET", "/v1/citizens/12ab/dossiers", {}, 422),
        ("GET", "/v1/dossiers/000.00.00.H56-261125-99999", {}, 404),
        (
            "POST",
            "/v1/backoffice/dossiers/x/actions",
            {"json": {"action": "start_processing"}},
            403,
        ),
    ],
)
def test_bad_requests_get_a_clear_4xx_and_change_nothing(setup, method, url, kwargs, status):
    central, http, _d = setup
    before = _state(central)
    epoch = http.get("/v1/health").json()["epoch"]
    r = http.request(method, url.replace("{epoch}", epoch), **kwargs)
    assert r.status_code == status, r.text
    assert "detail" in r.json()
    assert _state(central) == before


def test_a_gap_in_sequence_numbers_is_refused(setup):
    central, http, _d = setup
    before = _state(central)
    r = http.post("/v1/sync/push", json={"ops": [dict(GOOD_OP, seq=5)]})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "gap" and r.json()["error"]["expected"] == 2
    assert _state(central) == before


def test_a_note_that_spells_out_backslash_u0000_is_not_taken_for_nul(setup):
    _central, http, _d = setup
    r = http.post("/v1/sync/push", json={"ops": [dict(GOOD_OP, note="C:\\u0000\\scan")]})
    assert r.status_code == 200, r.text
    assert r.json()["last_seq"] == 2


def test_a_reused_sequence_number_is_refused(setup):
    central, http, _d = setup
    before = _state(central)
    r = http.post("/v1/sync/push", json={"ops": [dict(GOOD_OP, seq=1, op_id="other")]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "seq_reused"
    assert _state(central) == before


@pytest.mark.parametrize("auth", [None, "Bearer wrong", "Bearer Bearer", "Basic dXNlcjpwdw=="])
def test_wrong_token_is_401_everywhere(setup, auth):
    central, _http, d = setup
    for method, url in [
        ("GET", "/v1/sync/pull"),
        ("POST", "/v1/sync/push"),
        ("GET", "/v1/catalog"),
        ("GET", f"/v1/dossiers/{d.code}"),
        ("GET", "/v1/me"),
    ]:
        headers = {"Authorization": auth} if auth else {}
        r = httpx.request(method, central.url + url, headers=headers, json={"ops": []})
        assert r.status_code == 401, (url, r.status_code)


def test_another_offices_dossier_is_out_of_reach(setup):
    central, _http, d = setup
    central.db.offices.add("000.00.00.H38", "UBND xã khác")
    _other, token = central.db.clients.add("000.00.00.H38", "Q1")
    _bo, bo_token = central.db.clients.add("000.00.00.H38", "BO", role="backoffice")
    other = httpx.Client(base_url=central.url, headers={"Authorization": f"Bearer {token}"})
    assert other.get(f"/v1/dossiers/{d.code}").status_code == 404
    assert other.get(f"/v1/citizens/{d.applicant.citizen_id}/dossiers").json() == {"dossiers": []}
    assert other.get("/v1/sync/pull").json()["changes"] == []
    before = _state(central)
    r = other.post("/v1/sync/push", json={"ops": [dict(GOOD_OP, seq=1, uid=d.uid)]})
    assert r.status_code == 200
    assert r.json()["results"][0]["status"] == "rejected"
    # Answered as for a dossier the centre never saw: another office learns nothing,
    # not even that the dossier exists.
    assert r.json()["results"][0]["code"] == "op.unknown"
    assert "Không tìm thấy" in r.json()["results"][0]["reason"]
    assert central.db.dossiers.by_code(OFFICE, d.code)[0]["status"] == d.status
    bo = httpx.Client(base_url=central.url, headers={"Authorization": f"Bearer {bo_token}"})
    assert (
        bo.post(
            f"/v1/backoffice/dossiers/{d.code}/actions", json={"action": "start_processing"}
        ).status_code
        == 404
    )
    assert _state(central)[:2] == before[:2]
    other.close()
    bo.close()


def test_catalog_etag_makes_an_unchanged_catalog_cost_nothing(setup):
    _central, http, _d = setup
    r = http.get("/v1/catalog")
    assert r.status_code == 200 and len(r.json()["procedures"]) >= 21
    again = http.get("/v1/catalog", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.fixture
def api_schema(setup):
    central, http, _d = setup
    schema = schemathesis.openapi.from_url(f"{central.url}/openapi.json")
    schema.config.headers = dict(http.headers)  # type: ignore[attr-defined]
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("ST_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_from_the_openapi_document_gets_a_5xx(case, setup):
    _central, http, _d = setup
    response = case.call(headers=dict(http.headers))
    case.validate_response(response, checks=[not_a_server_error])
