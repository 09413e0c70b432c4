"""Which dossier-code shape each procedure group uses, from ``config/code-schemes.toml``.

Most procedures take the office shape; a group of procedures that the State
provides centrally nationwide takes the TT 04/2025/TT-VPCP shape, with the
system owner's two digits (AA) and, when another agency decides the dossier,
that agency's electronic identifier. Groups are data because the list of such
services is published and changed by the Government, not by this app.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from counter_tui.domain.catalog import Procedure
from counter_tui.domain.codes import (
    DossierCode,
    Scheme,
    check_agency,
    check_owner,
    make_code,
    make_national_code,
)
from counter_tui.domain.messages import DomainError, Msg


class SchemeConfigError(DomainError):
    pass


@dataclass(frozen=True)
class SchemeGroup:
    """Procedures (by national code or catalog field) that take one code shape."""

    name: str
    scheme: Scheme
    source: str
    procedures: frozenset[str] = frozenset()
    fields: frozenset[str] = frozenset()
    owner: str = ""  # AA for the national shape
    agency: str = ""  # the deciding agency's code; empty: the office's own

    def matches(self, p: Procedure) -> bool:
        base = p.code.split(".")
        national = ".".join(base[:2])  # 1.001193 of 1.001193.000.00.00.H56
        return p.code in self.procedures or national in self.procedures or p.field in self.fields


@dataclass(frozen=True)
class CodeSchemes:
    groups: tuple[SchemeGroup, ...] = field(default_factory=tuple)

    def group_of(self, p: Procedure) -> SchemeGroup | None:
        return next((g for g in self.groups if g.matches(p)), None)

    def code_for(self, p: Procedure, office: str, day: date, slot: int, number: int) -> DossierCode:
        g = self.group_of(p)
        if g is None or g.scheme is Scheme.OFFICE:
            return make_code(g.agency if g and g.agency else office, day, slot, number)
        return make_national_code(g.agency or office, day, g.owner, slot, number)


def _fail(where: str, vi: str, en: str) -> SchemeConfigError:
    return SchemeConfigError("code_schemes", Msg(f"{where}: {vi}", f"{where}: {en}"), where)


def _strings(raw: Any, where: str) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise _fail(where, "cần danh sách chuỗi", "a list of strings")
    return frozenset(raw)


def schemes_from_dict(raw: dict[str, Any], shown: str = "(code schemes)") -> CodeSchemes:
    groups = []
    for i, g in enumerate(raw.get("groups", []), 1):
        where = f"{shown}: [[groups]] #{i}"
        if not isinstance(g, dict):
            raise _fail(where, "cần một bảng", "a table")
        try:
            scheme = Scheme(g.get("scheme", ""))
        except ValueError:
            raise _fail(
                where, f"scheme chỉ là: {', '.join(Scheme)}", f"scheme: {', '.join(Scheme)}"
            ) from None
        source = g.get("source")
        if not isinstance(source, str) or not source.strip():
            raise _fail(where, "'source' cần ghi văn bản làm căn cứ", "'source' required")
        owner = str(g.get("owner", ""))
        agency = str(g.get("agency", ""))
        try:
            if scheme is Scheme.NATIONAL:
                check_owner(owner)
            if agency:
                check_agency(agency)
        except DomainError as exc:
            raise _fail(where, exc.msg.vi, exc.msg.en) from exc
        groups.append(
            SchemeGroup(
                name=str(g.get("name", f"#{i}")),
                scheme=scheme,
                source=source,
                procedures=_strings(g.get("procedures", []), f"{where} procedures"),
                fields=_strings(g.get("fields", []), f"{where} fields"),
                owner=owner,
                agency=agency,
            )
        )
    return CodeSchemes(tuple(groups))


def load_code_schemes(path: str | Path | None) -> CodeSchemes:
    if path is None or not Path(path).exists():
        return CodeSchemes()
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise _fail(str(path), f"TOML sai: {exc}", f"invalid TOML: {exc}") from exc
    return schemes_from_dict(raw, str(path))
