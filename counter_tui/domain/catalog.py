"""The procedure catalog (danh mục thủ tục hành chính): loading, versions and search.

Each entry is one version of a procedure's rules, valid from a date; a dossier
keeps the version that was valid when it was received. The loader checks
every field and names the file, the entry and the field at fault.
"""

from __future__ import annotations

import dataclasses
import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Any

from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.text import fold

CODE_RE = re.compile(r"^[12]\.\d{6}(\.\d{2})?$")


class TimeUnit(StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    SAME_WORKING_DAY = "same_working_day"
    CALENDAR_DAYS = "calendar_days"


class CopyKind(StrEnum):
    ORIGINAL = "original"  # bản chính
    CERTIFIED = "certified"  # bản sao có chứng thực
    COPY = "copy"  # bản sao / photo
    PRESENT = "present"  # xuất trình (shown, not kept)

    @property
    def vi(self) -> str:
        return {
            "original": "Bản chính",
            "certified": "Bản sao chứng thực",
            "copy": "Bản sao",
            "present": "Xuất trình",
        }[self.value]


@dataclass(frozen=True)
class ProcessingTime:
    """How long the procedure may take: a value and a unit (plus the same-day cut-off)."""

    value: float
    unit: TimeUnit
    cutoff: time | None = None

    def describe(self) -> str:
        if self.unit is TimeUnit.SAME_WORKING_DAY:
            cut = self.cutoff.strftime("%H:%M") if self.cutoff else "15:00"
            return f"Trong ngày (nhận sau {cut} trả ngày làm việc tiếp theo)"
        n = int(self.value) if float(self.value).is_integer() else self.value
        return {
            TimeUnit.WORKING_DAYS: f"{n} ngày làm việc",
            TimeUnit.WORKING_HOURS: f"{n} giờ làm việc",
            TimeUnit.CALENDAR_DAYS: f"{n} ngày",
        }[self.unit]


@dataclass(frozen=True)
class RequiredDocument:
    name: str
    copy: CopyKind
    required: bool


@dataclass(frozen=True)
class Procedure:
    """One version of a procedure's rules."""

    code: str
    valid_from: date
    name: str
    name_en: str
    field: str
    level: str
    processing: ProcessingTime
    fee_amount: int | None
    fee_note: str
    documents: tuple[RequiredDocument, ...]
    legal_basis: tuple[str, ...]
    uncertain: tuple[str, ...] = ()
    processing_note: str = ""
    # dataclasses.field, spelt out: the ``field`` attribute above shadows the bare name.
    folded_name: str = dataclasses.field(default="", compare=False, repr=False)

    @property
    def version(self) -> str:
        return f"{self.code}@{self.valid_from.isoformat()}"


class CatalogError(DomainError):
    """A catalog file is wrong; the message names the file, the entry and the field."""

    def __init__(self, path: str, entry: str, field_name: str, problem: str) -> None:
        super().__init__(
            "catalog.invalid",
            Msg(
                f"{path}: mục {entry}, trường '{field_name}': {problem}",
                f"{path}: entry {entry}, field '{field_name}': {problem}",
            ),
            field_name,
        )
        self.path = path
        self.entry = entry
        self.field_name = field_name


class _Checker:
    def __init__(self, path: str, entry: str, raw: Any) -> None:
        self.path, self.entry, self.raw = path, entry, raw

    def fail(self, name: str, problem: str) -> CatalogError:
        return CatalogError(self.path, self.entry, name, problem)

    def get(self, name: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
        if name not in self.raw:
            if optional:
                return None
            raise self.fail(name, "missing")
        value = self.raw[name]
        if value is None and optional:
            return None
        if isinstance(value, bool) and kind is not bool and bool not in _as_tuple(kind):
            raise self.fail(name, f"expected {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise self.fail(name, f"expected {_kind_name(kind)}, got {type(value).__name__}")
        return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _as_tuple(kind))


_KNOWN_FIELDS = {
    "code",
    "valid_from",
    "name",
    "name_en",
    "field",
    "level",
    "processing",
    "processing_note",
    "fee",
    "documents",
    "legal_basis",
    "uncertain",
    "sources",
    "note",
}


def _parse_time(text: str) -> time:
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


def parse_procedure(raw: Any, *, path: str, index: int) -> Procedure:
    """Check and build one catalog entry."""
    entry = f"#{index + 1}"
    if not isinstance(raw, dict):
        raise CatalogError(path, entry, "(entry)", "expected an object")
    if isinstance(raw.get("code"), str):
        entry = f"#{index + 1} ({raw['code']})"
    c = _Checker(path, entry, raw)
    unknown = sorted(set(raw) - _KNOWN_FIELDS)
    if unknown:
        raise c.fail(unknown[0], "unknown field")
    code = c.get("code", str)
    if not CODE_RE.match(code):
        raise c.fail("code", f"{code!r} is not a national procedure code like 1.001193")
    try:
        valid_from = date.fromisoformat(c.get("valid_from", str))
    except ValueError as exc:
        raise c.fail("valid_from", "expected a date YYYY-MM-DD") from exc
    name = c.get("name", str).strip()
    if not name:
        raise c.fail("name", "empty")
    proc = c.get("processing", dict)
    pc = _Checker(path, entry, proc)
    try:
        unit = TimeUnit(pc.get("unit", str))
    except ValueError as exc:
        raise c.fail("processing.unit", f"one of {', '.join(u.value for u in TimeUnit)}") from exc
    value = pc.get("value", (int, float))
    if value < 0 or (unit is not TimeUnit.SAME_WORKING_DAY and value == 0):
        raise c.fail("processing.value", "must be a positive number")
    cutoff = None
    if unit is TimeUnit.SAME_WORKING_DAY:
        raw_cut = pc.get("cutoff", str, optional=True) or "15:00"
        try:
            cutoff = _parse_time(raw_cut)
        except ValueError as exc:
            raise c.fail("processing.cutoff", "expected HH:MM") from exc
    fee = c.get("fee", dict)
    fc = _Checker(path, entry, fee)
    amount = fc.get("amount", int, optional=True)
    if amount is not None and amount < 0:
        raise c.fail("fee.amount", "must not be negative")
    docs_raw = c.get("documents", list)
    documents = []
    for i, d in enumerate(docs_raw):
        dc = _Checker(path, entry, d)
        if not isinstance(d, dict):
            raise c.fail(f"documents[{i}]", "expected an object")
        dname = dc.get("name", str).strip()
        if not dname:
            raise c.fail(f"documents[{i}].name", "empty")
        try:
            kind = CopyKind(dc.get("copy", str))
        except ValueError as exc:
            raise c.fail(
                f"documents[{i}].copy", f"one of {', '.join(k.value for k in CopyKind)}"
            ) from exc
        documents.append(RequiredDocument(dname, kind, bool(dc.get("required", bool))))
    basis = c.get("legal_basis", list)
    if not all(isinstance(b, str) for b in basis):
        raise c.fail("legal_basis", "expected a list of strings")
    uncertain = c.get("uncertain", list, optional=True) or []
    return Procedure(
        code=code,
        valid_from=valid_from,
        name=name,
        name_en=c.get("name_en", str, optional=True) or "",
        field=c.get("field", str),
        level=c.get("level", str, optional=True) or "",
        processing=ProcessingTime(float(value), unit, cutoff),
        fee_amount=amount,
        fee_note=fc.get("note", str, optional=True) or "",
        documents=tuple(documents),
        legal_basis=tuple(basis),
        uncertain=tuple(str(u) for u in uncertain),
        processing_note=c.get("processing_note", str, optional=True) or "",
        folded_name=fold(name),
    )


@dataclass(frozen=True)
class SearchHit:
    procedure: Procedure
    score: int


class Catalog:
    """All versions of all procedures, with lookup by date and ranked search."""

    def __init__(self, procedures: list[Procedure]) -> None:
        versions: dict[str, list[Procedure]] = {}
        for p in procedures:
            versions.setdefault(p.code, []).append(p)
        for code, vs in versions.items():
            vs.sort(key=lambda p: p.valid_from)
            dates = [v.valid_from for v in vs]
            if len(set(dates)) != len(dates):
                raise CatalogError("(catalog)", code, "valid_from", "two versions on one date")
        self._versions = versions
        self._codes = sorted(versions)

    def __len__(self) -> int:
        return len(self._codes)

    def codes(self) -> list[str]:
        return list(self._codes)

    def get(self, code: str, on: date) -> Procedure | None:
        """The version of ``code`` in force on ``on`` (None if unknown or not yet valid)."""
        vs = self._versions.get(code)
        if not vs:
            return None
        i = bisect_right([v.valid_from for v in vs], on)
        return vs[i - 1] if i else None

    def version(self, version: str) -> Procedure | None:
        """A procedure by its version key ``code@YYYY-MM-DD``."""
        code, _, day = version.partition("@")
        for v in self._versions.get(code, []):
            if v.valid_from.isoformat() == day:
                return v
        return None

    def current(self, on: date) -> list[Procedure]:
        out = []
        for code in self._codes:
            p = self.get(code, on)
            if p is not None:
                out.append(p)
        return out

    def search(self, query: str, on: date, limit: int = 50) -> list[SearchHit]:
        """Procedures matching ``query`` by code prefix or folded name words, best first.

        Ranking: exact code, code prefix, name starting with the query, all
        words at word starts, then words anywhere; shorter names first within a rank.
        """
        q = query.strip()
        current = self.current(on)
        if not q:
            return [SearchHit(p, 0) for p in current[:limit]]
        hits: list[SearchHit] = []
        if q[0].isdigit():
            for p in current:
                if p.code == q:
                    hits.append(SearchHit(p, 1000))
                elif p.code.startswith(q):
                    hits.append(SearchHit(p, 900))
            return sorted(hits, key=lambda h: (-h.score, h.procedure.code))[:limit]
        fq = fold(q)
        words = fq.split()
        if not words:
            return []
        for p in current:
            name = p.folded_name
            if name.startswith(fq):
                score = 800
            else:
                name_words = name.split()
                *whole, last = words
                if all(w in name_words for w in whole) and any(
                    nw.startswith(last) for nw in name_words
                ):
                    score = 600
                elif all(w in name for w in words):
                    score = 300
                else:
                    continue
            hits.append(SearchHit(p, score))
        hits.sort(key=lambda h: (-h.score, len(h.procedure.folded_name), h.procedure.code))
        return hits[:limit]


def load_catalog(path: str | Path) -> Catalog:
    """Load and check a catalog file; raise :class:`CatalogError` naming the fault."""
    p = Path(path)
    shown = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CatalogError(shown, "-", "(file)", "file not found") from exc
    except UnicodeDecodeError as exc:
        raise CatalogError(shown, "-", "(file)", "not UTF-8 text") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(
            shown, f"line {exc.lineno}", "(file)", f"invalid JSON: {exc.msg}"
        ) from exc
    return catalog_from_dict(doc, path=shown)


def catalog_from_dict(doc: Any, *, path: str = "(catalog)") -> Catalog:
    if not isinstance(doc, dict) or not isinstance(doc.get("procedures"), list):
        raise CatalogError(path, "-", "procedures", "expected an object with a 'procedures' list")
    if doc.get("format", 1) != 1:
        raise CatalogError(path, "-", "format", f"unsupported format {doc.get('format')!r}")
    procs = [parse_procedure(r, path=path, index=i) for i, r in enumerate(doc["procedures"])]
    return Catalog(procs)


def procedure_to_dict(p: Procedure) -> dict[str, Any]:
    """The JSON form of a procedure version (what the catalog file and the wire hold)."""
    proc: dict[str, Any] = {"value": p.processing.value, "unit": p.processing.unit.value}
    if p.processing.value.is_integer():
        proc["value"] = int(p.processing.value)
    if p.processing.cutoff:
        proc["cutoff"] = p.processing.cutoff.strftime("%H:%M")
    return {
        "code": p.code,
        "valid_from": p.valid_from.isoformat(),
        "name": p.name,
        "name_en": p.name_en,
        "field": p.field,
        "level": p.level,
        "processing": proc,
        "processing_note": p.processing_note,
        "fee": {"amount": p.fee_amount, "note": p.fee_note},
        "documents": [
            {"name": d.name, "copy": d.copy.value, "required": d.required} for d in p.documents
        ],
        "legal_basis": list(p.legal_basis),
        "uncertain": list(p.uncertain),
    }
