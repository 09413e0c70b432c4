"""What every counter screen shares: the typed app, its services, the key labels."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual import events
from textual.binding import ActiveBinding, Binding
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Static

from counter_tui.ui.i18n import describe, tr

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from counter_tui.domain.dossier import Dossier
    from counter_tui.ui.app import CounterApp
    from counter_tui.usecases.services import Services


def counter_app_of(node: DOMNode) -> CounterApp:
    """The running :class:`CounterApp` (a screen or dialog is only ever mounted in one)."""
    from counter_tui.ui.app import CounterApp  # the app module imports the screens

    app = node.app
    if not isinstance(app, CounterApp):
        raise TypeError(f"{type(node).__name__} runs only inside CounterApp")
    return app


def in_words(active: dict[str, ActiveBinding]) -> dict[str, ActiveBinding]:
    """Active bindings with their descriptions (word ids) in the language chosen at start.

    Footer, F1 help and the command palette all read ``active_bindings``, so this is
    the one place a binding is put into words: at draw time, never at import.
    """
    words = {
        key: a._replace(binding=replace(a.binding, description=describe(a.binding.description)))
        for key, a in active.items()
    }
    # The F-keys first: a narrow footer (80 columns) cuts from the right, and the flows'
    # keys are the ones a clerk must always see; F1 help lists them first too.
    return dict(sorted(words.items(), key=lambda kv: _footer_rank(kv[0])))


FLOW_KEYS = ("f1", "f2", "f3", "f4", "f5", "f6", "f12")


def _footer_rank(key: str) -> int:
    """The app's flow keys first, then a screen's own F-keys (F9, F10), then the rest."""
    if key in FLOW_KEYS:
        return 0
    return 1 if key.startswith("f") and key[1:].isdigit() else 2


R = TypeVar("R")


def cursor_to_end(event: events.DescendantFocus) -> None:
    """A filled field entered with Tab gets the cursor at its end, so typing adds to it
    (fields that keep their text on focus: ``select_on_focus`` is off)."""
    widget = event.widget
    if isinstance(widget, Input) and not widget.select_on_focus:
        widget.cursor_position = len(widget.value)


class CounterModal(ModalScreen[R]):
    """A dialog over a counter screen: its keys are put into words like the screens'."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        return in_words(super().active_bindings)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        cursor_to_end(event)


class CounterScreen(Screen[None]):
    """A counter screen. Its ``TITLE`` is a word id of ``WORDS``, put into words when the
    screen is made (the language is chosen before any screen is)."""

    def __init__(self) -> None:
        super().__init__()
        if self.TITLE:
            self.title = describe(self.TITLE)

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        return in_words(super().active_bindings)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        cursor_to_end(event)

    def on_mount(self) -> None:
        # Compact: at 80 columns the F-keys (F1-F6, F12) then fit on the footer line.
        # (Textual calls each class's on_mount, so a screen's own on_mount adds to this.)
        for footer in self.query(Footer):
            footer.compact = True
            footer.show_command_palette = False  # Ctrl+P still opens it; F1 lists it

    @property
    def counter_app(self) -> CounterApp:
        return counter_app_of(self)

    @property
    def services(self) -> Services:
        return self.counter_app.services

    def land(self) -> None:
        """The clerk pressed this screen's F-key: a flow's screen puts the cursor in its
        first field (each overrides this); a screen without a first field does nothing."""

    def show_saved_slip(self, dossier: Dossier, form: str, then: Callable[[], None]) -> None:
        """Show the slip of a dossier just saved, then ``then()``."""
        self.counter_app.last_saved = dossier
        self.show_slip_of_saved(
            dossier.code, lambda: self.services.paperwork.slip(form, dossier.uid), then
        )

    def show_slip_of_saved(
        self, code: str, make: Callable[[], Any], then: Callable[[], None] | None = None
    ) -> None:
        """Show the slip ``make()`` builds for a change already saved. The save is durable
        by now: if the slip cannot be made, say the dossier is saved and how to print it
        later, never that the save failed (the clerk would do it again)."""
        from counter_tui.ui.screens.dialogs import SlipScreen  # dialogs import this module

        def after() -> None:
            if then is not None:
                then()

        try:
            slip = make()
        except Exception:
            log.exception("slip of saved dossier %s could not be made", code)
            self.app.notify(
                tr(
                    f"Đã lưu hồ sơ {code}. Chưa lập được phiếu: in lại ở F3, mở hồ sơ, F10.",
                    f"Dossier {code} is saved. The slip could not be made: print it "
                    "from F3, open the dossier, F10.",
                ),
                severity="warning",
                timeout=20,
            )
            after()
            return
        if slip is None:
            after()
            return
        self.app.push_screen(SlipScreen(slip), lambda _: after())

    def key_label(self, binding: Binding) -> str:
        """The key a clerk presses for ``binding``, after any [keys] remapping: "Ctrl+T", "F10"."""
        remapped = self.counter_app.settings.keys.get(binding.id or "")  # before the store opens
        return key_words((remapped or binding.key).split(",")[0].strip())


class Note(Static):
    """A message line under a field: shown as typed (never markup), and taking no room
    while empty, so a form with no messages fits a small terminal."""

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(text, markup=False, **kwargs)
        self.display = bool(text)

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(content, layout=layout)
        self.display = bool(str(content))


def add_plain_row(table: DataTable[object], *cells: object, key: str | None = None) -> None:
    """Add a row whose cells are shown as typed: a name like "[b]" is text, not markup."""
    table.add_row(*(Text(str(c)) for c in cells), key=key)


def key_words(key: str) -> str:
    """A Textual key name as printed on a keyboard: "ctrl+t" is "Ctrl+T", "f10" is "F10"."""
    return "+".join(
        part.upper() if len(part) <= 3 else part.capitalize() for part in key.split("+")
    )
