"""F1 help, generated from the bindings that are really active on the screen beneath."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label

from counter_tui.ui.i18n import tr
from counter_tui.ui.screens.base import CounterModal, add_plain_row


class HelpScreen(CounterModal[None]):
    BINDINGS = [Binding("escape,f1", "close", "close", id="help_close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; height: 80%; border: thick $primary;
                                  background: $surface; padding: 0 1; }
    """

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            title = self.under.title or self.under.__class__.__name__
            yield Label(tr(f"[b]Phím tắt — {title}[/b]", f"[b]Keys — {title}[/b]"))
            yield DataTable(id="help_keys", cursor_type="none")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(  # Text: "[keys]" is the settings section, not a markup tag
            Text(tr("Phím", "Key")),
            Text(tr("Việc", "Action")),
            Text(tr("Mã (đổi phím trong [keys])", "Id (remap in [keys])")),
        )
        seen = set()
        for key, active in sorted(self.under.active_bindings.items()):
            b = active.binding
            if not b.description or (b.id, key) in seen:
                continue
            seen.add((b.id, key))
            add_plain_row(table, self.app.get_key_display(b), b.description, b.id or "")

    def action_close(self) -> None:
        self.dismiss(None)
