"""Digitisation (số hóa) of a dossier: what still lacks a scan, and the rates F6 counts.

A dossier received at the counter must have its paper documents scanned
(NĐ 118/2025 Điều 17 khoản 1 điểm c), except what TT 03/2025 Điều 5 khoản 2
exempts: a dossier submitted online, papers only shown (xuất trình), replies
of inter-agency checks, classified documents (:data:`files.EXEMPT_REASONS`).

The rate (QĐ 766/QĐ-TTg): dossiers received in the period that needed
digitisation and have every required, non-exempt, received document scanned,
over the dossiers received that needed it. A dossier whose every required
document is exempt (or submitted online) needed none: it is counted apart, in
neither side. The result rate: dossiers handed over in the period whose
result was scanned at hand-over, over dossiers handed over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from counter_tui.domain.catalog import CopyKind
from counter_tui.domain.dossier import DocItem, Dossier
from counter_tui.domain.status import Status


def exemption(doc: DocItem) -> str | None:
    """The exemption code of a checklist item, or None. A paper the catalog lists as only
    shown (xuất trình: the ID card, for instance) is exempt without the clerk marking it
    (TT 03/2025 Điều 5 khoản 2)."""
    dig = doc.digitisation or {}
    code = dig.get("exempt")
    if code:
        return str(code)
    return "shown" if doc.copy == CopyKind.PRESENT else None


def needs_scan(doc: DocItem) -> bool:
    """A required item handed in on paper, not exempt: it must be digitised."""
    return doc.required and doc.received and exemption(doc) is None


def lacking_scan(documents: Iterable[DocItem]) -> list[str]:
    """Names of the items that need a scan and have none yet (the checklist shows them)."""
    return [d.name for d in documents if needs_scan(d) and not d.files]


def needs_digitisation(d: Dossier) -> bool:
    """Whether the dossier had anything to digitise at receipt."""
    if d.channel == "online":
        return False
    return any(needs_scan(doc) for doc in d.documents)


def is_digitised(d: Dossier) -> bool:
    """Every document that needed a scan has one (meaningful when it needed digitisation)."""
    return needs_digitisation(d) and not lacking_scan(d.documents)


def is_exempt(d: Dossier) -> bool:
    """Received, but with nothing to digitise: online, or every required item exempt."""
    return d.received_at is not None and not needs_digitisation(d)


@dataclass
class DigitisationRow:
    """One procedure's figures in a period (or the total, with code '')."""

    procedure_code: str
    procedure_name: str
    received: int = 0  # received in the period that needed digitisation
    digitised: int = 0  # of those, every needed document scanned
    exempt: int = 0  # received in the period, nothing to digitise (counted apart)
    handed_over: int = 0  # handed over in the period
    results_digitised: int = 0  # of those, the result scanned

    @property
    def rate(self) -> float | None:
        return self.digitised / self.received if self.received else None

    @property
    def result_rate(self) -> float | None:
        return self.results_digitised / self.handed_over if self.handed_over else None

    def add(self, other: DigitisationRow) -> None:
        self.received += other.received
        self.digitised += other.digitised
        self.exempt += other.exempt
        self.handed_over += other.handed_over
        self.results_digitised += other.results_digitised


def _in(iso: str | None, start: date, end: date) -> bool:
    return bool(iso) and start.isoformat() <= str(iso)[:10] <= end.isoformat()


def digitisation_rates(
    dossiers: Iterable[Dossier], start: date, end: date
) -> tuple[list[DigitisationRow], DigitisationRow]:
    """Per procedure (by code) and in total, for the period ``start``..``end`` inclusive."""
    rows: dict[str, DigitisationRow] = {}
    for d in dossiers:
        row = rows.get(d.procedure_code)
        if row is None:
            row = rows[d.procedure_code] = DigitisationRow(d.procedure_code, d.procedure_name)
        if _in(d.received_at, start, end):
            if needs_digitisation(d):
                row.received += 1
                row.digitised += int(is_digitised(d))
            else:
                row.exempt += 1
        handed = (d.handover or {}).get("at")
        if d.status == Status.RETURNED and _in(handed, start, end):
            row.handed_over += 1
            row.results_digitised += int(bool(d.result_files))
    kept = [r for _, r in sorted(rows.items()) if r.received or r.exempt or r.handed_over]
    total = DigitisationRow("", "")
    for r in kept:
        total.add(r)
    return kept, total
