"""The clerks of each office, as counters learn them (a name and a PIN hash per login).

The PIN itself never reaches the centre: the operator's command hashes it. Counters read
their own office's list only (``GET /v1/clerks``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from counter_tui.central.schema import clerks, offices

if TYPE_CHECKING:
    from counter_tui.central.db.transaction import Reads, Writer


class Clerks:
    """``db.clerks``: adding, changing and disabling a clerk; an office's list."""

    def __init__(self, reads: Reads, write: Writer) -> None:
        self._reads, self._write = reads, write

    def set(self, office: str, username: str, name: str, pin_hash: str) -> None:
        """Add a clerk or change their name or PIN (the hash only: the PIN never arrives here)."""
        with self._write() as tx:
            if (
                tx.conn.execute(sa.select(offices.c.code).where(offices.c.code == office)).first()
                is None
            ):
                raise KeyError(office)
            tx.upsert(
                clerks,
                ["office", "username"],
                {
                    "office": office,
                    "username": username,
                    "name": name,
                    "pin_hash": pin_hash,
                    "active": 1,
                    "updated_at": time.time(),
                },
                ["name", "pin_hash", "active", "updated_at"],
            )
            tx.audit.record(office, "operator", "clerk.set", username)

    def disable(self, office: str, username: str) -> None:
        with self._write() as tx:
            done = tx.conn.execute(
                clerks.update()
                .where(clerks.c.office == office, clerks.c.username == username)
                .values(active=0, updated_at=time.time())
            )
            if done.rowcount == 0:
                raise KeyError(username)
            tx.audit.record(office, "operator", "clerk.disable", username)

    def of_office(self, office: str) -> list[dict[str, Any]]:
        rows = self._reads.all(
            sa.select(
                clerks.c.username,
                clerks.c.name,
                clerks.c.pin_hash,
                clerks.c.active,
                clerks.c.updated_at,
            )
            .where(clerks.c.office == office)
            .order_by(clerks.c.username)
        )
        keys = ("username", "name", "pin_hash", "active", "updated_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]
