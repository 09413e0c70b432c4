"""Central state in SQLite (WAL): offices, counters, dossiers, applied operations, change feed.

Every write runs in ``BEGIN IMMEDIATE``, so writers are serialised and the
change-feed version (one counter row, bumped in the same transaction) is
assigned in commit order: a reader can never see version 7 before version 6
has committed. Tokens are stored as SHA-256 hashes; the token itself is shown
once, when the counter is registered.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from counter_tui.domain.audit_chain import chain, verify_chain

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS offices (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, next_slot INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office TEXT NOT NULL REFERENCES offices(code),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('counter', 'backoffice')),
    slot INTEGER,
    token_hash TEXT NOT NULL UNIQUE,
    last_seq INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS dossiers (
    uid TEXT PRIMARY KEY,
    office TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    citizen_id TEXT,
    version INTEGER NOT NULL,
    doc BLOB NOT NULL,
    received_at_server REAL NOT NULL);
CREATE INDEX IF NOT EXISTS dossiers_feed ON dossiers(office, version);
CREATE INDEX IF NOT EXISTS dossiers_citizen ON dossiers(office, citizen_id);
CREATE TABLE IF NOT EXISTS ops (
    client_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    op_id TEXT NOT NULL,
    uid TEXT,
    result BLOB NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY (client_id, seq));
CREATE TABLE IF NOT EXISTS conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT, client_id INTEGER, seq INTEGER, reason TEXT NOT NULL, op BLOB NOT NULL,
    at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS catalog (id INTEGER PRIMARY KEY CHECK (id = 1), etag TEXT, body BLOB);
CREATE TABLE IF NOT EXISTS clerks (
    office TEXT NOT NULL REFERENCES offices(code),
    username TEXT NOT NULL,
    name TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    updated_at REAL NOT NULL,
    PRIMARY KEY (office, username));
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_append_only_u BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_d BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
TOKEN_DAYS = 365.0


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def owner_only(path: Path) -> None:
    """Create the database file (and a missing folder) readable by its owner only, before
    SQLite opens it: the WAL and shared-memory files SQLite makes beside it take the same
    mode. A file or WAL left readable by an older version is closed down too."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            if p.stat().st_mode & 0o077:
                p.chmod(0o600)


class AuthFailed(Exception):
    """Why a token was refused: unknown, revoked or expired (said to the caller as such)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Client:
    id: int
    office: str
    name: str
    role: str
    slot: int | None
    last_seq: int


class CentralDB:
    """SQLite behind the operations the service needs (a PostgreSQL class would match it)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        owner_only(Path(path))
        self._local = threading.local()
        conn = self._conn()
        conn.executescript(SCHEMA)
        columns = {r[1] for r in conn.execute("PRAGMA table_info(clients)")}
        if "expires_at" not in columns:  # databases made before tokens expired
            conn.execute("ALTER TABLE clients ADD COLUMN expires_at REAL")
        with self.write() as c:
            if c.execute("SELECT v FROM meta WHERE k='epoch'").fetchone() is None:
                c.execute("INSERT INTO meta VALUES ('epoch', ?)", (uuid.uuid4().hex[:12],))
                c.execute("INSERT INTO meta VALUES ('version', '0')")

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=30, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def read(self) -> sqlite3.Connection:
        return self._conn()

    # --- identity -------------------------------------------------------------------------

    @property
    def epoch(self) -> str:
        return self.read().execute("SELECT v FROM meta WHERE k='epoch'").fetchone()[0]

    def add_office(self, code: str, name: str) -> None:
        with self.write() as c:
            c.execute(
                "INSERT INTO offices(code, name) VALUES (?, ?) "
                "ON CONFLICT(code) DO UPDATE SET name=excluded.name",
                (code, name),
            )
            self.audit(c, code, "operator", "office.set", name)

    def office(self, code: str) -> dict[str, Any] | None:
        row = self.read().execute("SELECT code, name FROM offices WHERE code=?", (code,)).fetchone()
        return {"code": row[0], "name": row[1]} if row else None

    def add_client(
        self, office: str, name: str, role: str = "counter", days: float | None = TOKEN_DAYS
    ) -> tuple[Client, str]:
        """Register a counter (or a back-office user); returns it and its token (shown once).
        The token expires after ``days`` (``None``: never)."""
        token = secrets.token_urlsafe(32)
        expires = time.time() + days * 86400 if days else None
        with self.write() as c:
            row = c.execute("SELECT next_slot FROM offices WHERE code=?", (office,)).fetchone()
            if row is None:
                raise KeyError(office)
            slot = None
            if role == "counter":
                slot = int(row[0])
                if slot > 99:
                    raise ValueError("an office has at most 99 counters")
                c.execute("UPDATE offices SET next_slot=? WHERE code=?", (slot + 1, office))
            cur = c.execute(
                "INSERT INTO clients(office, name, role, slot, token_hash, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (office, name, role, slot, hash_token(token), time.time(), expires),
            )
            client = Client(int(cur.lastrowid or 0), office, name, role, slot, 0)
            self.audit(c, office, "operator", "client.add", f"{role} {name} (id {client.id})")
        return client, token

    def rotate_token(self, client_id: int, days: float | None = TOKEN_DAYS) -> str:
        """A new token for the client; the old one stops working at once."""
        token = secrets.token_urlsafe(32)
        expires = time.time() + days * 86400 if days else None
        with self.write() as c:
            row = c.execute("SELECT office, name FROM clients WHERE id=?", (client_id,)).fetchone()
            if row is None:
                raise KeyError(client_id)
            c.execute(
                "UPDATE clients SET token_hash=?, expires_at=? WHERE id=?",
                (hash_token(token), expires, client_id),
            )
            self.audit(c, row[0], "operator", "client.rotate", f"{row[1]} (id {client_id})")
        return token

    def revoke(self, client_id: int) -> None:
        with self.write() as c:
            row = c.execute("SELECT office, name FROM clients WHERE id=?", (client_id,)).fetchone()
            if row is None:
                raise KeyError(client_id)
            c.execute("UPDATE clients SET revoked=1 WHERE id=?", (client_id,))
            self.audit(c, row[0], "operator", "client.revoke", f"{row[1]} (id {client_id})")

    def expire_now(self, client_id: int) -> None:
        """Make a token expired (for an operator ending access on a date, and for tests)."""
        with self.write() as c:
            c.execute("UPDATE clients SET expires_at=? WHERE id=?", (time.time() - 1, client_id))

    def authenticate(self, token: str) -> Client:
        """The client holding ``token``, or :class:`AuthFailed` saying why not."""
        row = (
            self.read()
            .execute(
                "SELECT id, office, name, role, slot, last_seq, revoked, expires_at FROM clients "
                "WHERE token_hash=?",
                (hash_token(token),),
            )
            .fetchone()
        )
        if row is None:
            raise AuthFailed("unknown")
        if row[6]:
            raise AuthFailed("revoked")
        if row[7] is not None and row[7] < time.time():
            raise AuthFailed("expired")
        return Client(*row[:6])

    def client_by_token(self, token: str) -> Client | None:
        try:
            return self.authenticate(token)
        except AuthFailed:
            return None

    def clients(self) -> list[dict[str, Any]]:
        rows = (
            self.read()
            .execute(
                "SELECT id, office, name, role, slot, last_seq, revoked, expires_at "
                "FROM clients ORDER BY id"
            )
            .fetchall()
        )
        keys = ("id", "office", "name", "role", "slot", "last_seq", "revoked", "expires_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # --- dossiers and the feed ------------------------------------------------------------

    @staticmethod
    def next_version(c: sqlite3.Connection) -> int:
        v = int(c.execute("SELECT v FROM meta WHERE k='version'").fetchone()[0]) + 1
        c.execute("UPDATE meta SET v=? WHERE k='version'", (str(v),))
        return v

    @staticmethod
    def get_dossier(c: sqlite3.Connection, uid: str) -> tuple[dict[str, Any], int, str] | None:
        row = c.execute("SELECT doc, version, office FROM dossiers WHERE uid=?", (uid,)).fetchone()
        return (orjson.loads(row[0]), int(row[1]), row[2]) if row else None

    def put_dossier(self, c: sqlite3.Connection, doc: dict[str, Any], office: str) -> int:
        version = self.next_version(c)
        c.execute(
            "INSERT INTO dossiers(uid, office, code, citizen_id, version, doc, received_at_server)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(uid) DO UPDATE SET "
            "version=excluded.version, doc=excluded.doc, citizen_id=excluded.citizen_id",
            (
                doc["uid"],
                office,
                doc["code"],
                (doc.get("applicant") or {}).get("citizen_id"),
                version,
                orjson.dumps(doc),
                time.time(),
            ),
        )
        return version

    def dossier_by_code(self, office: str, code: str) -> tuple[dict[str, Any], int] | None:
        row = (
            self.read()
            .execute("SELECT doc, version FROM dossiers WHERE office=? AND code=?", (office, code))
            .fetchone()
        )
        return (orjson.loads(row[0]), int(row[1])) if row else None

    def dossier_by_uid(self, office: str, uid: str) -> tuple[dict[str, Any], int] | None:
        row = (
            self.read()
            .execute("SELECT doc, version FROM dossiers WHERE office=? AND uid=?", (office, uid))
            .fetchone()
        )
        return (orjson.loads(row[0]), int(row[1])) if row else None

    def dossiers_by_citizen(self, office: str, citizen_id: str) -> list[tuple[dict[str, Any], int]]:
        rows = (
            self.read()
            .execute(
                "SELECT doc, version FROM dossiers WHERE office=? AND citizen_id=? ORDER BY version",
                (office, citizen_id),
            )
            .fetchall()
        )
        return [(orjson.loads(r[0]), int(r[1])) for r in rows]

    def changes(self, office: str, since: int, limit: int) -> list[tuple[str, int, bytes]]:
        return (
            self.read()
            .execute(
                "SELECT uid, version, doc FROM dossiers WHERE office=? AND version>? "
                "ORDER BY version LIMIT ?",
                (office, since, limit),
            )
            .fetchall()
        )

    def count_dossiers(self, office: str | None = None) -> int:
        if office is None:
            return int(self.read().execute("SELECT count(*) FROM dossiers").fetchone()[0])
        return int(
            self.read()
            .execute("SELECT count(*) FROM dossiers WHERE office=?", (office,))
            .fetchone()[0]
        )

    def conflicts(
        self, uid: str | None = None, *, office: str | None = None
    ) -> list[dict[str, Any]]:
        """Conflicts recorded at push time; ``office`` limits them to one office (every caller
        on behalf of a token passes it: a conflict holds the operation's personal data)."""
        q = "SELECT uid, client_id, seq, reason, op, at FROM conflicts WHERE 1=1"
        params: list[Any] = []
        if office is not None:
            q += " AND client_id IN (SELECT id FROM clients WHERE office=?)"
            params.append(office)
        if uid:
            q += " AND uid=?"
            params.append(uid)
        rows = self.read().execute(q + " ORDER BY id", params).fetchall()
        return [
            {"uid": r[0], "client_id": r[1], "seq": r[2], "reason": r[3], "op": orjson.loads(r[4])}
            for r in rows
        ]

    # --- catalog --------------------------------------------------------------------------

    def set_catalog(self, body: bytes) -> str:
        etag = hashlib.sha256(body).hexdigest()[:32]
        with self.write() as c:
            c.execute(
                "INSERT INTO catalog(id, etag, body) VALUES (1, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET etag=excluded.etag, body=excluded.body",
                (etag, body),
            )
        return etag

    def catalog(self) -> tuple[str, bytes] | None:
        row = self.read().execute("SELECT etag, body FROM catalog WHERE id=1").fetchone()
        return (row[0], bytes(row[1])) if row else None

    # --- clerks -----------------------------------------------------------------------------

    def set_clerk(self, office: str, username: str, name: str, pin_hash: str) -> None:
        """Add a clerk or change their name or PIN (the hash only: the PIN never arrives here)."""
        with self.write() as c:
            if c.execute("SELECT 1 FROM offices WHERE code=?", (office,)).fetchone() is None:
                raise KeyError(office)
            c.execute(
                "INSERT INTO clerks(office, username, name, pin_hash, active, updated_at) "
                "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT(office, username) DO UPDATE SET "
                "name=excluded.name, pin_hash=excluded.pin_hash, active=1, "
                "updated_at=excluded.updated_at",
                (office, username, name, pin_hash, time.time()),
            )
            self.audit(c, office, "operator", "clerk.set", username)

    def disable_clerk(self, office: str, username: str) -> None:
        with self.write() as c:
            cur = c.execute(
                "UPDATE clerks SET active=0, updated_at=? WHERE office=? AND username=?",
                (time.time(), office, username),
            )
            if cur.rowcount == 0:
                raise KeyError(username)
            self.audit(c, office, "operator", "clerk.disable", username)

    def clerks(self, office: str) -> list[dict[str, Any]]:
        rows = (
            self.read()
            .execute(
                "SELECT username, name, pin_hash, active, updated_at FROM clerks "
                "WHERE office=? ORDER BY username",
                (office,),
            )
            .fetchall()
        )
        keys = ("username", "name", "pin_hash", "active", "updated_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # --- audit ------------------------------------------------------------------------------

    @staticmethod
    def audit(
        c: sqlite3.Connection,
        office: str,
        actor: str,
        action: str,
        target: str = "",
        *,
        client: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append a chained entry inside the caller's write transaction (so it commits with
        the change it records, or not at all)."""
        last = c.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, "")
        entry = {
            "at": round(time.time(), 3),
            "office": office,
            "client": client,
            "actor": actor,
            "action": action,
            "target": target,
            "detail": detail or {},
        }
        record = chain(prev, seq, entry)
        c.execute(
            "INSERT INTO audit(seq, body, hash) VALUES (?, ?, ?)",
            (seq, orjson.dumps(record).decode("utf-8"), record["hash"]),
        )
        # The head is kept apart too: entries cut off the end show as a mismatch.
        c.execute(
            "INSERT INTO meta(k, v) VALUES ('audit_head', ?) "
            "ON CONFLICT(k) DO UPDATE SET v=excluded.v",
            (record["hash"],),
        )

    def audit_entries(self) -> list[dict[str, Any]]:
        rows = self.read().execute("SELECT body FROM audit ORDER BY seq").fetchall()
        return [orjson.loads(r[0]) for r in rows]

    def verify_audit(self) -> tuple[int, str | None]:
        """The chain checked end to end; the head is the last row's own hash column, so an
        entry whose body was rewritten (with its hash recomputed) still breaks the link after."""
        rows = self.read().execute("SELECT seq, body, hash FROM audit ORDER BY seq").fetchall()
        entries = []
        for seq, body, digest in rows:
            e = orjson.loads(body)
            if e.get("hash") != digest or e.get("seq") != seq:
                return seq - 1, f"entry {seq}: its stored hash does not match its row"
            entries.append(e)
        head = self.read().execute("SELECT v FROM meta WHERE k='audit_head'").fetchone()
        return verify_chain(entries, head[0] if head else None)

    def audit_head(self) -> str:
        row = self.read().execute("SELECT v FROM meta WHERE k='audit_head'").fetchone()
        return row[0] if row else ""
