"""F5 Sync: the engine's state, what waits to be sent, and every rejected operation with its reason.

It reads the connection through its use case (``services.link``) and redraws when told
of a change (``ConnectionChanged``), never on a timer: the one exception is a scan upload
rate still on show, which falls to zero with time alone.
"""

from __future__ import annotations

from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Label, Static

from counter_tui.domain.files import size_text
from counter_tui.ui.i18n import action_words, say, t, tr
from counter_tui.ui.messages import ConnectionChanged
from counter_tui.ui.screens.base import CounterScreen, add_plain_row
from counter_tui.ui.widgets.footer import CounterFooter
from counter_tui.ui.widgets.status_bar import StatusBar

WHAT_TO_DO = {
    "conflict": (
        "Trung tâm đã đổi hồ sơ trước: xem lịch sử hồ sơ, báo công dân, làm lại nếu cần.",
        "The centre changed the dossier first: read its history, tell the citizen, redo.",
    ),
    "rejected": (
        "Trung tâm không nhận thao tác: đọc lý do, sửa hồ sơ hoặc báo quản trị viên.",
        "The centre refused the step: read the reason, fix the dossier or call the operator.",
    ),
}
RESULTS = {"conflict": ("Xung đột", "Conflict"), "rejected": ("Bị từ chối", "Refused")}


class SyncScreen(CounterScreen):
    TITLE = "title_sync"
    BINDINGS = [
        Binding("ctrl+y", "sync_now", "sync_now", id="sync_now"),
        Binding("ctrl+k", "handled", "mark_handled", id="mark_handled"),
    ]
    CSS_PATH = "sync.tcss"

    def __init__(self) -> None:
        super().__init__()
        self._rate_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(can_focus=False):
            yield Static("", id="sync_state", markup=False)
            yield Label(
                tr(
                    "[b]Thao tác bị trung tâm từ chối hoặc xung đột (cần xử lý)[/b]",
                    "[b]Operations the centre rejected or found in conflict (act on each)[/b]",
                )
            )
            yield DataTable(id="rejected", cursor_type="row")
            yield Label(tr("[b]Đang chờ gửi[/b]", "[b]Waiting to be sent[/b]"))
            yield DataTable(id="pending", cursor_type="row")
        yield CounterFooter()

    def on_mount(self) -> None:
        self.query_one("#rejected", DataTable).add_columns(
            tr("Số", "No."),
            tr("Hồ sơ", "Dossier"),
            tr("Thao tác", "Step"),
            tr("Kết quả", "Result"),
            tr("Lý do", "Reason"),
            tr("Nên làm", "What to do"),
        )
        self.query_one("#pending", DataTable).add_columns(
            tr("Số", "No."), tr("Hồ sơ", "Dossier"), tr("Thao tác", "Step"), tr("Lúc", "At")
        )
        self.refresh_view()

    def on_screen_resume(self) -> None:
        # Changes while another flow was on screen were not drawn: draw them now.
        self.refresh_view()

    @on(ConnectionChanged)
    def _changed(self) -> None:
        if self.is_current:
            self.refresh_view()

    def refresh_view(self) -> None:
        desk = self.services.desk
        st = self.services.link.status()
        lines = []
        if st is None:
            lines.append(t("standalone"))
        else:
            last = (
                datetime.fromtimestamp(st.last_success).strftime("%H:%M:%S %d/%m/%Y")
                if st.last_success
                else tr("chưa lần nào", "never")
            )
            lines.append(
                tr(
                    f"Trạng thái: {st.state.vi} · Lần đồng bộ thành công gần nhất: {last}",
                    f"State: {st.state.label('en')} · Last successful sync: {last}",
                )
            )
            if st.error:
                lines.append(say(st.error))
            lines += [say(w) for w in st.warnings]
        rejected = desk.rejected()
        pending = desk.pending_count()
        lines.append(
            tr(
                f"Chờ gửi: {pending} · Cần xử lý: {len(rejected)}",
                f"Pending: {pending} · To act on: {len(rejected)}",
            )
        )
        lines += self._file_lines()
        lines += [say(n) for n in desk.notices()]
        self.query_one("#sync_state", Static).update("\n".join(lines))
        rej = self.query_one("#rejected", DataTable)
        rej.clear()
        for op in rejected:
            add_plain_row(
                rej,
                op.seq,
                op.code,
                action_words(op.action or "receive"),
                tr(*RESULTS[op.result_status]) if op.result_status in RESULTS else op.result_status,
                op.reason[:60],
                tr(*WHAT_TO_DO[op.result_status])[:50] if op.result_status in WHAT_TO_DO else "",
                key=str(op.seq),
            )
        pend = self.query_one("#pending", DataTable)
        pend.clear()
        for op in desk.pending(limit=50):
            add_plain_row(
                pend,
                op.seq,
                op.code,
                action_words(op.action or "receive"),
                f"{op.at:%H:%M}" if op.at else "",
            )

    def _file_lines(self) -> list[str]:
        """Scans waiting for the centre (issue 14), where the counter digitises or holds any."""
        usage = self.services.scans.usage()
        if not self.services.settings.digitise and not usage.held_bytes:
            return []
        lines = [
            tr(
                f"Bản số hóa chờ gửi: {usage.waiting_files} tệp · {size_text(usage.waiting_bytes)}"
                f" · Đang giữ: {size_text(usage.held_bytes)} / {size_text(usage.budget_bytes)}",
                f"Scans waiting: {usage.waiting_files} files · {size_text(usage.waiting_bytes)}"
                f" · Held: {size_text(usage.held_bytes)} / {size_text(usage.budget_bytes)}",
            )
        ]
        uploads = self.services.scans.uploads()
        if uploads is not None:
            if uploads.rate_bps >= 1:
                # The rate is over the last seconds: with no chunk since, it falls by itself.
                self._redraw_later()
            rate = size_text(int(uploads.rate_bps)) if uploads.rate_bps >= 1 else "0 KB"
            lines.append(tr(f"Tốc độ gửi bản số hóa: {rate}/giây", f"Scan upload rate: {rate}/s"))
            if uploads.problem is not None:
                lines.append(say(uploads.problem))
            if uploads.refused:
                lines.append(
                    tr(
                        f"Trung tâm từ chối {len(uploads.refused)} tệp (sẽ gửi lại sau):",
                        f"The centre refused {len(uploads.refused)} files (tried again later):",
                    )
                )
                lines += [f"  {sha[:12]}… {why[:80]}" for sha, why in uploads.refused]
        if usage.warning is not None:
            lines.append("⚠ " + say(usage.warning))
        return lines

    def _redraw_later(self) -> None:
        if self._rate_timer is None:
            self._rate_timer = self.set_timer(1.0, self._rate_redraw)

    def _rate_redraw(self) -> None:
        self._rate_timer = None
        if self.is_current:
            self.refresh_view()

    def action_sync_now(self) -> None:
        if self.services.link.configured():
            self._sync_in_thread()

    @work(thread=True, exclusive=True, group="sync_now")
    def _sync_in_thread(self) -> None:
        # The engine tells of the cycle's start and end (ConnectionChanged): F5 redraws then.
        self.services.link.sync_now()

    def action_handled(self) -> None:
        table = self.query_one("#rejected", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key:
            self.services.link.resolve_rejected(int(key))
            self.refresh_view()
