"""Modal dialogs: confirm, ask for a reason or a few fields, pick a form, show and print a slip.

Esc always closes without acting."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from counter_tui.domain.forms import FieldError
from counter_tui.domain.messages import DomainError
from counter_tui.ui.browser import slip_delivered
from counter_tui.ui.i18n import say, tr
from counter_tui.ui.screens.base import CounterModal, Note, counter_app_of
from counter_tui.ui.widgets.form_field import FormField, clear_errors, place_errors
from counter_tui.usecases.paperwork import Delivered, Slip

# Every dialog here draws from one style sheet beside this module.
DIALOGS_CSS = "dialogs.tcss"


class ConfirmDialog(CounterModal[bool]):
    BINDINGS = [
        Binding("enter", "yes", "ok", id="dialog_yes"),
        Binding("escape", "no", "back", id="dialog_no"),
    ]
    CSS_PATH = DIALOGS_CSS

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text, style="bold"))
            yield Static(self.body, id="confirm_body", markup=False)
            yield Static(
                tr("[Enter] Đồng ý    [Esc] Quay lại", "[Enter] Yes    [Esc] Back"), markup=False
            )

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class ReasonDialog(CounterModal[str | None]):
    """Ask for a reason (refusal, withdrawal); an empty reason is refused on screen."""

    BINDINGS = [Binding("escape", "cancel", "back", id="dialog_cancel")]
    CSS_PATH = DIALOGS_CSS

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.title_text, self.placeholder, self.value = title, placeholder, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text, style="bold"))
            yield FormField(
                "reason",
                "",
                Input(
                    self.value,
                    placeholder=self.placeholder or tr("Lý do", "Reason"),
                    id="reason",
                    max_length=500,
                ),
                message_id="reason_msg",
                label_above=True,
            )
            yield Static(
                tr("[Enter] Xác nhận    [Esc] Quay lại", "[Enter] Confirm    [Esc] Back"),
                markup=False,
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            field = self.query_one(FormField)
            field.say(tr("Cần ghi lý do.", "A reason is required."))
            field.focus_input()
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FieldsDialog(CounterModal[dict[str, str] | None]):
    """A few labelled inputs (new date and reason, unit and person); ``check`` returns what
    is wrong as a :class:`FieldError` naming the field (its message goes under that field and
    the cursor to it), or ``None`` to accept. Nothing is done until it accepts."""

    BINDINGS = [Binding("escape", "cancel", "back", id="dialog_cancel")]
    CSS_PATH = DIALOGS_CSS

    def __init__(
        self,
        title: str,
        fields: list[tuple[str, str, str]],
        check: Callable[[dict[str, str]], FieldError | None],
        values: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.title_text, self.fields, self.check = title, fields, check
        self.values = values or {}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text, style="bold"))
            for key, label, placeholder in self.fields:
                yield FormField(
                    key,
                    label,
                    Input(
                        self.values.get(key, ""),
                        placeholder=placeholder,
                        id=f"f_{key}",
                        max_length=300,
                        select_on_focus=False,
                    ),
                    message_id=f"f_{key}_msg",
                    label_above=True,
                )
            # A problem of no one field (a check that names none of them).
            yield Note(id="fields_msg", classes="msg")
            yield Static(
                tr(
                    "[Enter] ô tiếp theo / xác nhận    [Esc] Quay lại",
                    "[Enter] next field / confirm    [Esc] Back",
                ),
                markup=False,
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        at = inputs.index(event.input)
        if at < len(inputs) - 1 and not inputs[at + 1].value.strip():
            inputs[at + 1].focus()
            return
        values = {
            key: self.query_one(f"#f_{key}", Input).value.strip() for key, _, _ in self.fields
        }
        clear_errors(self)
        self.query_one("#fields_msg", Note).update("")
        problem = self.check(values)
        if problem is not None:
            for unplaced in place_errors(self, [problem]):
                self.query_one("#fields_msg", Note).update(say(unplaced.msg))
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoicePicker(CounterModal[str | None]):
    """Pick one of ``choices`` (id, words shown); dismissed with the id, or None on Esc."""

    BINDINGS = [Binding("escape", "cancel", "back", id="dialog_cancel")]
    CSS_PATH = DIALOGS_CSS

    def __init__(self, title: str, choices: list[tuple[str, str]], list_id: str) -> None:
        super().__init__()
        self.title_words, self.choices, self.list_id = title, choices, list_id

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_words, style="bold"))
            yield OptionList(
                *[Option(words, id=key) for key, words in self.choices],
                id=self.list_id,
                markup=False,
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def form_picker(forms: list[tuple[str, str]]) -> ChoicePicker:
    """Which slip to print for this dossier: the forms that fit its history."""
    return ChoicePicker(
        tr("In phiếu nào?", "Which slip?"),
        [(form, f"{tr('Mẫu', 'Form')} {form}: {name}") for form, name in forms],
        "forms",
    )


class SlipScreen(CounterModal[None]):
    """A slip as text on screen; F10 saves its PDF (and prints it when a printer is set).

    The PDF is rendered and written in a worker thread: the first render loads
    the font (about half a second), and a printer command may take longer.
    """

    BINDINGS = [
        Binding("f10", "print", "print", id="print_slip"),
        Binding("escape", "close", "close", id="slip_close"),
        Binding("enter", "close", "close", show=False, id="slip_close_enter"),
    ]
    CSS_PATH = DIALOGS_CSS

    def __init__(self, slip: Slip) -> None:
        super().__init__()
        self.slip = slip
        self.delivered: Delivered | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.slip.text(), id="slip_text", markup=False)
        yield Static(
            tr("[F10] In / lưu PDF    [Esc] Đóng", "[F10] Print / save PDF    [Esc] Close"),
            id="slip_status",
            markup=False,
        )

    def action_print(self) -> None:
        self.query_one("#slip_status", Static).update(tr("Đang tạo PDF…", "Making the PDF…"))
        self.run_worker(self._print, thread=True, exclusive=True, group="print")

    def _print(self) -> None:
        paperwork = counter_app_of(self).services.paperwork
        try:
            done = paperwork.deliver(self.slip)
        except DomainError as exc:
            self.app.call_from_thread(self._show, say(exc), True)
            return
        except OSError as exc:  # disk full, folder not writable: say where and why
            self.app.call_from_thread(
                self._show, tr(f"Không lưu được PDF: {exc}", f"Could not save the PDF: {exc}"), True
            )
            return
        self.delivered = done
        self.app.call_from_thread(self._show, slip_delivered(self.app, done), False)

    def _show(self, text: str, error: bool) -> None:
        # The clerk may have closed the slip while the PDF was being made: still say where
        # it went (the notification outlives the screen).
        self.app.notify(text, severity="error" if error else "information", timeout=8, markup=False)
        if self.is_mounted:
            status = self.query_one("#slip_status", Static)
            status.update(text)
            status.styles.color = "red" if error else None

    def action_close(self) -> None:
        self.dismiss(None)
