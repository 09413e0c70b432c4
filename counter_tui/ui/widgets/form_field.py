"""A form field that places its own message: a label, the input, and the line under it, found
by the id the domain's form parsers give each error (``FieldError.field``).

Every form (F2, F4, the receipt's 2025 fields, the dialogs) is built of these, so a screen
hands the parser's errors to :func:`place_errors` and keeps no table from field ids to
widget ids: the message lands under its field and the cursor goes to the first field at
fault, in the order the fields are on the form.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import Label

from counter_tui.domain.forms import FieldError
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.ui.i18n import say
from counter_tui.ui.screens.base import Note

# The message line's tones: an error, a reminder to check (a card's name), a plain note.
ERROR, CHECK, INFO = "msg", "check", "info"
TONES = (ERROR, CHECK, INFO)


class FormField(Vertical):
    """One field of a form, keyed by the parser's field id: label and input on one line
    (``.field``, the label ``.lbl``), the message line under it (a :class:`Note`, empty and
    taking no room until there is something to say)."""

    DEFAULT_CSS = """
    FormField { height: auto; }
    FormField > .field { height: auto; }
    FormField > .field > Input { width: 1fr; }
    FormField > .field > Select { width: 1fr; }
    FormField > .msg { color: $error; height: auto; }
    FormField > .check { color: $warning; height: auto; }
    FormField > .info { color: $text-muted; height: auto; }
    """

    def __init__(
        self,
        key: str,
        label: str,
        widget: Widget,
        *,
        message_id: str | None = None,
        tone: str = ERROR,
        label_above: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.key = key
        self.label = label
        self.widget = widget
        self.label_above = label_above
        self.message = Note(id=message_id, classes=tone)

    def compose(self) -> ComposeResult:
        if self.label_above:  # a narrow dialog: the label (if any) over its input
            if self.label:
                yield Label(self.label)
            yield self.widget
        else:
            yield Horizontal(Label(self.label, classes="lbl"), self.widget, classes="field")
        yield from self.between()
        yield self.message

    def between(self) -> Iterator[Widget]:
        """What goes between the input and its message (the procedure picker's list)."""
        return iter(())

    def say(self, text: str, tone: str = ERROR) -> None:
        """Show ``text`` under the field in ``tone``; an empty text clears the line."""
        self.message.remove_class(*TONES)
        self.message.add_class(tone)
        self.message.update(text)

    def show(self, problem: FieldError | DomainError | Msg) -> None:
        """Show what is wrong with this field, as an error."""
        self.say(say(problem.msg if isinstance(problem, FieldError) else problem))

    def clear(self, errors_only: bool = False) -> None:
        """Empty the message line; with ``errors_only``, a reminder or a note stays."""
        if not errors_only or self.in_error:
            self.message.update("")

    @property
    def in_error(self) -> bool:
        return self.message.has_class(ERROR) and self.message.display

    def focus_input(self) -> None:
        self.widget.focus()


def fields_in(root: DOMNode) -> dict[str, FormField]:
    """The form fields under ``root`` by their key, in the order they are on the form."""
    return {f.key: f for f in root.query(FormField)}


def place_errors(
    root: DOMNode, errors: Iterable[FieldError], *, focus: bool = True
) -> list[FieldError]:
    """Show each error under its field (the first error of a field wins), put the cursor on
    the first field at fault on the form; return the errors no field under ``root`` owns."""
    fields = fields_in(root)
    unplaced: list[FieldError] = []
    at_fault: set[str] = set()
    for error in errors:
        field = fields.get(error.field)
        if field is None:
            unplaced.append(error)
        elif error.field not in at_fault:
            at_fault.add(error.field)
            field.show(error)
    if focus:
        first = next((f for key, f in fields.items() if key in at_fault), None)
        if first is not None:
            first.focus_input()
    return unplaced


def clear_errors(root: DOMNode) -> None:
    """Empty every error line under ``root``; reminders and notes stay."""
    for field in root.query(FormField):
        field.clear(errors_only=True)
