"""A filled slip, and its plain-text rendering for a quick look in the terminal."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from counter_tui.slips.templates import Block, Template


@dataclass
class Slip:
    """A template with its values: what both the text and the PDF renderers draw."""

    template: Template
    fields: dict[str, str]
    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    qr_data: str = ""

    def fill(self, text: str, row: dict[str, str] | None = None) -> str:
        values = self.fields if row is None else {**self.fields, **row}
        return text.format_map(values)

    @property
    def file_stem(self) -> str:
        code = self.fields.get("code", "phieu").replace("/", "-")
        return f"mau{self.template.form}-{code}"

    def text(self) -> str:
        return render_text(self)


def _width(t: Template) -> int:
    return 150 if t.orientation == "landscape" else 78


def _cut(value: str, width: int) -> str:
    return value if len(value) <= width else value[: max(width - 1, 0)] + "…"


def _pair(left: list[str], right: list[str], width: int) -> list[str]:
    half = width // 2
    out = []
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        out.append(f"{_cut(a, half - 1).center(half)}{_cut(b, half).center(width - half)}")
    return out


def _table(slip: Slip, block: Block, width: int) -> list[str]:
    total = sum(c.width for c in block.columns) or 1
    widths = [max(3, int(width * c.width / total) - 1) for c in block.columns]
    head = " ".join(
        _cut(slip.fill(c.title), w).ljust(w) for c, w in zip(block.columns, widths, strict=True)
    )
    lines = [head, "-" * min(width, len(head))]
    rows = slip.rows.get(block.rows, [])
    for row in rows:
        cells = [
            [ln for part in slip.fill(c.value, row).split("\n") for ln in textwrap.wrap(part, w)]
            or [""]
            for c, w in zip(block.columns, widths, strict=True)
        ]
        for i in range(max(len(c) for c in cells)):
            lines.append(
                " ".join(
                    (c[i] if i < len(c) else "").ljust(w)
                    for c, w in zip(cells, widths, strict=True)
                ).rstrip()
            )
    if not rows:
        lines.append("(không có)")
    return lines


def render_text(slip: Slip) -> str:
    t = slip.template
    width = _width(t)
    out = _pair(
        [slip.fill(x) for x in t.header_left], [slip.fill(x) for x in t.header_right], width
    )
    if t.place_date:
        out.append(slip.fill(t.place_date).rjust(width))
    out += ["", slip.fill(t.title).center(width)]
    if t.subtitle:
        out.append(slip.fill(t.subtitle).center(width))
    out.append("")
    for block in t.blocks:
        if block.kind == "space":
            out.append("")
        elif block.kind == "text":
            text = slip.fill(block.text)
            wrapped = textwrap.wrap(text, width) or [""]
            if block.align == "C":
                wrapped = [w.center(width) for w in wrapped]
            elif block.align == "R":
                wrapped = [w.rjust(width) for w in wrapped]
            out += wrapped
        elif block.kind == "table":
            out += _table(slip, block, width)
        elif block.kind == "signatures":
            n = len(block.signatures)
            col = width // n
            for part in range(3):
                out.append(
                    "".join(_cut(slip.fill(s[part]), col - 1).center(col) for s in block.signatures)
                )
                if part == 1:
                    out += ["", ""]
    return "\n".join(line.rstrip() for line in out)
