"""Sign-in and the lock screen: a clerk's user name and PIN, checked offline.

The same screen serves at start and as the lock (F12, or idle): locked, it
shows who was signed in; that clerk unlocks with their PIN, or another clerk
signs in and every later action is theirs. It cannot be dismissed with Esc,
and while it is up the app's own keys (F2-F6, the palette) do nothing.
"""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from counter_tui.ui.i18n import say, tr
from counter_tui.ui.screens.base import CounterModal, counter_app_of
from counter_tui.usecases.auth import NO_ACCOUNTS, Clerk, SignInError


class SignInScreen(CounterModal[Clerk]):
    BINDINGS = [Binding("ctrl+q", "app.quit", "quit", id="signin_quit")]
    CSS_PATH = "sign_in.tcss"

    def __init__(self, locked_by: str = "") -> None:
        super().__init__()
        self.locked_by = locked_by

    def compose(self) -> ComposeResult:
        s = counter_app_of(self).settings  # drawn while the store may still be opening
        with Vertical():
            if self.locked_by:
                yield Label(
                    tr(
                        f"[b]Màn hình đã khóa[/b] — {escape(self.locked_by)} đang đăng nhập",
                        f"[b]Screen locked[/b] — {escape(self.locked_by)} is signed in",
                    )
                )
            else:
                yield Label(tr("[b]Đăng nhập[/b]", "[b]Sign in[/b]"))
            yield Static(f"{s.office_name} · {tr('Quầy', 'Counter')} {s.counter}", markup=False)
            yield Label(tr("Tên đăng nhập", "User name"))
            yield Input(self.locked_by, id="si_user", max_length=64)
            yield Label(tr("Mã PIN", "PIN"))
            yield Input(password=True, id="si_pin", max_length=128)
            yield Static("", id="si_msg", markup=False)
            yield Static("", id="si_hint", markup=False)
            yield Static(  # plain: "[Enter]" would be taken for a markup tag
                tr(
                    "[Enter] Tiếp tục / đăng nhập    [Ctrl+Q] Thoát",
                    "[Enter] Next / sign in    [Ctrl+Q] Quit",
                ),
                id="si_keys",
                markup=False,
            )

    def on_mount(self) -> None:
        # Always the user name first, the locked-by name selected: the clerk who locked
        # presses Enter and types the PIN; another clerk's typing replaces the name (it
        # once went into the PIN box and counted as a wrong PIN for the first clerk).
        self.query_one("#si_user", Input).focus()
        self._show_hint()
        # The accounts come with the first sync: the hint follows without a restart.
        self.set_interval(2.0, self._show_hint)

    def _no_accounts_words(self) -> str:
        """Why nobody can sign in yet, and what to do: a dead centre is not a wrong PIN."""
        services = counter_app_of(self).services
        centre = services.centre
        if not centre.configured():
            return tr(
                "Máy này chưa có tài khoản nào: quản trị viên thêm bằng lệnh "
                "counter-tui clerk add.",
                "No accounts on this PC yet: the operator adds one with counter-tui clerk add.",
            )
        problem = centre.problem()
        url = services.settings.central_url
        if problem is None:
            return tr(
                "Máy này chưa có tài khoản nào: đang lấy danh sách cán bộ từ trung tâm…",
                "No accounts on this PC yet: fetching the clerk list from the centre…",
            )
        return tr(
            f"Máy này chưa có tài khoản nào và chưa lấy được danh sách cán bộ từ trung tâm "
            f"{url}: {say(problem)}. Kiểm tra mạng, [central] url và [central] token trong "
            "tệp cấu hình, hoặc gọi quản trị viên.",
            f"No accounts on this PC yet, and the clerk list could not be fetched from the "
            f"centre at {url}: {say(problem)}. Check the network, [central] url and "
            "[central] token in the settings file, or call the operator.",
        )

    def _show_hint(self) -> None:
        app = counter_app_of(self)
        hint = self.query_one("#si_hint", Static)
        if not app.store_is_open:
            error = app.opening.error
            hint.update(
                say(error) if error else tr("Đang mở bộ đệm của quầy…", "Opening the cache…")
            )
            return
        signin = app.services.signin
        hint.update(self._no_accounts_words() if signin and not signin.accounts() else "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "si_user" and not self.query_one("#si_pin", Input).value:
            self.query_one("#si_pin", Input).focus()
            return
        # Enter on either field with both filled signs in (the PIN may have been typed first).
        user = self.query_one("#si_user", Input).value
        pin = self.query_one("#si_pin", Input).value
        self.query_one("#si_msg", Static).update(tr("Đang kiểm tra…", "Checking…"))
        self._check(user, pin)

    # argon2 takes about a tenth of a second by design: off the UI thread.
    @work(thread=True, exclusive=True, group="signin")
    def _check(self, user: str, pin: str) -> None:
        app = counter_app_of(self)
        services = app.opening.wait()  # typed while the store was opening: checked once open
        if services is None:
            if app.opening.error is not None:  # else the app is closing
                self.app.call_from_thread(self._refused, say(app.opening.error))
            return
        signin = services.signin
        if signin is None:  # the screen is shown only when sign-in is on
            return
        try:
            clerk = signin.sign_in(user, pin)
        except SignInError as exc:
            if exc.code == NO_ACCOUNTS:  # not a wrong PIN: say why nobody can sign in yet
                words = tr(
                    "Chưa đăng nhập được: máy chưa có tài khoản (không phải sai mã PIN).",
                    "Not signed in: no accounts on this PC yet (not a wrong PIN).",
                )
                self.app.call_from_thread(self._refused, words)
                self.app.call_from_thread(self._show_hint)
                return
            self.app.call_from_thread(self._refused, say(exc))
            return
        self.app.call_from_thread(self.dismiss, clerk)

    def _refused(self, text: str) -> None:
        self.query_one("#si_msg", Static).update(text)
        pin = self.query_one("#si_pin", Input)
        pin.value = ""
        pin.focus()
