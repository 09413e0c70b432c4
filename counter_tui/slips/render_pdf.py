"""A slip as PDF (A4 or A5), with an embedded font that has every Vietnamese letter.

The font is Source Sans Pro from the ``font-source-sans-pro`` package: it is a
dependency, so a counter PC prints with nothing else installed, and fpdf2
embeds only the glyphs used. The QR code is drawn as vector squares (no image
library in the path), sized for a phone camera at arm's length.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from counter_tui.slips.render_text import Slip

FAMILY = "SourceSans"
QR_MM = 24.0


def _font_files() -> dict[str, Path]:
    import font_source_sans_pro as fonts  # type: ignore[import-untyped]  # data only: TTFs

    folder = Path(fonts.font_directory)
    return {
        "": folder / "SourceSansPro-Regular.ttf",
        "B": folder / "SourceSansPro-Bold.ttf",
        "I": folder / "SourceSansPro-It.ttf",
        "BI": folder / "SourceSansPro-BoldIt.ttf",
    }


def _draw_qr(pdf, data: str, x: float, y: float, size: float) -> None:
    import segno

    matrix = segno.make(data, error="m", micro=False).matrix
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                # One rectangle per run of dark modules keeps the file small.
                pdf.rect(x + start * module, y + r * module, (c - start) * module, module, "F")
            else:
                c += 1


def render_pdf(slip: Slip) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    t = slip.template
    # fpdf2 warns that it corrected A5's size in 2.8.5; the warning is about old files.
    warnings.filterwarnings("ignore", message="Dimensions for page format", module="fpdf")
    pdf = FPDF(orientation="L" if t.orientation == "landscape" else "P", format=t.paper)
    small = t.paper == "A5"
    base = 9.5 if small else 11.5
    line = 4.2 if small else 5.4
    pdf.set_margins(9 if small else 18, 8 if small else 12, 9 if small else 15)
    pdf.set_auto_page_break(True, 12)
    # Parsing a TTF is most of a render's time: register only the styles this template uses.
    used = {"", "B", "I"} | {b.style for b in t.blocks}
    for style, path in _font_files().items():
        if style in used:
            pdf.add_font(FAMILY, style, str(path))
    pdf.set_title(slip.fill(t.title))
    pdf.set_creator("counter-tui")
    pdf.add_page()
    width = pdf.epw
    top = pdf.get_y()
    qr_room = QR_MM + 2 if t.qr and slip.qr_data else 0
    if qr_room:
        _draw_qr(pdf, slip.qr_data, pdf.l_margin, top, QR_MM)
        pdf.set_font(FAMILY, "", base - 3)
        pdf.set_xy(pdf.l_margin - 2, top + QR_MM + 0.5)
        pdf.cell(QR_MM + 4, 3, slip.fields.get("code", ""), align="C")
    half = (width - qr_room) / 2
    for col, lines in ((0, t.header_left), (1, t.header_right)):
        pdf.set_xy(pdf.l_margin + qr_room + col * half, top)
        for i, text in enumerate(lines):
            pdf.set_font(FAMILY, "B" if col == 1 or i > 0 else "", base - 1.5)
            pdf.set_x(pdf.l_margin + qr_room + col * half)
            pdf.multi_cell(half, line, slip.fill(text), align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + (QR_MM + 4 if qr_room else 0)) + 1)
    if t.place_date:
        pdf.set_font(FAMILY, "I", base - 1)
        pdf.cell(0, line, slip.fill(t.place_date), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(line * 0.6)
    pdf.set_font(FAMILY, "B", base + 2.5)
    pdf.multi_cell(0, line + 1.5, slip.fill(t.title), align="C", new_x="LMARGIN", new_y="NEXT")
    if t.subtitle:
        pdf.set_font(FAMILY, "B", base)
        pdf.cell(0, line, slip.fill(t.subtitle), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(line * 0.6)
    for block in t.blocks:
        if block.kind == "space":
            pdf.ln(line * 0.6)
        elif block.kind == "text":
            pdf.set_font(FAMILY, block.style, base)
            pdf.multi_cell(
                0, line, slip.fill(block.text), align=block.align, new_x="LMARGIN", new_y="NEXT"
            )
        elif block.kind == "table":
            rows = slip.rows.get(block.rows, [])
            pdf.set_font(FAMILY, "", base - (2 if t.orientation == "landscape" else 1))
            with pdf.table(
                col_widths=tuple(c.width for c in block.columns),
                line_height=line,
                text_align="LEFT",
                headings_style=FontFace(emphasis="BOLD"),
                padding=0.8,
            ) as table:
                head = table.row()
                for c in block.columns:
                    head.cell(slip.fill(c.title))
                for row in rows:
                    r = table.row()
                    for c in block.columns:
                        r.cell(slip.fill(c.value, row))
            pdf.ln(line * 0.4)
        elif block.kind == "signatures":
            n = len(block.signatures)
            cell_w = width / n
            if pdf.get_y() > pdf.page_break_trigger - 3 * line - 13:
                pdf.add_page()
            y = pdf.get_y() + line * 0.5
            for i, (title, hint, name) in enumerate(block.signatures):
                x = pdf.l_margin + i * cell_w
                pdf.set_xy(x, y)
                pdf.set_font(FAMILY, "B", base)
                pdf.multi_cell(
                    cell_w, line, slip.fill(title), align="C", new_x="LEFT", new_y="NEXT"
                )
                pdf.set_font(FAMILY, "I", base - 1.5)
                pdf.multi_cell(cell_w, line, slip.fill(hint), align="C", new_x="LEFT", new_y="NEXT")
                pdf.set_y(pdf.get_y() + 12)
                pdf.set_x(x)
                pdf.set_font(FAMILY, "B", base)
                pdf.multi_cell(cell_w, line, slip.fill(name), align="C", new_x="LEFT", new_y="NEXT")
            pdf.set_y(pdf.get_y() + line)
    return bytes(pdf.output())
