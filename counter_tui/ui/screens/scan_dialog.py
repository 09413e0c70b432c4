"""Attach a scan to one checklist item: from the scanner's folder or a typed/pasted path.

The scanner folder lists the files that appeared since the form was opened,
newest first; Enter attaches the highlighted one. A path typed (or pasted) in
the box and Enter attaches that file. Reading, checking, hashing and writing
the file durably run in a worker thread (``Scans.prepare``); the dialog closes
with the prepared file only once it is stored. A refused file is said in the
clerk's language and nothing changes.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from counter_tui.domain.files import size_text
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.ui.i18n import say, tr
from counter_tui.ui.screens.base import CounterModal
from counter_tui.ui.screens.dialogs import ChoicePicker
from counter_tui.usecases.scans import Prepared, ScannerFile, Scans

log = logging.getLogger(__name__)


class ScanDialog(CounterModal[Prepared | None]):
    BINDINGS = [
        Binding("escape", "cancel", "back", id="scan_cancel"),
        Binding("f5", "rescan", "refresh_scanner", id="scan_refresh"),
    ]
    CSS_PATH = "scan_dialog.tcss"

    class Done(Message):
        """The worker's answer: a stored file, or why it was refused."""

        def __init__(self, prepared: Prepared | None, error: DomainError | None) -> None:
            super().__init__()
            self.prepared, self.error = prepared, error

    def __init__(self, scans: Scans, item_name: str, since: float) -> None:
        super().__init__()
        self.scans, self.item_name, self.since = scans, item_name, since
        self.listed: list[ScannerFile] = []
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(tr("Đính kèm bản quét: ", "Attach a scan: ") + self.item_name))
            where = str(self.scans.scanner_dir) if self.scans.scanner_dir else ""
            yield Static(
                tr(f"Thư mục máy quét: {where}", f"Scanner folder: {where}")
                if where
                else tr(
                    "Chưa cấu hình thư mục máy quét ([files] scanner_dir): gõ đường dẫn tệp.",
                    "No scanner folder set ([files] scanner_dir): type the file's path.",
                ),
                markup=False,
            )
            warning = self.scans.usage().warning
            # Said where scans are taken, before the room runs out (F5 says it too).
            yield Static("⚠ " + say(warning) if warning else "", id="scan_room", markup=False)
            yield OptionList(id="scan_list")
            yield Input(
                placeholder=tr("hoặc gõ / dán đường dẫn tệp", "or type / paste a path"),
                id="scan_path",
            )
            yield Static("", id="scan_msg", markup=False)
            yield Static(
                tr(
                    "[Enter] Đính kèm    [F5] Làm mới    [Esc] Quay lại",
                    "[Enter] Attach    [F5] Refresh    [Esc] Back",
                ),
                markup=False,
            )

    def on_mount(self) -> None:
        self.action_rescan()
        # A page scanned while the dialog is open shows up by itself.
        self.set_interval(2.0, self._rescan_if_new)

    def _rescan_if_new(self) -> None:
        if self.busy:
            return
        now = self.scans.scanner_files(self.since)
        if [f.path for f in now] != [f.path for f in self.listed]:
            self._fill(now)

    def action_rescan(self) -> None:
        self._fill(self.scans.scanner_files(self.since))
        if self.listed:
            self.query_one("#scan_list", OptionList).focus()
        else:
            self.query_one("#scan_path", Input).focus()

    def _fill(self, files: list[ScannerFile]) -> None:
        self.listed = files
        ol = self.query_one("#scan_list", OptionList)
        ol.clear_options()
        for i, f in enumerate(self.listed):
            stamp = datetime.fromtimestamp(f.mtime).strftime("%H:%M:%S")
            ol.add_option(Option(f"{stamp}  {f.name}  ({size_text(f.size)})", id=str(i)))
        if self.listed:
            ol.highlighted = 0
        elif self.scans.scanner_dir:
            # Older files are left out on purpose (they belong to earlier citizens): say so,
            # or an empty list reads as a broken scanner.
            since = datetime.fromtimestamp(self.since).strftime("%H:%M")
            ol.add_option(
                Option(
                    tr(
                        f"Chưa có tệp mới trong thư mục máy quét từ {since} (lúc mở hồ sơ): "
                        "quét giấy tờ, hoặc gõ / dán đường dẫn tệp bên dưới.",
                        f"No new file in the scanner folder since {since} (when the dossier "
                        "was opened): scan the paper, or type / paste a path below.",
                    ),
                    disabled=True,
                )
            )

    @on(OptionList.OptionSelected, "#scan_list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self._prepare(self.listed[int(event.option.id or 0)].path)

    @on(Input.Submitted, "#scan_path")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._prepare(Path(event.value.strip().strip("'\"")))

    def _prepare(self, path: Path) -> None:
        if self.busy:
            return
        self.busy = True
        self.query_one("#scan_msg", Static).update(tr("Đang lưu tệp…", "Saving the file…"))
        self._run(path)

    @work(thread=True, exclusive=True, group="scan", name="prepare_scan")
    def _run(self, path: Path) -> None:
        try:
            self.post_message(self.Done(self.scans.prepare(path), None))
        except DomainError as exc:
            self.post_message(self.Done(None, exc))
        except Exception:  # a fault of the program: said on screen, the app goes on
            log.exception("preparing a scan failed")
            fault = Msg(
                "Lỗi phần mềm khi đọc tệp (đã ghi vào nhật ký); hãy thử lại.",
                "A program fault while reading the file (logged); try again.",
            )
            self.post_message(self.Done(None, DomainError("file.fault", fault)))

    @on(Done)
    def _done(self, event: Done) -> None:
        self.busy = False
        if event.error is not None:
            self.query_one("#scan_msg", Static).update(
                tr("Không đính kèm: ", "Not attached: ") + say(event.error)
            )
            return
        self.dismiss(event.prepared)

    def action_cancel(self) -> None:
        self.dismiss(None)


def item_picker(items: list[tuple[str, str]]) -> ChoicePicker:
    """Which checklist item (or the result) a scan added later belongs to."""
    return ChoicePicker(
        tr("Bản quét của giấy tờ nào?", "A scan of which document?"), items, "items"
    )
