"""Slips and exports reach the clerk's browser when the app runs in one (``counter-tui serve``).

In a terminal the saved file is on the clerk's own PC, where the message says. In a
browser tab the clerk works in the browser: Textual's ``deliver_binary`` streams the saved
file to the page, which opens a slip in a new tab (printed from the browser's PDF viewer
with Ctrl+P) and downloads an export's workbook. The copy on disk stays, as in a terminal,
so a slip can be printed again from the folder. A slip already sent to the printer command
is not opened as well: it would be printed twice.

Both functions are called from the screens' worker threads, and hand the delivery to the
app's thread.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from counter_tui.ui.i18n import language, tr
from counter_tui.usecases.paperwork import Delivered


def slip_delivered(app: App, done: Delivered) -> str:
    """What the clerk reads after F10 on a slip, having sent the PDF to the browser if the
    app runs in one."""
    if done.printed or not app.is_web:
        return done.message(language())
    app.call_from_thread(
        app.deliver_binary, done.path, open_method="browser", mime_type="application/pdf"
    )
    return tr(
        f"Đã mở phiếu trong trình duyệt (Ctrl+P để in). Bản lưu: {done.path}",
        f"The slip is open in the browser (Ctrl+P prints it). Saved: {done.path}",
    )


def export_delivered(app: App, paths: list[Path], text: str) -> str:
    """What the clerk reads after an export (``text`` in a terminal); in a browser the
    workbook, which holds every table, is downloaded."""
    book = next((p for p in paths if p.suffix == ".xlsx"), None)
    if book is None or not app.is_web:
        return text
    app.call_from_thread(
        app.deliver_binary,
        book,
        open_method="download",
        mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return tr(
        f"Đã tải bảng tính {book.name} về trình duyệt; các tệp CSV ở {book.parent}",
        f"The workbook {book.name} is downloaded in the browser; the CSV files are in {book.parent}",
    )
