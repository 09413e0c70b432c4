"""Tables to CSV and XLSX files that a spreadsheet opens as they are.

CSV is written UTF-8 with a byte-order mark: Excel on Windows reads a CSV
without one in the system code page and turns every Vietnamese letter into
mojibake. Both files are written to a temporary name and renamed, so a
half-written export never sits under the final name.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

Cell = str | int | float | None


@dataclass
class Table:
    name: str  # the sheet name (at most 31 characters in XLSX)
    headers: list[str]
    rows: list[list[Cell]]


def _atomic(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_csv(path: Path, table: Table) -> Path:
    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(table.headers)
            w.writerows(["" if c is None else c for c in row] for row in table.rows)

    return _atomic(path, write)


def write_xlsx(path: Path, tables: Sequence[Table]) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def write(tmp: Path) -> None:
        wb = Workbook()
        wb.remove(wb.active)
        for table in tables:
            ws = wb.create_sheet(table.name[:31])
            ws.append(table.headers)
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for row in table.rows:
                ws.append(list(row))
            for i, header in enumerate(table.headers, 1):
                longest = max([len(str(header))] + [len(str(r[i - 1] or "")) for r in table.rows])
                ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, longest + 2)
            ws.freeze_panes = "A2"
        wb.save(tmp)

    return _atomic(path, write)
