"""The counter app: screens per flow (F2-F6), the status bar, help, the command palette.

Keys are defined once (``BINDINGS`` with ids) and feed the footer, the F1 help
and the command palette; a counter remaps them by id in its settings
(``[keys]``). Startup never waits for the network: the cache is shown first
and the sync engine runs in its own thread.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from counter_tui.domain.dossier import Dossier
from counter_tui.domain.text import matches_words, tokens
from counter_tui.ui.i18n import language, say, set_language, t, tr
from counter_tui.ui.screens.dossier import DossierScreen
from counter_tui.ui.screens.hand_over import HandOverScreen
from counter_tui.ui.screens.help import HelpScreen
from counter_tui.ui.screens.lookup import LookupScreen
from counter_tui.ui.screens.receive import ReceiveScreen
from counter_tui.ui.screens.report import ReportScreen
from counter_tui.ui.screens.sign_in import SignInScreen
from counter_tui.ui.screens.sync import SyncScreen
from counter_tui.ui.typeahead import TypesAhead
from counter_tui.ui.widgets.status_bar import StatusBar
from counter_tui.usecases.auth import Clerk
from counter_tui.usecases.services import Services


class ScreenCommands(Provider):
    """Every binding active on the current screen (the app's too), found by folded words:
    "tiep nhan" finds "Tiếp nhận", as every search in the app does."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.app
        out: list[tuple[str, str, Callable[[], object]]] = []
        seen = set()
        for key, active in self.screen.active_bindings.items():
            b = active.binding
            if not b.description or not active.enabled or (b.id or b.action) in seen:
                continue
            seen.add(b.id or b.action)
            label = f"{b.description} ({app.get_key_display(b)})"
            run = partial(app.run_action, b.action, active.node)
            out.append((label, b.id or key, run))
        return out

    async def discover(self) -> Hits:
        for label, help_text, run in self._commands():
            yield DiscoveryHit(label, run, help=help_text)

    async def search(self, query: str) -> Hits:
        words = tokens(query)
        for label, help_text, run in self._commands():
            target = tokens(label) + tokens(help_text.replace("_", " "))
            if words and matches_words(words, target):
                yield Hit(1.0 - len(label) / 1000, label, run, help=help_text)


class CounterApp(TypesAhead, App[None]):
    TITLE = "counter-tui"
    CSS_PATH = Path(__file__).parent / "app.tcss"
    MODES = {
        "lookup": LookupScreen,
        "receive": ReceiveScreen,
        "hand_over": HandOverScreen,
        "sync": SyncScreen,
        "report": ReportScreen,
    }
    DEFAULT_MODE = "lookup"
    COMMANDS = App.COMMANDS | {ScreenCommands}
    BINDINGS = [
        Binding("f1", "help", "help", id="help"),
        Binding("f2", "mode('receive')", "receive", id="receive"),
        Binding("f3", "mode('lookup')", "lookup", id="lookup"),
        Binding("f4", "mode('hand_over')", "hand_over", id="hand_over"),
        Binding("f5", "mode('sync')", "sync", id="sync"),
        Binding("f6", "mode('report')", "report", id="report"),
        Binding("f12", "lock", "lock", id="lock"),
        Binding("escape", "back", "back", show=False, id="back_home"),
        Binding("ctrl+q", "quit", "quit", id="quit"),
    ]

    def __init__(self, services: Services) -> None:
        # The language is chosen here, once; binding descriptions are word ids put into
        # words when drawn (screens.base.in_words), so nothing fixed it at import.
        set_language(services.settings.language)
        super().__init__()
        self.services = services
        self.last_saved: Dossier | None = None
        self.pending_hand_over: str | None = None
        self.locked = False
        self.signed_in = False
        self.last_input = time.monotonic()
        self.start_typeahead()

    # --- startup --------------------------------------------------------------------------

    def on_load(self) -> None:
        # Again as the app starts running, before any screen is composed: the language
        # is process-wide, and this app's settings decide it for as long as it runs.
        set_language(self.services.settings.language)

    def on_mount(self) -> None:
        if self.services.settings.keys:
            self.set_keymap(self.services.settings.keys)
        for notice in self.services.desk.notices():
            self.notify(say(notice), severity="warning", timeout=30, markup=False)
        sync = self.services.sync
        if sync is not None:
            sync.on_status = self._status_from_thread
            if self.services.start_sync:
                sync.start()
        self.set_interval(1.0, self.refresh_status)
        if self.services.signin is not None:
            self.set_interval(5.0, self.lock_if_idle)
            self.show_sign_in()
        # Warm the holiday tables off the UI thread, before the first due date is needed.
        calendar = self.services.desk.calendar
        today = self.services.clock().date()
        self.run_worker(lambda: calendar.is_working_day(today), thread=True, group="warm")
        self.call_after_refresh(self.refresh_status)

    def on_ready(self) -> None:
        self.services.desk.start_indexing()

    def on_unmount(self) -> None:
        if self.services.sync is not None:
            self.services.sync.on_status = None
            self.services.sync.stop()

    # --- sign-in and the lock -------------------------------------------------------------

    def note_input(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown) and not event.is_forwarded:
            self.last_input = time.monotonic()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While locked only quitting works: F2-F6 and the palette would reach past the lock.
        return not self.locked or action == "quit"

    def show_sign_in(self, locked_by: str = "") -> None:
        if self.locked:
            return
        self.locked = True
        self.push_screen(SignInScreen(locked_by), self._signed_in)

    def _signed_in(self, clerk: Clerk | None) -> None:
        if clerk is None:
            return
        signin = self.services.signin
        before = self.services.desk.identity.clerk
        if signin is not None and self.signed_in and before != clerk.username:
            signin.record("sign_out", before)  # another clerk took over the counter
        self.services.desk.sign_in(clerk.username, clerk.name)
        self.signed_in = True
        self.locked = False
        self.last_input = time.monotonic()
        self.refresh_status()

    def action_lock(self) -> None:
        if self.services.signin is None:
            self.notify(
                tr("Đăng nhập đang tắt trong cấu hình.", "Sign-in is off in the settings."),
                severity="warning",
            )
            return
        self.services.signin.record("lock", self.services.desk.identity.clerk)
        self.show_sign_in(self.services.desk.identity.clerk)

    def lock_if_idle(self) -> None:
        minutes = self.services.settings.idle_lock_minutes
        if self.locked or not self.signed_in or minutes <= 0:
            return
        if time.monotonic() - self.last_input >= minutes * 60:
            self.action_lock()

    def _status_from_thread(self, _status: object) -> None:
        with contextlib.suppress(RuntimeError):
            self.call_from_thread(self.refresh_status)

    # --- the status bar -------------------------------------------------------------------

    def status_line(self) -> tuple[list[str], str]:
        """The status bar's parts (identity, sync state in words, counts, clock) and state."""
        s = self.services.settings
        sync = self.services.sync
        clerk = self.services.desk.identity.clerk if not self.locked else "—"
        parts = [f"{s.office_name} · {t('counter')} {s.counter} · {clerk}"]
        warning = None
        if sync is None:
            parts.append(t("standalone"))
            state = "standalone"
        else:
            st = sync.status()
            state = st.state.value
            parts += [
                f"● {st.state.label(language())}",
                f"{t('pending')}: {st.pending} · {t('conflicts')}: {st.conflicts}",
            ]
            warning = st.warnings[0] if st.warnings else None
        parts.append(self.services.clock().strftime("%H:%M %d/%m/%Y"))
        if sync is not None and warning is not None:
            # Last: at 80 columns a long warning is cut, never the pending count before it.
            parts.append("⚠ " + say(warning))
        return parts, state

    def refresh_status(self) -> None:
        if not self.is_running or not self.screen_stack:
            return
        for bar in self.screen.query(StatusBar):
            bar.refresh()

    # --- navigation -----------------------------------------------------------------------

    async def action_mode(self, mode: str) -> None:
        await self.switch_mode(mode)
        # F2/F3/F4 land on the flow's own screen, cursor in its first field: a dossier left
        # open under F3 was stale (it offered Ctrl+G for a dossier already handed over).
        while len(self.screen_stack) > 1 and isinstance(self.screen, DossierScreen):
            await self.pop_screen()
        land = getattr(self.screen, "land", None)
        if callable(land):
            land()
        self.refresh_status()

    async def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif self.current_mode != "lookup":
            self.switch_mode("lookup")
        self.refresh_status()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def open_hand_over(self, code: str) -> None:
        # The hand-over screen may not exist yet: it picks the code up when shown.
        self.pending_hand_over = code
        self.switch_mode("hand_over")
        if isinstance(self.screen, HandOverScreen) and self.screen.is_mounted:
            self.screen.take_pending()


def build_app(services: Services) -> CounterApp:
    """The one factory the CLI, the demo and the tests use."""
    return CounterApp(services)
