"""Procedures a commune counter receives for another agency (receipt regardless of
administrative boundary, NĐ 118/2025): the province's list, effective-dated, each entry
with its source (e.g. Nghệ An QĐ 3783/QĐ-UBND, 20/11/2025: 55 procedures of its Sở Nội vụ).

The counter records on the dossier which agency handles it (``Dossier.handling_agency``),
chosen at receipt from this list; routing it to that agency is the centre's part.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from counter_tui.domain.codes import check_agency
from counter_tui.domain.messages import DomainError, Msg


class BoundaryListError(DomainError):
    pass


@dataclass(frozen=True)
class HandlingAgency:
    procedure: str  # national procedure code, e.g. 1.001193
    agency: str  # the handling agency's electronic identifier code
    name: str
    valid_from: date
    source: str
    valid_to: date | None = None

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class BoundaryList:
    entries: tuple[HandlingAgency, ...] = field(default_factory=tuple)

    def agencies_for(self, procedure_code: str, day: date) -> list[HandlingAgency]:
        """The agencies this counter may receive ``procedure_code`` for on ``day``."""
        national = ".".join(procedure_code.split(".")[:2])
        return [
            e for e in self.entries if e.procedure in (procedure_code, national) and e.in_force(day)
        ]


def _fail(where: str, vi: str, en: str) -> BoundaryListError:
    return BoundaryListError("boundary", Msg(f"{where}: {vi}", f"{where}: {en}"), where)


def _day(value: Any, where: str, key: str, optional: bool = False) -> date | None:
    if value is None and optional:
        return None
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise _fail(where, f"'{key}' cần ngày dạng 2025-11-20", f"'{key}': a date")
    return value


def boundary_from_dict(raw: dict[str, Any], shown: str = "(boundary list)") -> BoundaryList:
    entries = []
    for i, e in enumerate(raw.get("procedures", []), 1):
        where = f"{shown}: [[procedures]] #{i}"
        if not isinstance(e, dict):
            raise _fail(where, "cần một bảng", "a table")
        for key in ("code", "agency", "name", "source"):
            if not isinstance(e.get(key), str) or not e[key].strip():
                raise _fail(where, f"thiếu '{key}'", f"'{key}' missing")
        try:
            check_agency(e["agency"])
        except DomainError as exc:
            raise _fail(where, exc.msg.vi, exc.msg.en) from exc
        start = _day(e.get("valid_from"), where, "valid_from")
        end = _day(e.get("valid_to"), where, "valid_to", optional=True)
        assert start is not None
        entries.append(HandlingAgency(e["code"], e["agency"], e["name"], start, e["source"], end))
    return BoundaryList(tuple(entries))


def load_boundary_list(path: str | Path | None) -> BoundaryList:
    if path is None or not Path(path).exists():
        return BoundaryList()
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise _fail(str(path), f"TOML sai: {exc}", f"invalid TOML: {exc}") from exc
    return boundary_from_dict(raw, str(path))
