"""Counter credentials, clerk accounts, the central audit chain, logs and TLS, against a real
central service on 127.0.0.1 (a subprocess, as in production)."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import datetime
from logging.handlers import RotatingFileHandler

import httpx
import pytest
import trustme
from sqlalchemy.exc import DBAPIError

from counter_tui import logs
from counter_tui.domain.status import Action
from counter_tui.settings import SettingsError, settings_from_dict
from counter_tui.sync.client import CentralClient, CertificateRefused
from counter_tui.sync.state import Connection
from counter_tui.usecases.auth import SignIn, SignInError, hash_pin
from tests.support.central import OFFICE, CentralProcess
from tests.support.counter import make_counter

OTHER = "000.00.00.H38"


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "counter_tui.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_expired_token_is_refused_with_the_reason_and_rotation_recovers(
    tmp_path, central, tokens
):
    q1, token = tokens["q1"]
    c = make_counter(tmp_path / "q1", central.url, token, q1.slot)
    c.receive("Trần Thị Bình", "079185000001")
    central.db.clients.expire_now(q1.id)
    assert c.engine.sync_once() is False
    st = c.engine.status()
    assert st.state is Connection.ERROR and "đã hết hạn" in st.error.vi
    assert token not in st.error.vi and token not in st.error.en
    assert central.db.dossiers.count() == 0 and st.pending == 1  # nothing lost, nothing sent
    new = central.db.clients.rotate_token(q1.id)
    c.client.close()
    c.engine.client = c.client = CentralClient(central.url, new)
    assert c.engine.sync_once() is True and central.db.dossiers.count() == 1
    old = httpx.get(f"{central.url}/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert old.status_code == 401 and old.json()["detail"] == "Unknown token"
    c.close()


def test_a_revoked_token_stops_at_once(tmp_path, central, tokens):
    q2, token = tokens["q2"]
    c = make_counter(tmp_path / "q2", central.url, token, q2.slot, name="Q2")
    assert c.engine.sync_once() is True
    central.db.clients.revoke(q2.id)
    c.receive("Lê Văn Cường", "079185000002")
    assert c.engine.sync_once() is False
    assert "thu hồi" in c.engine.status().error.vi
    assert central.db.dossiers.count() == 0
    c.close()


def test_roles_a_counter_cannot_act_as_back_office_nor_the_reverse(central, tokens):
    counter = {"Authorization": f"Bearer {tokens['q1'][1]}"}
    bo = {"Authorization": f"Bearer {tokens['bo']}"}
    r = httpx.post(
        f"{central.url}/v1/backoffice/dossiers/x/actions", json={"action": "stop"}, headers=counter
    )
    assert r.status_code == 403
    assert (
        httpx.post(f"{central.url}/v1/sync/push", json={"ops": []}, headers=bo).status_code == 403
    )
    assert httpx.get(f"{central.url}/v1/clerks", headers=bo).status_code == 403


def test_clerks_reach_the_counter_and_sign_in_works_offline(tmp_path, central, tokens):
    central.db.offices.add(OTHER, "UBND xã khác")
    central.db.clerks.set(OFFICE, "lan", "Nguyễn Thị Lan", hash_pin("246810"))
    central.db.clerks.set(OTHER, "khac", "Người xã khác", hash_pin("111111"))
    q1, token = tokens["q1"]
    c = make_counter(tmp_path / "q1", central.url, token, q1.slot)
    assert c.engine.sync_once() is True
    cached = c.store.clerks.all()
    assert [a["username"] for a in cached] == ["lan"]  # only this office's clerks
    assert "246810" not in repr(cached) and cached[0]["pin_hash"].startswith("$argon2id$")
    central.stop()  # the network is gone: sign-in still works from the cache
    signin = SignIn(c.store, lambda: datetime(2026, 11, 25, 9, 0))
    assert signin.sign_in("lan", "246810").name == "Nguyễn Thị Lan"
    with pytest.raises(SignInError):
        signin.sign_in("khac", "111111")
    central.start()
    central.db.clerks.disable(OFFICE, "lan")
    assert c.engine.sync_once() is True
    with pytest.raises(SignInError):
        signin.sign_in("lan", "246810")
    c.close()


def test_the_central_audit_chain_records_who_did_what_and_catches_tampering(
    tmp_path, central, tokens
):
    q1, token = tokens["q1"]
    c = make_counter(tmp_path / "q1", central.url, token, q1.slot)
    d = c.receive("Trần Thị Bình", "079185000001")
    c.desk.act(
        d.uid,
        Action.WITHDRAW,
        note="rút",
    )
    assert c.engine.sync_once() is True
    entries = central.db.audit.entries()
    pushed = [(e["actor"], e["action"], e["target"], e["client"]) for e in entries if e["client"]]
    assert pushed == [("canbo-Q1", "receive", d.code, "Q1"), ("canbo-Q1", "withdraw", d.code, "Q1")]
    assert [e["action"] for e in entries[:2]] == ["office.set", "client.add"]
    ok = cli("--lang", "en", "central", "--db", str(central.db_path), "audit", "verify")
    assert ok.returncode == 0 and f"intact: {len(entries)} entries" in ok.stdout
    from sqlalchemy import text

    with pytest.raises(DBAPIError, match="append-only"), central.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit SET body = body WHERE seq = 1"))
    # Someone with the database drops the guard and rewrites who did it.
    n = len(entries) - 1
    with central.db.engine.begin() as conn:
        on = " ON audit" if central.db.dialect == "postgresql" else ""
        conn.execute(text(f"DROP TRIGGER audit_append_only_u{on}"))
        body = conn.execute(text("SELECT body FROM audit WHERE seq=:n"), {"n": n}).scalar_one()
        conn.execute(
            text("UPDATE audit SET body=:b WHERE seq=:n"),
            {"b": body.replace("canbo-Q1", "nguoi-khac"), "n": n},
        )
    bad = cli("--lang", "en", "central", "--db", str(central.db_path), "audit", "verify")
    assert bad.returncode == 1 and f"entry {n}" in bad.stdout
    c.close()


def test_no_citizen_id_or_token_in_the_central_log(tmp_path):
    central = CentralProcess(tmp_path / "c.sqlite3", extra=["--log-level", "info", "--access-log"])
    central.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    q1, token = central.db.clients.add(OFFICE, "Q1")
    central.start()
    try:
        c = make_counter(tmp_path / "q1", central.url, token, q1.slot)
        c.receive("Trần Thị Bình", "079185000001")
        assert c.engine.sync_once() is True
        assert c.client.citizen_dossiers("079185000001")
        httpx.get(f"{central.url}/v1/me", headers={"Authorization": "Bearer not-a-real-token-123"})
        c.close()
    finally:
        central.stop()
    log = central.log()
    assert "citizen lookup 079******001" in log  # the operator still sees which lookup
    assert "/v1/citizens/079******001/dossiers" in log  # the access log is masked too
    assert "token refused (unknown)" in log
    assert "079185000001" not in log and token not in log and "not-a-real-token-123" not in log
    assert "0912345678" not in log
    # One masked line per request, and no logging error: the access formatter used to choke
    # on a masked record (a TypeError traceback for every request).
    me_lines = [line for line in log.splitlines() if '"GET /v1/me HTTP/1.1" 401' in line]
    assert len(me_lines) == 1, log
    assert "Traceback" not in log and "--- Logging error ---" not in log


def test_counter_log_masks_ids_and_never_holds_the_token(tmp_path, central, tokens, caplog):
    q1, token = tokens["q1"]
    logs.register_secret(token)
    # The file handler is set up once per process: start from none (this test runs once per
    # central engine, and the first run's file is gone by the second).
    app_logger = logging.getLogger("counter_tui")
    for h in [h for h in app_logger.handlers if isinstance(h, RotatingFileHandler)]:
        app_logger.removeHandler(h)
        h.close()
    logs.configure(tmp_path / "logs" / "counter-tui.log")
    c = make_counter(tmp_path / "q1", central.url, token, q1.slot)
    central.db.clients.revoke(q1.id)
    with caplog.at_level(logging.INFO):
        assert c.engine.sync_once() is False
        logging.getLogger("counter_tui.test").warning(
            "looked up %s with Bearer %s", "001203012345", token
        )
    c.close()
    text = (tmp_path / "logs" / "counter-tui.log").read_text(encoding="utf-8")
    captured = caplog.text
    for out in (text, captured):
        # Every handler sees the masked record, the test's capture as much as the file.
        assert "central refused this counter's token: revoked" in out
        assert "looked up 001******345 with Bearer ***" in out
        assert token not in out and "001203012345" not in out
    assert (tmp_path / "logs" / "counter-tui.log").stat().st_mode & 0o077 == 0


def self_signed(tmp_path):
    """A certificate that signs itself (what a small office makes with openssl req -x509)."""
    from datetime import timedelta
    from ipaddress import ip_address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "trung-tam.local")])
    now = datetime.now().astimezone()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem, key_pem = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_pem, key_pem, cert_pem  # the certificate is its own trust anchor


def private_ca(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_pem, key_pem, ca_pem = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_pem))
    cert.private_key_pem.write_to_path(str(key_pem))
    ca.cert_pem.write_to_path(str(ca_pem))
    return cert_pem, key_pem, ca_pem


@pytest.mark.parametrize("make_cert", [self_signed, private_ca], ids=["self-signed", "private-ca"])
def test_tls_certificate_accepted_only_when_configured(tmp_path, make_cert):
    from counter_tui.launch import make_services
    from counter_tui.settings import Settings

    cert_pem, key_pem, trust = make_cert(tmp_path)
    central = CentralProcess(tmp_path / "c.sqlite3", tls=(cert_pem, key_pem), ca_file=trust)
    central.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    q1, token = central.db.clients.add(OFFICE, "Q1")
    central.start()

    def counter(**extra):
        s = Settings(
            office=OFFICE, slot=q1.slot, central_url=central.url, central_token=token, **extra
        )
        return make_services(s, data=tmp_path / "q1", start_sync=False)

    try:
        assert central.url.startswith("https://")
        # Default: the system's roots only. The certificate is refused, nothing is sent.
        plain = counter()
        try:
            with pytest.raises(CertificateRefused):
                plain.sync.client.health()
            assert plain.sync.sync_once() is False
            assert "Chứng chỉ bảo mật (TLS)" in plain.sync.status().error.vi
            assert central.db.dossiers.count() == 0
        finally:
            plain.sync.client.close()
            plain.close()
        # Configured through the settings: the same service is trusted, and sync goes through.
        trusted = counter(ca_file=str(trust))
        try:
            assert trusted.sync.sync_once() is True
            assert trusted.sync.status().state is Connection.ONLINE
        finally:
            trusted.sync.client.close()
            trusted.close()
    finally:
        central.stop()


def test_settings_keep_certificate_checks_and_https_beyond_loopback(tmp_path):
    base = {"url": "https://trungtam.example.vn", "token": "t" * 20}
    with pytest.raises(SettingsError, match="ca_file"):
        settings_from_dict({"central": {**base, "verify_tls": False}})
    with pytest.raises(SettingsError, match="https"):
        settings_from_dict({"central": {**base, "url": "http://10.0.0.5:8765"}})
    with pytest.raises(SettingsError, match="ca_file"):
        settings_from_dict({"central": {**base, "ca_file": str(tmp_path / "missing.pem")}})
    ca_pem = tmp_path / "ca.pem"
    ca_pem.write_text("x")
    s = settings_from_dict({"central": {**base, "ca_file": str(ca_pem)}})
    assert s.verify_tls and s.ca_file == str(ca_pem)


def test_operator_commands_for_clerks_store_only_a_hash(tmp_path):
    db = tmp_path / "c.sqlite3"
    assert (
        cli("central", "--db", str(db), "add-office", OFFICE, "UBND xã Quảng Phú").returncode == 0
    )
    short = cli(
        "central",
        "--db",
        str(db),
        "add-clerk",
        OFFICE,
        "lan",
        "--name",
        "Lan",
        "--pin-stdin",
        stdin="123\n",
    )
    assert short.returncode == 2 and "ít nhất 6" in short.stderr
    ok = cli(
        "central",
        "--db",
        str(db),
        "add-clerk",
        OFFICE,
        "Lan",
        "--name",
        "Nguyễn Thị Lan",
        "--pin-stdin",
        stdin="24681012\n",
    )
    assert ok.returncode == 0, ok.stderr
    raw = db.read_bytes()
    assert b"24681012" not in raw
    from counter_tui.central.db import CentralDB

    [clerk] = CentralDB(db).clerks.of_office(OFFICE)
    assert clerk["username"] == "lan" and clerk["pin_hash"].startswith("$argon2id$")
    # A standalone counter: the account lives in its own cache.
    data = tmp_path / "counter"
    local = cli(
        "clerk",
        "add",
        "minh",
        "--name",
        "Trần Văn Minh",
        "--data",
        str(data),
        "--pin-stdin",
        stdin="13579135\n",
    )
    assert local.returncode == 0, local.stderr
    from counter_tui.store.local import LocalStore

    store = LocalStore(data, background=False)
    try:
        signin = SignIn(store, lambda: datetime(2026, 11, 25, 9, 0))
        assert signin.sign_in("minh", "13579135").name == "Trần Văn Minh"
    finally:
        store.close()
