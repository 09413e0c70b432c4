"""Which office holds which scanned file (issue 14); the bytes themselves are in filestore.py.

A file is an office's, by the office that uploaded it: another office's file and an unknown
one get the same answer, except for the handling office of a dossier received for it
elsewhere (receipt regardless of boundary), which may read the files that dossier lists.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from counter_tui.central.schema import dossiers, files
from counter_tui.domain.files import named_shas

if TYPE_CHECKING:
    from counter_tui.central.db.transaction import Reads, Writer


class Files:
    """``db.files``: an office's files, and the routed dossiers' files it may read."""

    def __init__(self, reads: Reads, write: Writer) -> None:
        self._reads, self._write = reads, write

    def size(self, office: str, sha: str) -> int | None:
        """The size of ``sha`` if ``office`` holds it whole, else ``None`` (another office's
        file and an unknown one are the same answer)."""
        row = self._reads.one(
            sa.select(files.c.size).where(files.c.office == office, files.c.sha == sha)
        )
        return int(row[0]) if row else None

    def add(self, office: str, sha: str, size: int, client_id: int) -> bool:
        """Record that ``office`` holds ``sha``; ``False`` if it already did (a retry)."""
        with self._write() as tx:
            return tx.insert_new(
                files,
                {
                    "office": office,
                    "sha": sha,
                    "size": size,
                    "client_id": client_id,
                    "received_at": time.time(),
                },
            )

    def of_office(self, office: str) -> list[dict[str, Any]]:
        """The files ``office`` holds, oldest first (operators and tests)."""
        rows = self._reads.all(
            sa.select(files.c.sha, files.c.size, files.c.client_id, files.c.received_at)
            .where(files.c.office == office)
            .order_by(files.c.received_at)
        )
        return [dict(r._mapping) for r in rows]

    def routed_size(self, office: str, sha: str) -> int | None:
        """The size of ``sha`` if ``office`` may read it as the handling office of a dossier
        received for it elsewhere (receipt regardless of boundary): a dossier routed to
        ``office`` lists the file, and its receiving office holds it. ``None`` otherwise."""
        rows = self._reads.all(
            sa.select(dossiers.c.doc, files.c.size)
            .select_from(dossiers.join(files, files.c.office == dossiers.c.office))
            .where(
                files.c.sha == sha,
                dossiers.c.handling_office == office,
                dossiers.c.handling_version.is_not(None),
            )
        )
        for doc, size in rows:
            if sha in named_shas(orjson.loads(doc)):
                return int(size)
        return None
