"""A push batch decided in memory: what each operation would have read and written, kept
until the end of the transaction and then written in a few statements for the whole batch.

A push of fifty operations was five statements per operation before; it is a dozen per batch
now (docs/benchmarks.md, issue 16). The dossier repository fills a :class:`Batch` at the
start of a push (``tx.dossiers.begin_batch``) and answers from it while it is open; the
transaction writes it at its end (:meth:`Tx.finish`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass
class Known:
    """A dossier as a batch sees it: as read at its start, then as the batch wrote it."""

    code: str
    doc: bytes
    version: int
    office: str
    handling: str | None


class BatchMiss(RuntimeError):
    """A batch was asked about a dossier it did not read at its start (a bug, never data)."""


class Batch:
    """The dossier and operation writes of one push, decided one operation at a time in
    memory and written at the end in a few statements for the whole batch.

    It starts with the feed rows of every office the batch may write to locked (so nothing
    else writes those offices' dossiers until commit, and the versions read there are the
    last ones handed out) and every dossier the batch names read in one query: each
    operation then sees exactly what it would have read from the database, including the
    batch's own earlier writes. A dossier written several times is written once, in its
    last state at its last version: the versions between were never visible to anyone."""

    def __init__(self, versions: dict[str, int], uids: set[str], codes: set[str]) -> None:
        self.start = dict(versions)
        self.versions = dict(versions)
        self.asked, self.codes_asked = uids, codes
        self.dossiers: dict[str, Known] = {}
        self.taken: set[str] = set()  # codes in use, among ``codes_asked`` and the batch's
        self.new: dict[str, dict[str, Any]] = {}
        self.changed: dict[str, dict[str, Any]] = {}
        self.ops: list[dict[str, Any]] = []

    def _next(self, office: str | None) -> int | None:
        if not office or office not in self.versions:
            return None  # not routed, or an office not registered here (caught up later)
        self.versions[office] += 1
        return self.versions[office]

    def _own(self, office: str) -> int:
        version = self._next(office)
        if version is None:
            raise BatchMiss(f"office {office} was not locked for this batch")
        return version

    def insert(self, doc: dict[str, Any], office: str, handling: str | None) -> int | None:
        uid, code = str(doc["uid"]), str(doc["code"])
        if uid not in self.asked or code not in self.codes_asked:
            raise BatchMiss(f"dossier {uid} was not read at the start of the batch")
        if uid in self.dossiers or code in self.taken:
            return None
        version = self._own(office)
        blob = orjson.dumps(doc)
        self.new[uid] = {
            "uid": uid,
            "office": office,
            "code": code,
            "citizen_id": (doc.get("applicant") or {}).get("citizen_id"),
            "version": version,
            "doc": blob,
            "received_at_server": time.time(),
            "handling_office": handling or None,
            "handling_version": self._next(handling),
        }
        self.dossiers[uid] = Known(code, blob, version, office, handling or None)
        self.taken.add(code)
        return version

    def update(self, doc: dict[str, Any], office: str, handling: str | None) -> int:
        uid = str(doc["uid"])
        if uid not in self.asked:
            raise BatchMiss(f"dossier {uid} was not read at the start of the batch")
        version = self._own(office)
        handling_version = self._next(handling)
        blob = orjson.dumps(doc)
        citizen = (doc.get("applicant") or {}).get("citizen_id")
        known = self.dossiers.get(uid)
        if known is None or known.office != office:
            return version  # what the UPDATE did before: nothing matches, the number is used
        known.doc, known.version = blob, version
        row = self.new.get(uid)
        if row is not None:
            row.update(version=version, doc=blob, citizen_id=citizen)
            if handling_version is not None:
                row["handling_version"] = handling_version
            return version
        before = self.changed.get(uid)
        if handling_version is None and before is not None:
            handling_version = before["handling_version"]
        self.changed[uid] = {
            "b_uid": uid,
            "b_office": office,
            "version": version,
            "doc": blob,
            "citizen_id": citizen,
            "handling_version": handling_version,
        }
        return version
