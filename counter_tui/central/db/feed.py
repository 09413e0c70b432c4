"""The change feed: what a counter pulls, one office at a time, in the order of its commits.

Each office has its own feed counter, ``offices.version``, bumped in the transaction that
writes the dossier (dossier_writes.py). That row stays locked until the transaction ends, so
version N+1 of an office is only handed out after the transaction holding N has committed (or
rolled back), and is visible: a reader never sees N+1 without N (the argument is in
docs/sync-protocol.md). Whose feed a page is comes from the token, inside the query.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from counter_tui.central.db.clients import AUTH, AuthFailed, Client, client_of, hash_token
from counter_tui.central.schema import clients, dossiers

if TYPE_CHECKING:
    from counter_tui.central.db.transaction import Reads


def _feed(office: Any) -> sa.Select[Any]:
    """The feed page of ``office`` (a value or an expression): its own dossiers by their
    version, and the dossiers other offices received for it (receipt regardless of boundary)
    by their place in its feed. Both numbers come from the office's one counter, so the
    merged order is the order of its commits. Each part is ordered and limited on its own
    index, so a page reads ``limit`` rows of each at most."""
    own = (
        sa.select(dossiers.c.uid, dossiers.c.version.label("v"), dossiers.c.doc)
        .where(dossiers.c.office == office, dossiers.c.version > sa.bindparam("since"))
        .order_by(dossiers.c.version)
        .limit(sa.bindparam("limit"))
        .subquery("own")
    )
    routed = (
        sa.select(dossiers.c.uid, dossiers.c.handling_version.label("v"), dossiers.c.doc)
        .where(
            dossiers.c.handling_office == office,
            dossiers.c.handling_version > sa.bindparam("since"),
        )
        .order_by(dossiers.c.handling_version)
        .limit(sa.bindparam("limit"))
        .subquery("routed")
    )
    feed = sa.union_all(sa.select(own), sa.select(routed)).subquery("feed")
    return (
        sa.select(feed.c.uid, feed.c.v, feed.c.doc).order_by(feed.c.v).limit(sa.bindparam("limit"))
    )


CHANGES = _feed(sa.bindparam("office"))
# A poll in one statement: the token's client row, and the feed page of its office when it is
# a live counter (the office comes from the token inside the query, so a token that is not
# one reads no dossier). One round trip instead of two: on PostgreSQL a read is a trip to
# another process, during which this worker's event loop waits (the profile in
# docs/benchmarks.md).
_POLLER_OFFICE = (
    sa.select(clients.c.office)
    .where(
        clients.c.token_hash == sa.bindparam("h"),
        clients.c.role == "counter",
        clients.c.revoked == 0,
        sa.or_(clients.c.expires_at.is_(None), clients.c.expires_at >= sa.bindparam("now")),
    )
    .scalar_subquery()
)
_POLL_FEED = _feed(_POLLER_OFFICE).subquery("page")
POLL = (
    sa.select(*AUTH.selected_columns, _POLL_FEED.c.uid, _POLL_FEED.c.v, _POLL_FEED.c.doc)
    .select_from(clients.outerjoin(_POLL_FEED, sa.true()))
    .where(clients.c.token_hash == sa.bindparam("h"))
    .order_by(_POLL_FEED.c.v)
)


class Feed:
    """``db.feed``: pages of an office's feed, and the poll that reads the token with one."""

    def __init__(self, reads: Reads) -> None:
        self._reads = reads

    def changes(self, office: str, since: int, limit: int) -> list[tuple[str, int, bytes]]:
        """``(uid, version, document)`` of the office's dossiers after ``since``, oldest first."""
        rows = self._reads.raw(CHANGES, {"office": office, "since": since, "limit": limit})
        return [(str(r[0]), int(r[1]), bytes(r[2])) for r in rows]

    def poll(
        self, token: str, since: int, limit: int
    ) -> tuple[Client, list[tuple[str, int, bytes]]]:
        """``db.clients.authenticate`` and, for a counter, :meth:`changes` of its office, in
        one statement (:data:`POLL`); another role gets its client and no rows."""
        found = self._reads.raw(
            POLL, {"h": hash_token(token), "now": time.time(), "since": since, "limit": limit}
        )
        if not found:
            raise AuthFailed("unknown")
        client = client_of(found[0])
        return client, [(str(r[8]), int(r[9]), bytes(r[10])) for r in found if r[8] is not None]
