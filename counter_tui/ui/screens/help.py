"""F1 help, generated from the bindings that are really active on the screen beneath."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from counter_tui.ui.i18n import tr
from counter_tui.ui.screens.base import CounterModal, add_plain_row, key_words

# Keys that only move within a widget (the picker's arrows): not worth a row of help.
HIDDEN = {"picker_down", "picker_up", "to_results", "slip_close_enter"}


class HelpScreen(CounterModal[None]):
    BINDINGS = [Binding("escape,f1", "close", "close", id="help_close")]
    CSS_PATH = "help.tcss"

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help_scroll"):
            title = self.under.title or self.under.__class__.__name__
            yield Label(tr(f"[b]Phím tắt — {escape(title)}[/b]", f"[b]Keys — {escape(title)}[/b]"))
            yield DataTable(id="help_keys", cursor_type="none")
            yield Static(
                tr(
                    "Trong ô nhập: ←/→, Home/End, Backspace/Delete và Ctrl+V (dán) như mọi ô "
                    "soạn thảo. Esc hoặc F1: đóng trợ giúp.",
                    "In a field: ←/→, Home/End, Backspace/Delete and Ctrl+V (paste) as in any "
                    "text box. Esc or F1: close this help.",
                ),
                id="help_editing",
                markup=False,
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(  # Text: "[keys]" is the settings section, not a markup tag
            Text(tr("Phím", "Key")),
            Text(tr("Việc", "Action")),
            Text(tr("Mã (đổi phím trong [keys])", "Id (remap in [keys])")),
        )
        for printed, _key, word, ident in self.rows():
            add_plain_row(table, printed, word, ident)
        # PgDn/PgUp scroll at once: the scroll area has the keyboard, not a widget in it.
        self.query_one("#help_scroll").focus()

    def rows(self) -> list[tuple[str, str, str, str]]:
        """The app's own keys, in words, F-keys first then the screen's: (key as printed,
        key name, what it does, id for [keys]). Textual's own editing keys (English, and
        the same in every text box) are summed up in one line under the table."""
        out: list[tuple[str, str, str, str]] = []
        seen = set()
        for key, active in self.under.active_bindings.items():
            b = active.binding
            if not b.id or not b.description or b.id in seen or (not b.show and b.id in HIDDEN):
                continue
            seen.add(b.id)
            out.append((key_words(key), key, b.description, b.id))
        f_keys = sorted(
            (r for r in out if r[1].startswith("f") and r[1][1:].isdigit()),
            key=lambda r: int(r[1][1:]),
        )
        rest = [r for r in out if r not in f_keys]
        palette = (
            key_words("ctrl+p"),
            "ctrl+p",
            tr("Bảng lệnh: tìm việc theo tên", "Command palette"),
            "",
        )
        return f_keys + rest + [palette]

    def action_close(self) -> None:
        self.dismiss(None)
