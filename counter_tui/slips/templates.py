"""Slip templates are data: one TOML file per form, keyed by (legal basis, form, version).

A province changes its header or wording by dropping its own file in a folder
named in the settings; newer circulars renumber the forms (DOMAIN.md section 2),
so a template names its basis and the app picks by basis, not by number.

A template is a header, a title and a list of blocks. Each block is one of:

- ``text``: a paragraph (``style`` B/I, ``align`` L/C/R);
- ``table``: rows of a named list (``documents``, ``missing``, ``transfers``,
  ``book``) with ``columns`` (title, value, width in per cent);
- ``signatures``: side-by-side signature places (title, hint, name);
- ``space``: an empty line.

Placeholders are ``{name}``; every name is checked when the file is loaded,
so a typo is an error naming the file and the block, never a broken slip.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from string import Formatter
from typing import Any

from counter_tui.domain.messages import DomainError, Msg

FIELDS = frozenset(
    {
        "office_name", "office_name_upper", "office_code", "place", "counter", "unit_name",
        "today_day", "today_month", "today_year", "code", "procedure_name", "procedure_code",
        "applicant_name", "applicant_id", "applicant_address", "applicant_phone",
        "applicant_email", "submitter", "sets", "processing_time", "received_at",
        "received_date", "due_at", "due_date", "original_due_at", "due_before", "new_due_at",
        "new_due_day", "new_due_month", "new_due_year", "return_method", "clerk", "reason",
        "reschedule_reason", "status", "timeliness", "receiver_name", "receiver_id",
        "receiver_relation", "handed_at", "fee", "period_from", "period_to", "row_count", "returned_by",
        # TT 03/2025 (issue 13)
        "filer_name", "filer_id", "filer_address", "filer_phone", "filer_email", "on_behalf",
        "authorisation", "book_volume", "book_number", "signer", "returned_by_name",
        "fee_at_receipt", "stop_reason", "stopped_at", "handling_agency", "id_origin",
        "receiver_address", "receiver_phone", "receiver_authorisation", "basis",
    }
)  # fmt: skip
ROWS: dict[str, frozenset[str]] = {
    "documents": frozenset({"n", "name", "copy", "copies", "digitised"}),
    "missing": frozenset({"n", "item"}),
    "transfers": frozenset(
        {"n", "giver", "giver_unit", "receiver", "receiver_unit", "at", "result", "note"}
    ),
    "control": frozenset(
        {"n", "giver", "giver_unit", "receiver", "receiver_unit", "at", "result", "note"}
    ),
    "book": frozenset(
        {
            "n", "code", "procedure", "sets", "owner", "address_phone", "unit", "received",
            "due", "transferred", "result_back", "returned", "receiver", "clerk", "note",
            "book_no", "return_how",
        }
    ),
}  # fmt: skip
# What each form is for, so the app asks "the receipt of this dossier's set" whatever its
# number: TT 01/2018 numbers the control slip 05 and the book 06, TT 03/2025 06 and 07.
PURPOSES = ("receipt", "supplement", "refusal", "apology", "stop", "control", "book", "handback")
TT01_PURPOSE = {
    "01": "receipt",
    "02": "supplement",
    "03": "refusal",
    "04": "apology",
    "05": "control",
    "06": "book",
    "BN": "handback",
}
SET_FILE = "_set.toml"
PAPERS = ("A4", "A5")
ORIENTATIONS = ("portrait", "landscape")


class TemplateError(DomainError):
    pass


@dataclass(frozen=True)
class Column:
    title: str
    value: str
    width: float


@dataclass(frozen=True)
class Block:
    kind: str  # text | table | signatures | space
    text: str = ""
    style: str = ""
    align: str = "L"
    rows: str = ""
    columns: tuple[Column, ...] = ()
    signatures: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Template:
    form: str
    name: str
    basis: str
    version: str
    title: str
    paper: str = "A4"
    orientation: str = "portrait"
    qr: bool = False
    header_left: tuple[str, ...] = ()
    header_right: tuple[str, ...] = ()
    place_date: str = ""
    subtitle: str = ""
    blocks: tuple[Block, ...] = ()
    source: str = ""
    purpose: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.basis, self.form, self.version)


def version_key(version: str) -> list[tuple[int, str]]:
    """ "2018.10" sorts after "2018.9"."""
    return [(int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.\-]", version)]


def _fail(where: str, vi: str, en: str) -> TemplateError:
    return TemplateError("slip.template", Msg(f"{where}: {vi}", f"{where}: {en}"), where)


def _check_text(value: Any, where: str, allowed: frozenset[str]) -> str:
    if not isinstance(value, str):
        raise _fail(where, "cần một chuỗi chữ", "a string is required")
    try:
        parts = list(Formatter().parse(value))
    except ValueError as exc:
        raise _fail(where, f"dấu ngoặc {{}} sai: {exc}", f"bad braces: {exc}") from exc
    for _lit, name, spec, conv in parts:
        if name is None:
            continue
        if name not in allowed or spec or conv:
            raise _fail(where, f"không có trường '{{{name}}}'", f"unknown field '{{{name}}}'")
    return value


def _block(raw: Any, where: str) -> Block:
    if not isinstance(raw, dict):
        raise _fail(where, "cần một bảng", "a table is required")
    kinds = [k for k in ("text", "table", "signatures", "space") if k in raw]
    if len(kinds) != 1:
        raise _fail(
            where,
            "mỗi khối có đúng một trong text / table / signatures / space",
            "each block has exactly one of text / table / signatures / space",
        )
    kind = kinds[0]
    style = raw.get("style", "")
    align = raw.get("align", "L")
    if style not in ("", "B", "I", "BI") or align not in ("L", "C", "R"):
        raise _fail(where, "style chỉ B/I, align chỉ L/C/R", "style B/I, align L/C/R")
    if kind == "text":
        return Block("text", _check_text(raw["text"], where, FIELDS), style, align)
    if kind == "space":
        return Block("space")
    if kind == "signatures":
        sigs = raw["signatures"]
        if not isinstance(sigs, list) or not sigs:
            raise _fail(where, "signatures cần một danh sách", "signatures must be a list")
        out = []
        for i, s in enumerate(sigs, 1):
            w = f"{where} chữ ký {i}"
            if not isinstance(s, dict) or "title" not in s:
                raise _fail(w, "cần title", "title required")
            out.append(
                (
                    _check_text(s["title"], w, FIELDS),
                    _check_text(s.get("hint", "(Ký và ghi rõ họ tên)"), w, FIELDS),
                    _check_text(s.get("name", ""), w, FIELDS),
                )
            )
        return Block("signatures", signatures=tuple(out))
    rows = raw["table"]
    if rows not in ROWS:
        raise _fail(
            where, f"bảng '{rows}' không có (có: {', '.join(ROWS)})", f"no row list '{rows}'"
        )
    cols = raw.get("columns")
    if not isinstance(cols, list) or not cols:
        raise _fail(where, "bảng cần columns", "a table needs columns")
    columns = []
    for i, c in enumerate(cols, 1):
        w = f"{where} cột {i}"
        if not isinstance(c, dict) or not isinstance(c.get("width", 0), int | float):
            raise _fail(w, "cần title, value, width", "title, value, width required")
        columns.append(
            Column(
                _check_text(c.get("title", ""), w, FIELDS),
                _check_text(c.get("value", ""), w, ROWS[rows] | FIELDS),
                float(c.get("width", 10)),
            )
        )
    return Block("table", rows=rows, columns=tuple(columns), style=style)


def parse_template(raw: dict[str, Any], source: str) -> Template:
    for key in ("form", "name", "basis", "version", "title"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _fail(source, f"thiếu '{key}'", f"'{key}' missing")
    paper = raw.get("paper", "A4")
    orientation = raw.get("orientation", "portrait")
    if paper not in PAPERS or orientation not in ORIENTATIONS:
        raise _fail(source, "paper A4/A5, orientation portrait/landscape", "paper/orientation")
    blocks = raw.get("blocks", [])
    if not isinstance(blocks, list):
        raise _fail(source, "blocks phải là danh sách [[blocks]]", "blocks must be [[blocks]]")

    def lines(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list):
            raise _fail(f"{source} {key}", "cần danh sách", "a list is required")
        return tuple(_check_text(v, f"{source} {key}", FIELDS) for v in value)

    purpose = raw.get("purpose") or TT01_PURPOSE.get(raw["form"], "")
    if purpose not in PURPOSES:
        raise _fail(source, f"purpose chỉ là: {', '.join(PURPOSES)}", f"purpose: {PURPOSES}")
    return Template(
        purpose=purpose,
        form=raw["form"],
        name=raw["name"],
        basis=raw["basis"],
        version=raw["version"],
        title=_check_text(raw["title"], f"{source} title", FIELDS),
        paper=paper,
        orientation=orientation,
        qr=bool(raw.get("qr", False)),
        header_left=lines("header_left"),
        header_right=lines("header_right"),
        place_date=_check_text(raw.get("place_date", ""), f"{source} place_date", FIELDS),
        subtitle=_check_text(raw.get("subtitle", ""), f"{source} subtitle", FIELDS),
        blocks=tuple(_block(b, f"{source} khối {i}") for i, b in enumerate(blocks, 1)),
        source=source,
    )


def load_template(path: Path) -> Template:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(str(path), f"không đọc được: {exc}", f"unreadable: {exc}") from exc
    return parse_template(raw, str(path))


@dataclass(frozen=True)
class FormSet:
    """A set of forms (one legal basis) and the first receipt date it prints for."""

    basis: str
    valid_from: date
    source: str


def load_form_set(path: Path) -> FormSet:
    """A ``_set.toml``: ``basis``, ``valid_from`` (a date) and ``source`` (where it comes from)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(str(path), f"không đọc được: {exc}", f"unreadable: {exc}") from exc
    basis, valid_from, source = raw.get("basis"), raw.get("valid_from"), raw.get("source")
    if not isinstance(basis, str) or not basis.strip():
        raise _fail(str(path), "thiếu 'basis'", "'basis' missing")
    if not isinstance(valid_from, date) or hasattr(valid_from, "hour"):
        raise _fail(str(path), "'valid_from' cần ngày dạng 2025-09-15", "'valid_from': a date")
    if not isinstance(source, str) or not source.strip():
        raise _fail(str(path), "'source' cần ghi nguồn của ngày áp dụng", "'source' required")
    return FormSet(basis, valid_from, source)


@dataclass
class Registry:
    """Templates by basis and form; the newest version wins, a local folder over the shipped."""

    templates: dict[tuple[str, str], Template] = field(default_factory=dict)
    sets: dict[str, FormSet] = field(default_factory=dict)

    def basis_for(self, day: date) -> str:
        """The set of forms for a dossier received on ``day``: the latest one in force then
        (before every set's ``valid_from``, the oldest set)."""
        if not self.sets:
            return "TT 01/2018/TT-VPCP"
        ordered = sorted(self.sets.values(), key=lambda s: s.valid_from)
        chosen = ordered[0]
        for s in ordered:
            if s.valid_from <= day:
                chosen = s
        return chosen.basis

    def form_for(self, basis: str, purpose: str) -> str | None:
        """The form number of ``purpose`` in ``basis`` (None: that set has no such form)."""
        for (b, form), t in self.templates.items():
            if b == basis and t.purpose == purpose:
                return form
        return None

    def add(self, t: Template) -> None:
        key = (t.basis, t.form)
        old = self.templates.get(key)
        if old is None or version_key(t.version) >= version_key(old.version):
            self.templates[key] = t

    def get(self, basis: str, form: str) -> Template:
        t = self.templates.get((basis, form))
        if t is None:
            raise _fail(f"{basis} mẫu {form}", "chưa có mẫu phiếu", "no template for this form")
        return t

    def forms(self, basis: str) -> list[str]:
        return sorted(f for b, f in self.templates if b == basis)


def load_registry(*folders: Path | None) -> Registry:
    """Every ``*.toml`` under the folders. Within a folder the newest version of a form
    wins; a later folder (the province's own) replaces the earlier one's form outright."""
    reg = Registry()
    for folder in folders:
        if folder is None or not folder.exists():
            continue
        local = Registry()
        for path in sorted(folder.rglob("*.toml")):
            if path.name == SET_FILE:
                form_set = load_form_set(path)
                reg.sets[form_set.basis] = form_set  # a province's valid_from wins
                continue
            local.add(load_template(path))
        reg.templates.update(local.templates)
    return reg
