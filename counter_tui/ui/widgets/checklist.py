"""The receive form's checklist of required documents (thành phần hồ sơ): a row a paper,
ticked as it is handed in, its copies counted, its scans named in words.

Its keys (Space, +/-, Ctrl+A, F and X where the counter digitises) act on the highlighted
row; the screen hears of each change through ``Checklist.Changed`` and of a scan wanted
through ``Checklist.ScanWanted``.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Label, ListItem, ListView

from counter_tui.domain.catalog import CopyKind
from counter_tui.domain.dossier import DocItem
from counter_tui.ui.i18n import tr
from counter_tui.ui.screens.base import counter_app_of
from counter_tui.usecases.scans import Scans

COPY_EN = {
    "original": "Original",
    "certified": "Certified copy",
    "copy": "Copy",
    "present": "Shown only",
}


class DocRow(ListItem):
    """One paper of the checklist, shown as a line of words (never a colour alone)."""

    def __init__(self, item: DocItem, digitise: bool = False) -> None:
        # "[x]" is a mark, not a tag
        super().__init__(Label(self._text(item, digitise), markup=False))
        self.item = item
        self.digitise = digitise

    @staticmethod
    def _text(item: DocItem, digitise: bool = False) -> str:
        mark = "[x]" if item.received else "[ ]"
        need = tr("bắt buộc", "required") if item.required else tr("nếu có", "if any")
        kind = tr(CopyKind(item.copy).vi, COPY_EN.get(item.copy, item.copy))
        text = f"{mark} {item.name} · {kind} · {item.copies} {tr('bản', 'copies')} · {need}"
        return text + (scan_words(item) if digitise else "")

    def refresh_label(self) -> None:
        self.query_one(Label).update(self._text(self.item, self.digitise))


def scan_words(item: DocItem) -> str:
    """What the checklist row says of the item's scans (words, never a colour alone)."""
    if item.files:
        return " · " + tr(f"đã quét {len(item.files)} tệp", f"{len(item.files)} scan(s)")
    if (item.digitisation or {}).get("exempt") == "shown":
        return " · " + tr("xuất trình, không quét", "shown, no scan")
    if item.required and item.received:
        return " · " + tr("CHƯA QUÉT", "NOT SCANNED")
    return ""


class Checklist(ListView):
    """The papers the chosen procedure asks for; its keys act on the highlighted row."""

    BINDINGS = [
        Binding("space", "toggle_doc", "toggle_doc", id="doc_toggle"),
        Binding("plus,equals_sign", "copies(1)", "more_copies", id="doc_more"),
        Binding("minus", "copies(-1)", "fewer_copies", id="doc_fewer"),
        Binding("ctrl+a", "tick_all", "tick_all_docs", id="doc_all"),
        Binding("f", "scan", "attach_scan", id="doc_scan"),
        Binding("x", "shown", "doc_shown", id="doc_shown"),
    ]

    class ScanWanted(Message):
        """The clerk asked to attach a scan to the highlighted row."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The scan keys exist only where the counter digitises ([files] digitise).
        if action in ("scan", "shown"):
            return counter_app_of(self).services.settings.digitise
        return True

    def action_scan(self) -> None:
        if self._row() is not None and self.index is not None:
            self.post_message(self.ScanWanted(self.index))

    def action_shown(self) -> None:
        """Papers only shown (xuất trình) need no scan: TT 03/2025 Điều 5 khoản 2."""
        row = self._row()
        if row:
            shown = (row.item.digitisation or {}).get("exempt") == "shown"
            Scans.exempt_item(row.item, None if shown else "shown")
            row.refresh_label()
            self.post_message(self.Changed(self))

    def _row(self) -> DocRow | None:
        row = self.highlighted_child
        return row if isinstance(row, DocRow) else None

    def action_toggle_doc(self) -> None:
        row = self._row()
        if row:
            row.item.received = not row.item.received
            row.refresh_label()
            self.post_message(self.Changed(self))

    def action_tick_all(self) -> None:
        """Everything brought: one key instead of Space on each row."""
        for row in self.query(DocRow):
            row.item.received = True
            row.refresh_label()
        self.post_message(self.Changed(self))

    def action_copies(self, delta: int) -> None:
        row = self._row()
        if row:
            row.item.copies = max(1, min(20, row.item.copies + delta))
            row.refresh_label()

    class Changed(ListView.Highlighted):
        """A row was ticked, marked shown or given a scan: the screen's counts change."""

        def __init__(self, checklist: Checklist) -> None:
            super().__init__(checklist, checklist.highlighted_child)
