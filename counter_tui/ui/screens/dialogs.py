"""Modal dialogs: confirm, ask for a reason, show a slip. Esc always closes without acting."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from counter_tui.ui.i18n import tr


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("enter", "yes", "Đồng ý", id="dialog_yes"),
        Binding("escape", "no", "Quay lại", id="dialog_no"),
    ]
    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical { width: 80; height: auto; border: thick $warning; padding: 1 2;
                               background: $surface; }
    """

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"[b]{self.title_text}[/b]")
            yield Static(self.body, id="confirm_body", markup=False)
            yield Label(tr("[Enter] Đồng ý    [Esc] Quay lại", "[Enter] Yes    [Esc] Back"))

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class ReasonDialog(ModalScreen[str | None]):
    """Ask for a reason (refusal, withdrawal); an empty reason is refused on screen."""

    BINDINGS = [Binding("escape", "cancel", "Quay lại", id="dialog_cancel")]
    DEFAULT_CSS = """
    ReasonDialog { align: center middle; }
    ReasonDialog > Vertical { width: 80; height: auto; border: thick $accent; padding: 1 2;
                              background: $surface; }
    #reason_msg { color: $error; height: auto; }
    """

    def __init__(self, title: str, placeholder: str = "Lý do") -> None:
        super().__init__()
        self.title_text, self.placeholder = title, placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"[b]{self.title_text}[/b]")
            yield Input(placeholder=self.placeholder, id="reason", max_length=500)
            yield Static("", id="reason_msg", markup=False)
            yield Label(tr("[Enter] Xác nhận    [Esc] Quay lại", "[Enter] Confirm    [Esc] Back"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.query_one("#reason_msg", Static).update(
                tr("Cần ghi lý do.", "A reason is required.")
            )
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SlipScreen(ModalScreen[None]):
    """A slip in plain text, ready to print (the PDF comes with the slips module)."""

    BINDINGS = [
        Binding("escape", "close", "Đóng", id="slip_close"),
        Binding("enter", "close", "Đóng", show=False, id="slip_close_enter"),
    ]
    DEFAULT_CSS = """
    SlipScreen { align: center middle; }
    SlipScreen > VerticalScroll { width: 90%; height: 90%; border: thick $success;
                                  background: $surface; padding: 0 1; }
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.text, id="slip_text", markup=False)

    def on_mount(self) -> None:
        self.t_shown = time.perf_counter()  # read by bench/ui.py

    def action_close(self) -> None:
        self.dismiss(None)
