"""F3 Lookup: one field for code, citizen ID, phone or name; results as you type, one page at a time.

The search runs in a thread worker (the store answers in milliseconds, but the
event loop never waits on it); a newer keystroke cancels the older search.
When the cache has nothing and the counter is online, the centre is asked.

It is the first screen, drawn while the store is still opening (issue 16.3): what
the clerk types meanwhile stays in the field, and is searched (Enter included) as
soon as the store is open (the app's ``StoreReady``); a store that cannot be opened
is said here in words (``StoreFailed``).
"""

from __future__ import annotations

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Static

from counter_tui.domain.messages import Msg
from counter_tui.domain.summary import Summary
from counter_tui.ui.i18n import language, say, t, tr
from counter_tui.ui.messages import StoreFailed, StoreReady
from counter_tui.ui.screens.base import CounterScreen, add_plain_row
from counter_tui.ui.widgets.footer import CounterFooter
from counter_tui.ui.widgets.status_bar import StatusBar
from counter_tui.usecases.centre import Answer

PAGE = 20
LOADED = 200  # fetched at first; paging further fetches more
# Not "not found": during an outage the dossier may have been received at another counter.
OFFLINE_NOTE = Msg(
    "Không có trong bộ đệm của quầy này, và không hỏi được trung tâm (mất kết nối): hồ sơ "
    "có thể đã được tiếp nhận ở quầy khác. Thử lại khi có kết nối.",
    "Not in this counter's cache, and the centre could not be asked (offline): the dossier "
    "may have been received at another counter. Try again when connected.",
)
OPENING_NOTE = (
    "Đang mở bộ đệm của quầy… cứ gõ, kết quả hiện ngay khi mở xong.",
    "Opening the counter's cache… keep typing, results show as soon as it is open.",
)
FILTERS = {
    "all": ("Tất cả", "All"),
    "due_today": ("Hạn hôm nay", "Due today"),
    "overdue": ("Quá hạn", "Overdue"),
    "ready": ("Chờ trả kết quả", "Ready to hand over"),
    "awaiting_supplement": ("Chờ bổ sung", "Awaiting supplement"),
}


class LookupScreen(CounterScreen):
    TITLE = "title_lookup"
    AUTO_FOCUS = "#query"
    # Not ctrl+a/e/u/w/k/d: the search field uses those for editing.
    BINDINGS = [
        Binding("ctrl+l", "filter('all')", "filter_all", id="filter_all"),
        Binding("ctrl+t", "filter('due_today')", "filter_today", id="filter_today"),
        Binding("ctrl+o", "filter('overdue')", "filter_overdue", id="filter_overdue"),
        Binding("ctrl+f", "filter('ready')", "filter_ready", id="filter_ready"),
        Binding(
            "ctrl+b",
            "filter('awaiting_supplement')",
            "filter_supplement",
            id="filter_supplement",
        ),
        Binding("pagedown", "page(1)", "next_page", id="next_page"),
        Binding("pageup", "page(-1)", "prev_page", id="prev_page"),
        Binding("down", "focus_results", show=False, id="to_results"),
    ]
    CSS_PATH = "lookup.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.filter = "all"
        self.page = 0
        self.found: list[Summary] = []
        self.total = 0
        self.want = LOADED
        self.note = ""
        self.generation = 0  # a thread worker cannot be stopped: late answers are dropped
        self.enter_waiting = False  # Enter pressed before the store was open
        self.searched: tuple[str, str] = ("", "all")  # the last search asked for
        self.shown: tuple[str, str] | None = None  # the search whose results are on screen

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Input(
            placeholder=tr(
                "Mã hồ sơ, số CCCD, số điện thoại hoặc họ tên (không cần dấu)",
                "Dossier code, citizen ID, phone or name (diacritics optional)",
            ),
            id="query",
            max_length=100,
        )
        with Horizontal(id="bar"):
            yield Label("", id="filter_label")
        yield Static("", id="lookup_msg", markup=False)
        yield DataTable(id="results", cursor_type="row")
        yield CounterFooter()

    def land(self) -> None:
        """Shown by its F-key: the cursor goes to the search field."""
        self.query_one("#query", Input).focus()

    def on_screen_resume(self) -> None:
        # Back from a dossier (Esc) or another flow: show the dossiers as they are now,
        # and give the keyboard back to the search field (a focused table took no typing).
        if not self.is_mounted or not self.query("#results"):
            return
        if self.focused is self.query_one("#results", DataTable) and self.found:
            self.query_one("#query", Input).focus()
        self._start(self.query_one("#query", Input).value, self.filter)

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        table.add_columns(
            tr("Mã hồ sơ", "Code"),
            tr("Chủ hồ sơ", "Owner"),
            tr("Số CCCD", "Citizen ID"),
            tr("Thủ tục", "Procedure"),
            tr("Trạng thái", "Status"),
            tr("Hẹn trả", "Due"),
        )
        self.action_filter("all")

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        self.page = 0
        self.want = LOADED
        self._start(event.value, self.filter)

    @on(StoreReady)
    def _store_ready(self) -> None:
        """The store is open: answer what was typed while it opened."""
        if not self.is_mounted:
            return  # it searches when mounted
        self._start(self.query_one("#query", Input).value, self.filter)
        if self.enter_waiting:
            self.enter_waiting = False
            self._enter(self.query_one("#query", Input).value)

    @on(StoreFailed)
    def _store_failed(self, message: StoreFailed) -> None:
        if self.is_mounted:
            self.query_one("#lookup_msg", Static).update(message.words)

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        if not self.counter_app.store_is_open:
            self.enter_waiting = self.counter_app.opening.error is None
            return
        self._enter(event.value)

    def _enter(self, value: str) -> None:
        """Enter on one result opens it: a slip's QR (the code, then Enter) opens the
        dossier at once; with more results the cursor goes to the list."""
        self.search(value, self.filter, self.generation)
        if len(self.found) == 1:
            from counter_tui.ui.screens.dossier import DossierScreen

            self.app.push_screen(DossierScreen(self.found[0].uid))
        elif self.found:
            self.action_focus_results()

    def _start(self, query: str, filter_name: str) -> None:
        self.generation += 1
        self.search(query, filter_name, self.generation)

    def action_filter(self, name: str) -> None:
        self.filter = name
        self.page = 0
        self.want = LOADED
        self.query_one("#filter_label", Label).update(
            f"{tr('Lọc', 'Filter')}: [b]{tr(*FILTERS[name])}[/b]  ({escape(self._filter_keys())})"
        )
        self._start(self.query_one("#query", Input).value, name)

    def _filter_keys(self) -> str:
        # From the bindings (and any [keys] remapping), so the hint cannot drift from the
        # keys; it once read "T" where the key is Ctrl+T, and typing T only searched "t".
        return " · ".join(
            f"{self.key_label(b)} {t(b.id).lower()}"
            for b in self.BINDINGS
            if isinstance(b, Binding) and b.id and b.id.startswith("filter_")
        )

    def _pages(self) -> int:
        # A name search stops counting at 1000 matches ("1000+"): those are the pages.
        return max(1, (max(self.total, len(self.found)) + PAGE - 1) // PAGE)

    def action_page(self, delta: int) -> None:
        if not self.counter_app.store_is_open:
            return
        self.page = max(0, min(self._pages() - 1, self.page + delta))
        end = (self.page + 1) * PAGE
        if end > len(self.found) and len(self.found) < self.total:
            # Paging past what was fetched: fetch more (from the cache, milliseconds).
            self.want = max(self.want * 2, end)
            query = self.query_one("#query", Input).value
            self.found, self.total = self._local(query, self.filter)
        self._render_page()

    def action_focus_results(self) -> None:
        self.query_one("#results", DataTable).focus()

    def search(self, query: str, filter_name: str, generation: int = 0) -> None:
        """Search the cache inline (in-memory indexes: milliseconds, measured in
        bench/ui.py); only a question to the central service goes to a thread."""
        app = self.counter_app
        self.searched = (query.strip(), filter_name)
        if not app.store_is_open:
            error = app.opening.error
            note = say(error) if error else tr(*OPENING_NOTE)
            self._show([], 0, note, generation)
            return
        found, total = self._local(query, filter_name)
        centre = self.services.centre
        note = ""
        if not found and query.strip() and centre.configured():
            if not centre.can_answer(query):
                # Names and phones are searched in this counter's cache only.
                note = tr(
                    "Không có trong bộ đệm của quầy này; trung tâm chỉ tra được theo mã hồ sơ "
                    "hoặc số CCCD 12 số.",
                    "Not in this counter's cache; the centre can only be asked by dossier code "
                    "or 12-digit citizen ID.",
                )
            elif centre.online():
                self._remote(query, filter_name, generation)
                return
            else:
                note = say(OFFLINE_NOTE)
        self._show(found, total, note, generation)

    def _local(self, query: str, filter_name: str) -> tuple[list[Summary], int]:
        desk = self.services.desk
        if query.strip():
            found, total = desk.find(query, limit=self.want)
        elif filter_name == "all":
            # The most recent first, as many as the pages seen so far need; the count is true.
            found = desk.recent(self.want)
            total = desk.dossier_count() if found else 0
        else:
            found, total = [], 0
        if filter_name != "all":
            lists = desk.open_lists()
            wanted = {s.uid for s in lists[filter_name]}
            found = [s for s in found if s.uid in wanted] if query.strip() else lists[filter_name]
            total = len(found)
        return found, total

    @work(thread=True, exclusive=True, group="lookup_remote")
    def _remote(self, query: str, filter_name: str, generation: int) -> None:
        found, total, note = self._ask_centre(query)
        if filter_name != "all" and found:
            found, total = self._local(query, filter_name)
        self.app.call_from_thread(self._show, found, total, note, generation)

    def _ask_centre(self, query: str) -> tuple[list[Summary], int, str]:
        answer = self.services.centre.ask(query)
        if answer is Answer.OFFLINE:
            return [], 0, say(OFFLINE_NOTE)
        if answer is Answer.NOT_FOUND:
            return (
                [],
                0,
                tr(
                    "Không có trong bộ đệm, trung tâm cũng không có.",
                    "Not in the cache, nor at the centre.",
                ),
            )
        found, total = self.services.desk.find(query, limit=200)
        return found, total, tr("Lấy từ hệ thống trung tâm.", "Fetched from the central service.")

    def _show(self, found: list[Summary], total: int, note: str, generation: int = 0) -> None:
        if generation != self.generation:
            return
        self.found, self.total, self.note = found, total, note
        # Other results than those on screen start at their first row: a cursor left on the
        # previous search's row 2 once made Enter open another citizen's dossier.
        fresh = self.searched != self.shown
        self.shown = self.searched
        if fresh:
            self.page = 0
        self._render_page(keep_place=not fresh)

    def _render_page(self, keep_place: bool = True) -> None:
        table = self.query_one("#results", DataTable)
        row = table.cursor_row if keep_place else 0
        table.clear()
        pages = self._pages()
        self.page = min(self.page, pages - 1)
        start = self.page * PAGE
        for s in self.found[start : start + PAGE]:
            add_plain_row(
                table,
                s.code,
                s.name,
                s.citizen_id,
                s.procedure_code,
                s.state.label(language()),
                f"{s.due:%d/%m/%Y}" if s.due else "",
                key=s.uid,
            )
        if 0 < row < table.row_count:
            table.move_cursor(row=row)  # a refresh keeps the clerk's place
        more = "+" if self.total >= 1000 else ""
        if self.found:
            count = tr(
                f"{self.total}{more} hồ sơ · trang {self.page + 1}/{pages} (PgUp/PgDn)",
                f"{self.total}{more} dossiers · page {self.page + 1}/{pages} (PgUp/PgDn)",
            )
        elif self.note:
            count = ""  # the note says what was and was not searched
        elif self.query_one("#query", Input).value.strip() or self.filter != "all":
            count = tr("Không tìm thấy hồ sơ nào.", "No dossier found.")
        else:
            count = ""
        self.query_one("#lookup_msg", Static).update(" ".join(x for x in (self.note, count) if x))

    @on(DataTable.RowSelected, "#results")
    def _open(self, event: DataTable.RowSelected) -> None:
        from counter_tui.ui.screens.dossier import DossierScreen

        if event.row_key.value:
            self.app.push_screen(DossierScreen(event.row_key.value))
