"""First run: the IT person gives the office's agency code and name, the counter, and the
centre's address and token (empty: standalone), tests the connection, and saves.

Shown before sign-in when the office is still the example one (``needs_setup``), in its own
small app (:class:`SetupApp`): the counter's services are built only after the settings are
written, from them, so nothing runs with the example office.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from counter_tui.domain.codes import EXAMPLE_AGENCY
from counter_tui.ui.i18n import say, set_language, tr
from counter_tui.ui.screens.base import cursor_to_end, in_words
from counter_tui.ui.typeahead import TypesAhead
from counter_tui.ui.widgets.footer import CounterFooter
from counter_tui.usecases.setup import (
    UNCONFIGURED_NAME,
    ConnectionCheck,
    Reach,
    Settings,
    SetupForm,
    check_connection,
    save_setup,
)

FIELDS = ("office", "office_name", "counter", "slot", "central_url", "central_token")


class SetupScreen(Screen[Settings | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "setup_save", id="setup_save"),
        Binding("f9", "test_connection", "setup_test", id="setup_test"),
        Binding("escape", "leave", "setup_quit", id="setup_quit"),
    ]

    def __init__(self, settings: Settings, path: Path) -> None:
        super().__init__()
        self.base = settings
        self.path = path
        self.last_check: ConnectionCheck | None = None

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        return in_words(super().active_bindings)

    def on_descendant_focus(self, event) -> None:
        cursor_to_end(event)

    def compose(self) -> ComposeResult:
        s = self.base
        labels = {
            "office": tr(
                "Mã định danh điện tử của cơ quan (vd 000.00.00.H56)",
                "Office's electronic agency code (e.g. 000.00.00.H56)",
            ),
            "office_name": tr("Tên cơ quan (in trên giấy)", "Office name (printed on slips)"),
            "counter": tr("Tên quầy", "Counter name"),
            "slot": tr("Số quầy (1-99)", "Counter slot (1-99)"),
            "central_url": tr(
                "Địa chỉ trung tâm (để trống: quầy độc lập)",
                "Centre address (empty: standalone)",
            ),
            "central_token": tr("Khóa truy cập của quầy", "Counter token"),
        }
        values = {
            "office": "" if s.office == EXAMPLE_AGENCY else s.office,
            "office_name": "" if s.office_name == UNCONFIGURED_NAME else s.office_name,
            "counter": s.counter,
            "slot": str(s.slot),
            "central_url": s.central_url,
            "central_token": s.central_token,
        }
        with VerticalScroll():
            yield Static(
                tr(
                    f"Cấu hình quầy lần đầu. Tệp cấu hình: {self.path}",
                    f"First-run setup of this counter. Settings file: {self.path}",
                ),
                id="setup_title",
                markup=False,
            )
            for name in FIELDS:
                yield Label(labels[name], classes="lbl")
                yield Input(
                    values[name],
                    id=name,
                    password=name == "central_token",
                    select_on_focus=False,
                )
                yield Static("", id=f"{name}_msg", markup=False)
            yield Static("", id="setup_status", markup=False)
        yield CounterFooter()

    def on_mount(self) -> None:
        self.query_one("#office", Input).focus()

    def form(self) -> SetupForm:
        v = {name: self.query_one(f"#{name}", Input).value for name in FIELDS}
        return SetupForm(**v)

    def _show(self, errors: dict[str, object]) -> None:
        for name in FIELDS:
            msg = errors.get(name)
            self.query_one(f"#{name}_msg", Static).update(
                "⚠ " + say(msg) if msg is not None else ""  # type: ignore[arg-type]
            )

    def action_save(self) -> None:
        out = save_setup(self.form(), self.path)
        if isinstance(out, dict):
            self._show(dict(out))
            first = next((n for n in FIELDS if n in out), None)
            status = self.query_one("#setup_status", Static)
            general = out.get("")
            status.update(
                "⚠ " + say(general)
                if general is not None
                else tr("Chưa lưu: sửa các ô có ⚠.", "Not saved: fix the fields marked ⚠.")
            )
            if first:
                self.query_one(f"#{first}", Input).focus()
            return
        self._show({})
        self.dismiss(out)

    def action_test_connection(self) -> None:
        self.query_one("#setup_status", Static).update(
            tr("Đang thử kết nối trung tâm…", "Testing the connection to the centre…")
        )
        self._check(self.form())

    @work(thread=True, exclusive=True, group="setup_test")
    def _check(self, form: SetupForm) -> None:
        result = check_connection(form, self.base)
        self.app.call_from_thread(self._checked, result)

    def _checked(self, result: ConnectionCheck) -> None:
        self.last_check = result
        mark = "✓ " if result.reach is Reach.REACHED else "⚠ "
        self.query_one("#setup_status", Static).update(mark + say(result.msg))

    def action_leave(self) -> None:
        self.dismiss(None)


class SetupApp(TypesAhead, App[Settings | None]):
    """The setup screen on its own; returns the settings written, or None (Esc)."""

    TITLE = "counter-tui"
    CSS_PATH = Path(__file__).parent.parent / "app.tcss"
    BINDINGS = [Binding("ctrl+q", "quit", "quit", id="quit")]

    def __init__(self, settings: Settings, path: Path) -> None:
        set_language(settings.language)
        super().__init__()
        self.start_typeahead()
        self.base = settings
        self.path = path

    def on_load(self) -> None:
        set_language(self.base.language)

    def on_mount(self) -> None:
        self.push_screen(SetupScreen(self.base, self.path), self.exit)
