"""The counter app: screens per flow (F2-F6), the status bar, help, the command palette.

Keys are defined once (``BINDINGS`` with ids) and feed the footer, the F1 help
and the command palette; a counter remaps them by id in its settings
(``[keys]``). Startup never waits for the network: the cache is shown first
and the sync engine runs in its own thread. It does not wait for the cache either
(issue 16.3): the lookup screen is drawn and takes typing while the store opens in
a thread (``usecases.services.Opening``); the lookup answers what was typed as soon
as the store is open, and F2-F6 wait for it (saying so), so nothing is written before.
What happens in those threads (the store opened, a sync cycle ended, a scan sent)
reaches the screens as Textual messages (``ui/messages.py``) handled with ``@on``; the
connection itself only through its use case (``services.link``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message

from counter_tui.domain.text import matches_words, tokens
from counter_tui.ui.i18n import language, say, set_language, t, tr
from counter_tui.ui.messages import ConnectionChanged, StoreFailed, StoreOpened, StoreReady
from counter_tui.ui.screens.base import CounterScreen
from counter_tui.ui.screens.lookup import LookupScreen
from counter_tui.ui.typeahead import TypesAhead
from counter_tui.ui.widgets.status_bar import StatusBar
from counter_tui.usecases.services import Opening, Services

if TYPE_CHECKING:
    from textual.screen import Screen

    from counter_tui.domain.dossier import Dossier
    from counter_tui.usecases.auth import Clerk
    from counter_tui.usecases.connection import Changed

OPENING_WORDS = ("Đang mở bộ đệm của quầy…", "Opening the counter's cache…")


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


# The other flows' screens are imported when first shown (or warmed in a thread once the
# store is open), not before the first screen: they bring the slips, the report, the store.
def _receive() -> Screen[None]:
    from counter_tui.ui.screens.receive import ReceiveScreen

    return ReceiveScreen()


def _hand_over() -> Screen[None]:
    from counter_tui.ui.screens.hand_over import HandOverScreen

    return HandOverScreen()


def _sync() -> Screen[None]:
    from counter_tui.ui.screens.sync import SyncScreen

    return SyncScreen()


def _report() -> Screen[None]:
    from counter_tui.ui.screens.report import ReportScreen

    return ReportScreen()


def _warm_screens() -> None:
    import counter_tui.ui.screens.dossier
    import counter_tui.ui.screens.hand_over
    import counter_tui.ui.screens.help
    import counter_tui.ui.screens.receive
    import counter_tui.ui.screens.report
    import counter_tui.ui.screens.sync  # noqa: F401


class CounterApp(TypesAhead, App[None]):
    TITLE = "counter-tui"
    CSS_PATH = Path(__file__).parent / "app.tcss"
    MODES = {
        "lookup": LookupScreen,
        "receive": _receive,
        "hand_over": _hand_over,
        "sync": _sync,
        "report": _report,
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

    def __init__(self, services: Services | Opening) -> None:
        opening = services if isinstance(services, Opening) else Opening.of(services)
        self.opening = opening
        self.settings = opening.settings
        # The language is chosen here, once; binding descriptions are word ids put into
        # words when drawn (screens.base.in_words), so nothing fixed it at import.
        set_language(self.settings.language)
        super().__init__()
        self.taken = False  # the opened services were wired in (_take_opening)
        self.painted = False
        self.mode_after_open: str | None = None  # F2-F6 pressed while the store was opening
        self.last_saved: Dossier | None = None
        self.pending_hand_over: str | None = None
        self.locked = False
        self.signed_in = False
        self.last_input = time.monotonic()
        self._unwatch: Callable[[], None] | None = None  # ends word of connection changes
        self.start_typeahead()

    # --- startup --------------------------------------------------------------------------

    @property
    def services(self) -> Services:
        """The use cases; only once the store is open (``store_is_open``)."""
        services = self.opening.services
        if services is None:
            raise RuntimeError("the store is not open yet")
        return services

    @property
    def store_is_open(self) -> bool:
        return self.opening.services is not None

    def on_load(self) -> None:
        # Again as the app starts running, before any screen is composed: the language
        # is process-wide, and this app's settings decide it for as long as it runs.
        set_language(self.settings.language)

    def on_mount(self) -> None:
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        self.set_interval(1.0, self.refresh_status)
        if self.opening.services is not None:
            sign_in = self.opening.services.signin is not None
        else:
            sign_in = self.settings.sign_in
        if sign_in:
            self.set_interval(5.0, self.lock_if_idle)
            self.show_sign_in()
        if self.opening.done.is_set():
            self._take_opening()
        self.call_after_refresh(self.refresh_status)

    def on_ready(self) -> None:
        self.painted = True
        if self.taken and self.store_is_open:
            self.services.desk.start_indexing()
        # Opened after the first paint: the thread would compete with it for the interpreter.
        self.opening.start(lambda: self.post_message(StoreOpened()))

    @on(StoreOpened)
    def _store_opened(self) -> None:
        self._take_opening()

    def _take_opening(self) -> None:
        """Wire in the opened services (once): notices, the sync engine, the screens."""
        if self.taken or not self.opening.done.is_set():
            return
        self.taken = True
        if self.opening.error is not None:
            self.mode_after_open = None
            words = say(self.opening.error)
            self.notify(words, severity="error", timeout=24 * 3600, markup=False)
            self._tell_screens(lambda: StoreFailed(words))
            self.refresh_status()
            return
        services = self.services
        for notice in services.desk.notices():
            self.notify(say(notice), severity="warning", timeout=30, markup=False)
        # Before the engines start, so their first change is heard too.
        self._unwatch = services.link.watch(self._connection_changed)
        services.start_background()
        # Warm the holiday tables off the UI thread, before the first due date is needed.
        calendar = services.desk.calendar
        today = services.clock().date()
        self.run_worker(lambda: calendar.is_working_day(today), thread=True, group="warm")
        self.run_worker(_warm_screens, thread=True, group="warm")
        if self.painted:
            services.desk.start_indexing()
        self._tell_screens(StoreReady)
        self.refresh_status()
        if self.mode_after_open is not None:
            self.call_later(self.action_mode, self.mode_after_open)

    def _tell_screens(self, message: Callable[[], Message]) -> None:
        """Post a fresh ``message()`` to each screen of the current stack (the lookup may
        lie under the sign-in screen); a screen of another mode reads afresh when shown."""
        for screen in list(self.screen_stack):
            screen.post_message(message())

    def typing_held(self) -> bool:
        # F2-F6 pressed while the store opens: what is typed next is meant for that screen.
        return self.mode_after_open is not None

    def on_unmount(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        services = self.opening.services
        if services is not None:
            services.stop_background()

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
        from counter_tui.ui.screens.sign_in import SignInScreen

        self.push_screen(SignInScreen(locked_by), self._signed_in)

    def _signed_in(self, clerk: Clerk | None) -> None:
        if clerk is None:
            return
        self._take_opening()  # the check waited for the store in its thread
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
        if not self.store_is_open or self.services.signin is None:
            self.notify(
                tr("Đăng nhập đang tắt trong cấu hình.", "Sign-in is off in the settings."),
                severity="warning",
            )
            return
        self.services.signin.record("lock", self.services.desk.identity.clerk)
        self.show_sign_in(self.services.desk.identity.clerk)

    def lock_if_idle(self) -> None:
        minutes = self.settings.idle_lock_minutes
        if self.locked or not self.signed_in or minutes <= 0:
            return
        if time.monotonic() - self.last_input >= minutes * 60:
            self.action_lock()

    # --- word of the connection ----------------------------------------------------------

    def _connection_changed(self, what: Changed) -> None:
        """From whichever thread changed it: handled on the app's thread (below)."""
        with contextlib.suppress(RuntimeError):  # the app's loop has closed: nothing to draw
            self.post_message(ConnectionChanged(what))

    @on(ConnectionChanged)
    def _redraw_connection(self, message: ConnectionChanged) -> None:
        self.refresh_status()
        what = message.what
        self._tell_screens(lambda: ConnectionChanged(what))

    # --- the status bar -------------------------------------------------------------------

    def status_line(self) -> tuple[list[str], str]:
        """The status bar's parts (identity, sync state in words, counts, clock) and state."""
        s = self.settings
        if not self.store_is_open:
            clerk = s.clerk if not self.locked else "—"
            failed = self.opening.error is not None
            words = tr("Không mở được bộ đệm", "Cache not opened") if failed else tr(*OPENING_WORDS)
            when = datetime.now().strftime("%H:%M %d/%m/%Y")
            return [f"{s.office_name} · {t('counter')} {s.counter} · {clerk}", words, when], (
                "error" if failed else "syncing"
            )
        st = self.services.link.status()
        clerk = self.services.desk.identity.clerk if not self.locked else "—"
        parts = [f"{s.office_name} · {t('counter')} {s.counter} · {clerk}"]
        warning = None
        if st is None:
            parts.append(t("standalone"))
            state = "standalone"
        else:
            state = st.state.value
            parts += [
                f"● {st.state.label(language())}",
                f"{t('pending')}: {st.pending} · {t('conflicts')}: {st.conflicts}",
            ]
            warning = st.warnings[0] if st.warnings else None
        parts.append(self.services.clock().strftime("%H:%M %d/%m/%Y"))
        if warning is not None:
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
        if mode != "lookup" and not self._store_for(mode):
            return
        await self.switch_mode(mode)
        from counter_tui.ui.screens.dossier import DossierScreen

        # F2/F3/F4 land on the flow's own screen, cursor in its first field: a dossier left
        # open under F3 was stale (it offered Ctrl+G for a dossier already handed over).
        while len(self.screen_stack) > 1 and isinstance(self.screen, DossierScreen):
            await self.pop_screen()
        if isinstance(self.screen, CounterScreen):
            self.screen.land()
        self.mode_after_open = None  # the keys typed behind the F-key go to this screen now
        self.refresh_status()

    def _store_for(self, mode: str) -> bool:
        """Whether ``mode``'s screen can be shown now. The flows read and write the store:
        before it is open the screen is shown once it is (said so), never before."""
        self._take_opening()
        if self.opening.error is not None:
            self.notify(say(self.opening.error), severity="error", timeout=10, markup=False)
            return False
        if self.opening.services is None or not self.taken:
            self.mode_after_open = mode
            self.notify(tr(*OPENING_WORDS), timeout=5)
            return False
        return True

    async def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif self.current_mode != "lookup":
            self.switch_mode("lookup")
        self.refresh_status()

    def action_help(self) -> None:
        from counter_tui.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def open_hand_over(self, code: str) -> None:
        from counter_tui.ui.screens.hand_over import HandOverScreen

        # The hand-over screen may not exist yet: it picks the code up when shown.
        self.pending_hand_over = code
        self.switch_mode("hand_over")
        if isinstance(self.screen, HandOverScreen) and self.screen.is_mounted:
            self.screen.take_pending()


def build_app(services: Services | Opening) -> CounterApp:
    """The one factory the CLI, the demo and the tests use (services open already, or
    an :class:`Opening` the app starts once its first screen is drawn)."""
    return CounterApp(services)
