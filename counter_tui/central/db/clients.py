"""Clients and their tokens: the counters and back-office users registered at an office, and
each counter's numbered operations (the last one applied, the answer kept for each).

Tokens are stored as SHA-256 hashes; the token itself is shown once, at registration. A push
locks its client row (``FOR UPDATE``) before reading ``last_seq``: two pushes of one counter
(two workers, a retry) apply each sequence number once, the second waits and then sees the
first's result.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from counter_tui.central.schema import clients, offices, ops

if TYPE_CHECKING:
    from counter_tui.central.db.transaction import Reads, Tx, Writer

TOKEN_DAYS = 365.0
CLIENT_COLUMNS = (
    clients.c.id,
    clients.c.office,
    clients.c.name,
    clients.c.role,
    clients.c.slot,
    clients.c.last_seq,
)
# The hot paths' statements, built once (see transaction.py).
AUTH = sa.select(*CLIENT_COLUMNS, clients.c.revoked, clients.c.expires_at).where(
    clients.c.token_hash == sa.bindparam("h")
)
LOCK_CLIENT = (
    sa.select(clients.c.last_seq).where(clients.c.id == sa.bindparam("id")).with_for_update()
)
SET_LAST_SEQ = (
    clients.update()
    .where(clients.c.id == sa.bindparam("cid"))
    .values(last_seq=sa.bindparam("last_seq"))
)
OP_RESULT = sa.select(ops.c.op_id, ops.c.result).where(
    ops.c.client_id == sa.bindparam("cid"), ops.c.seq == sa.bindparam("seq")
)
RECORD_OP = ops.insert().values({c.name: sa.bindparam(c.name) for c in ops.columns})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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


def client_of(row: Any) -> Client:
    """The client of a row of :data:`AUTH`'s columns, or :class:`AuthFailed` saying why not."""
    if row[6]:
        raise AuthFailed("revoked")
    if row[7] is not None and row[7] < time.time():
        raise AuthFailed("expired")
    return Client(int(row[0]), str(row[1]), str(row[2]), str(row[3]), row[4], int(row[5]))


class Clients:
    """``db.clients``: registering, authenticating and listing clients."""

    def __init__(self, reads: Reads, write: Writer) -> None:
        self._reads, self._write = reads, write

    def add(
        self, office: str, name: str, role: str = "counter", days: float | None = TOKEN_DAYS
    ) -> tuple[Client, str]:
        """Register a counter (or a back-office user); returns it and its token (shown once).
        The token expires after ``days`` (``None``: never)."""
        token = secrets.token_urlsafe(32)
        expires = time.time() + days * 86400 if days else None
        with self._write() as tx:
            row = tx.conn.execute(
                sa.select(offices.c.next_slot).where(offices.c.code == office).with_for_update()
            ).first()
            if row is None:
                raise KeyError(office)
            slot = None
            if role == "counter":
                slot = int(row[0])
                if slot > 99:
                    raise ValueError("an office has at most 99 counters")
                tx.conn.execute(
                    offices.update().where(offices.c.code == office).values(next_slot=slot + 1)
                )
            new_id = tx.conn.execute(
                clients.insert()
                .values(
                    office=office,
                    name=name,
                    role=role,
                    slot=slot,
                    token_hash=hash_token(token),
                    created_at=time.time(),
                    expires_at=expires,
                )
                .returning(clients.c.id)
            ).scalar_one()
            client = Client(int(new_id), office, name, role, slot, 0)
            tx.audit.record(office, "operator", "client.add", f"{role} {name} (id {client.id})")
        return client, token

    @staticmethod
    def _row(tx: Tx, client_id: int) -> Any:
        row = tx.conn.execute(
            sa.select(clients.c.office, clients.c.name).where(clients.c.id == client_id)
        ).first()
        if row is None:
            raise KeyError(client_id)
        return row

    def rotate_token(self, client_id: int, days: float | None = TOKEN_DAYS) -> str:
        """A new token for the client; the old one stops working at once."""
        token = secrets.token_urlsafe(32)
        expires = time.time() + days * 86400 if days else None
        with self._write() as tx:
            row = self._row(tx, client_id)
            tx.conn.execute(
                clients.update()
                .where(clients.c.id == client_id)
                .values(token_hash=hash_token(token), expires_at=expires)
            )
            tx.audit.record(row[0], "operator", "client.rotate", f"{row[1]} (id {client_id})")
        return token

    def revoke(self, client_id: int) -> None:
        with self._write() as tx:
            row = self._row(tx, client_id)
            tx.conn.execute(clients.update().where(clients.c.id == client_id).values(revoked=1))
            tx.audit.record(row[0], "operator", "client.revoke", f"{row[1]} (id {client_id})")

    def expire_now(self, client_id: int) -> None:
        """Make a token expired (for an operator ending access on a date, and for tests)."""
        with self._write() as tx:
            tx.conn.execute(
                clients.update().where(clients.c.id == client_id).values(expires_at=time.time() - 1)
            )

    def authenticate(self, token: str) -> Client:
        """The client holding ``token``, or :class:`AuthFailed` saying why not."""
        found = self._reads.raw(AUTH, {"h": hash_token(token)})
        row = found[0] if found else None
        if row is None:
            raise AuthFailed("unknown")
        return client_of(row)

    def by_token(self, token: str) -> Client | None:
        try:
            return self.authenticate(token)
        except AuthFailed:
            return None

    def all(self) -> list[dict[str, Any]]:
        rows = self._reads.all(
            sa.select(*CLIENT_COLUMNS, clients.c.revoked, clients.c.expires_at).order_by(
                clients.c.id
            )
        )
        keys = ("id", "office", "name", "role", "slot", "last_seq", "revoked", "expires_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]


class ClientWrites:
    """``tx.clients``: a push's hold on its counter's sequence, and the operations' answers."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def lock(self, client_id: int) -> int:
        """The client's last applied sequence number, its row locked until commit."""
        return int(self._tx.run(LOCK_CLIENT, {"id": client_id}).fetchone()[0])

    def set_last_seq(self, client_id: int, last: int) -> None:
        self._tx.run(SET_LAST_SEQ, {"cid": client_id, "last_seq": last})

    def op_result(self, client_id: int, seq: int) -> tuple[str, dict[str, Any]] | None:
        """The operation id and the answer kept for the client's operation ``seq``."""
        row = self._tx.run(OP_RESULT, {"cid": client_id, "seq": seq}).fetchone()
        return (str(row[0]), orjson.loads(row[1])) if row else None

    def record_op(
        self, client_id: int, seq: int, op_id: str, uid: str | None, result: dict[str, Any]
    ) -> None:
        row = {
            "client_id": client_id,
            "seq": seq,
            "op_id": op_id,
            "uid": uid,
            "result": orjson.dumps(result),
            "received_at": time.time(),
        }
        if self._tx.batch is not None:
            self._tx.batch.ops.append(row)
        else:
            self._tx.run(RECORD_OP, row)

    def write_ops(self, rows: list[dict[str, Any]]) -> None:
        """A batch's recorded operations, in one statement (executemany)."""
        if rows:
            self._tx.run_many(RECORD_OP, rows)
