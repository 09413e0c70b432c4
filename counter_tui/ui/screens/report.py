"""F6 Report: a period's figures for an office, the on-time rate, a bar chart, the overdue list.

Figures come from this counter's cache and are computed in a worker thread
(every dossier of the period is read); the screen says so, because the centre
may hold dossiers of other counters not yet pulled here.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Input, Label, OptionList, Select, Static

from counter_tui.domain.digitisation import DigitisationRow
from counter_tui.domain.forms import parse_period
from counter_tui.domain.messages import DomainError
from counter_tui.domain.report import Counts, Report
from counter_tui.ui.browser import export_delivered
from counter_tui.ui.i18n import say, tr
from counter_tui.ui.screens.base import CounterScreen, add_plain_row
from counter_tui.ui.screens.dialogs import SlipScreen
from counter_tui.ui.widgets.footer import CounterFooter
from counter_tui.ui.widgets.status_bar import StatusBar
from counter_tui.usecases.paperwork import CHANNEL_VI

CHANNEL_EN = {"direct": "At the counter", "post": "By post", "online": "Online"}
BAR_WIDTH = 40
# The longest chart label ("Đang giải quyết, trong hạn"); label, count and bar fit 80 columns.
LABEL_WIDTH = 27
ALL = "__all__"


def bar(value: int, largest: int, width: int = BAR_WIDTH) -> str:
    """A bar of eighth-blocks: 1 of 40 still shows, so a small count is never invisible."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value * width * 8 / largest))
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def dong(amount: int) -> str:
    """An amount the Vietnamese way: dots between thousands (1.250.000)."""
    return f"{amount:,}".replace(",", ".")


def rate_text(c: Counts) -> str:
    return "—" if c.on_time_rate is None else f"{c.on_time_rate:.2f}%".replace(".", ",")


class ReportScreen(CounterScreen):
    TITLE = "title_report"
    BINDINGS = [
        Binding("ctrl+l", "run", "run_report", id="run_report"),
        Binding("f9", "export", "export", id="export"),
        Binding("f10", "print_book", "print_book", id="print_book"),
        # The figures run past a small terminal: these keys scroll the report wherever the
        # cursor is (priority: a date field or a table would take them otherwise). In a date
        # field Ctrl+A / Ctrl+E still move to its start and end.
        Binding(
            "pageup",
            "scroll_report('page_up')",
            "scroll_page_up",
            id="report_page_up",
            show=False,
            priority=True,
        ),
        Binding(
            "pagedown",
            "scroll_report('page_down')",
            "scroll_page_down",
            id="report_page_down",
            show=False,
            priority=True,
        ),
        Binding(
            "home",
            "scroll_report('home')",
            "scroll_top",
            id="report_top",
            show=False,
            priority=True,
        ),
        Binding(
            "end",
            "scroll_report('end')",
            "scroll_bottom",
            id="report_bottom",
            show=False,
            priority=True,
        ),
    ]
    AUTO_FOCUS = "#r_from"
    CSS_PATH = "report.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.report: Report | None = None
        self._office: object = None  # the office of the last report asked for

    def compose(self) -> ComposeResult:
        today = self.services.clock().date()
        yield StatusBar()
        with Horizontal(id="period"):
            yield Label(tr("Từ ngày", "From"), classes="lbl")
            yield Input(today.replace(day=1).strftime("%d/%m/%Y"), id="r_from")
            yield Label(tr("đến", "to"), classes="lbl")
            yield Input(today.strftime("%d/%m/%Y"), id="r_to")
            yield Label(tr("Cơ quan", "Office"), classes="lbl")
            office = self.services.settings.office
            yield Select(
                [
                    (f"{office} {tr('(cả cơ quan)', '(whole office)')}", office),
                    (tr("Tất cả trong bộ nhớ", "All cached"), ALL),
                ],
                value=office,
                allow_blank=False,
                id="r_office",
            )
        with VerticalScroll(id="r_scroll", can_focus=False):
            yield Static("", id="r_msg", markup=False)
            yield Static("", id="r_summary", markup=False)
            yield Static("", id="r_chart", markup=False)
            yield Label(tr("[b]Theo thủ tục[/b]", "[b]By procedure[/b]"))
            yield DataTable(id="r_procs", cursor_type="row")
            yield Label(tr("[b]Hồ sơ quá hạn cần xử lý[/b]", "[b]Overdue dossiers to act on[/b]"))
            yield DataTable(id="r_overdue", cursor_type="row")
            yield Label(
                tr(
                    "[b]Số hóa hồ sơ và kết quả (NĐ 118/2025, QĐ 766)[/b]",
                    "[b]Digitisation of dossiers and results[/b]",
                ),
                id="r_digit_title",
            )
            yield DataTable(id="r_digit", cursor_type="row")
            yield Static(
                tr(
                    "Số liệu lấy từ bộ nhớ của quầy này; số của trung tâm có thể khác nếu hồ sơ "
                    "của quầy khác chưa được kéo về.",
                    "Figures come from this counter's cache; the centre's may differ while other "
                    "counters' dossiers are not yet pulled.",
                ),
                id="r_note",
                markup=False,
            )
        yield CounterFooter()

    def on_mount(self) -> None:
        self.query_one("#r_procs", DataTable).add_columns(
            tr("Mã TTHC", "Code"),
            tr("Tên thủ tục", "Procedure"),
            tr("Nhận", "Received"),
            tr("Trước", "Early"),
            tr("Đúng", "On time"),
            tr("Trễ", "Late"),
            tr("Đúng hạn", "On-time %"),
            tr("Quá hạn", "Overdue"),
        )
        self.query_one("#r_overdue", DataTable).add_columns(
            tr("Mã hồ sơ", "Code"),
            tr("Chủ hồ sơ", "Owner"),
            tr("Thủ tục", "Procedure"),
            tr("Hạn trả", "Due"),
            tr("Quá (ngày)", "Days over"),
        )
        self.query_one("#r_digit", DataTable).add_columns(
            tr("Mã TTHC", "Code"),
            tr("Tên thủ tục", "Procedure"),
            tr("Cần số hóa", "To digitise"),
            tr("Đã số hóa", "Digitised"),
            tr("Tỷ lệ", "Rate"),
            tr("Miễn", "Exempt"),
            tr("Đã trả", "Handed over"),
            tr("KQ số hóa", "Results scanned"),
            tr("Tỷ lệ KQ", "Result rate"),
        )
        # Hidden until the figures say it matters (a counter that does not digitise).
        self.query_one("#r_digit", DataTable).display = False
        self.query_one("#r_digit_title").display = False
        self.query_one("#r_from", Input).focus()
        self._office = self.query_one("#r_office", Select).value
        self.action_run()

    def land(self) -> None:
        """Shown by its F-key: the cursor goes to the first date."""
        self.query_one("#r_from", Input).focus()

    def action_scroll_report(self, where: str) -> None:
        focused = self.focused
        if isinstance(focused, OptionList):  # the office list is open: the keys are its own
            {
                "page_up": focused.action_page_up,
                "page_down": focused.action_page_down,
                "home": focused.action_first,
                "end": focused.action_last,
            }[where]()
            return
        scroll = self.query_one("#r_scroll", VerticalScroll)
        {
            "page_up": scroll.scroll_page_up,
            "page_down": scroll.scroll_page_down,
            "home": scroll.scroll_home,
            "end": scroll.scroll_end,
        }[where](animate=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "r_from":
            self.query_one("#r_to", Input).focus()
        else:
            self.action_run()

    def on_select_changed(self, event: Select.Changed) -> None:
        # The Select announces its first value when it mounts; on_mount already ran that.
        if event.value != self._office:
            self._office = event.value
            self.action_run()

    def _period(self) -> tuple[date, date, str | None] | None:
        msg = self.query_one("#r_msg", Static)
        try:
            start, end = parse_period(
                self.query_one("#r_from", Input).value, self.query_one("#r_to", Input).value
            )
        except DomainError as exc:
            msg.update(say(exc))
            return None
        msg.update("")
        office = self.query_one("#r_office", Select).value
        return start, end, None if office == ALL else str(office)

    def action_run(self) -> None:
        period = self._period()
        if period is not None:
            self.query_one("#r_summary", Static).update(tr("Đang lập báo cáo…", "Working…"))
            self._compute(*period)

    @work(thread=True, exclusive=True, group="report")
    def _compute(self, start: date, end: date, office: str | None) -> None:
        paperwork = self.services.paperwork
        report = paperwork.report(start, end, office)
        digit = paperwork.digitisation(start, end, office)
        self.app.call_from_thread(self._show, report)
        self.app.call_from_thread(self._show_digitisation, *digit)

    def _show_digitisation(self, rows: list[DigitisationRow], total: DigitisationRow) -> None:
        """Both rates per procedure, exemptions apart (shown where the counter digitises,
        or once a dossier of the period counts in them)."""
        table = self.query_one("#r_digit", DataTable)
        table.clear()
        shown = self.services.settings.digitise or bool(total.digitised or total.results_digitised)
        table.display = shown
        self.query_one("#r_digit_title").display = shown

        def pct(value: float | None) -> str:
            return "—" if value is None else f"{100 * value:.1f}%".replace(".", ",")

        for r in [*rows, total]:
            add_plain_row(
                table,
                r.procedure_code,
                (r.procedure_name or tr("Tổng cộng", "Total"))[:40],
                r.received,
                r.digitised,
                pct(r.rate),
                r.exempt,
                r.handed_over,
                r.results_digitised,
                pct(r.result_rate),
            )

    def _show(self, r: Report) -> None:
        self.report = r
        t_ = r.total
        channels = ", ".join(
            f"{tr(CHANNEL_VI.get(k, k), CHANNEL_EN.get(k, k.replace('_', ' '))).lower()} {v}"
            for k, v in sorted(r.by_channel.items())
        )
        who = r.office or tr("tất cả cơ quan", "all offices")
        period = f"{r.start:%d/%m/%Y} – {r.end:%d/%m/%Y}"
        lines = [
            tr(
                f"Kỳ báo cáo {period} · tính đến {r.as_of:%d/%m/%Y} · {who}",
                f"Period {period} · as of {r.as_of:%d/%m/%Y} · {who}",
            ),
            tr(
                f"Tồn kỳ trước: {r.carried_over}   Tiếp nhận: {t_.received}",
                f"Carried over: {r.carried_over}   Received: {t_.received}",
            )
            + (f" ({channels})" if channels else "")
            + (
                tr(
                    f"   ·   trong đó cơ quan khác giải quyết: {r.received_for_others}",
                    f"   ·   of which handled by other offices: {r.received_for_others}",
                )
                if r.received_for_others
                else ""
            )
            + (
                tr(
                    f"   ·   Cơ quan khác tiếp nhận, ở đây giải quyết: {r.routed_in}",
                    f"   ·   Received by other offices, handled here: {r.routed_in}",
                )
                if r.routed_in
                else ""
            ),
            tr(
                f"Đã giải quyết: {t_.resolved} — trước hạn {t_.early}, đúng hạn {t_.on_time}, "
                f"trễ hạn {t_.late}   ·   Tỷ lệ đúng hạn: {rate_text(t_)}",
                f"Resolved: {t_.resolved} — early {t_.early}, on time {t_.on_time}, "
                f"late {t_.late}   ·   On-time rate: {rate_text(t_)}",
            ),
            tr(
                f"Đang giải quyết: {t_.in_progress} — trong hạn {t_.within}, quá hạn "
                f"{t_.overdue}, chờ bổ sung {t_.awaiting_supplement}",
                f"In progress: {t_.in_progress} — within time {t_.within}, overdue "
                f"{t_.overdue}, awaiting supplement {t_.awaiting_supplement}",
            ),
            tr(
                f"Rút: {t_.withdrawn}   ·   Từ chối: {t_.refused}   ·   Xin lỗi, hẹn lại: "
                f"{t_.rescheduled}   ·   Yêu cầu bổ sung tại quầy (chưa tiếp nhận): "
                f"{t_.supplement_at_counter}",
                f"Withdrawn: {t_.withdrawn}   ·   Refused: {t_.refused}   ·   Apologies: "
                f"{t_.rescheduled}   ·   Supplement asked at the counter (not received): "
                f"{t_.supplement_at_counter}",
            ),
            tr(
                f"Phí, lệ phí thu khi tiếp nhận: {r.fees_at_receipt} hồ sơ, "
                f"{dong(r.fees_at_receipt_total)} đồng   ·   thu khi trả kết quả: "
                f"{dong(r.fees_at_hand_over_total)} đồng",
                f"Fees at receipt: {r.fees_at_receipt} dossiers, {r.fees_at_receipt_total:,} VND"
                f"   ·   at hand-over: {r.fees_at_hand_over_total:,} VND",
            ),
            *(
                "⚠ " + say(w)
                for w in self.services.desk.tet_warnings(list(range(r.start.year, r.end.year + 2)))
            ),
        ]
        self.query_one("#r_summary", Static).update("\n".join(lines))
        rows = [
            (tr("Trước hạn", "Early"), t_.early, "green"),
            (tr("Đúng hạn", "On time"), t_.on_time, "green"),
            (tr("Trễ hạn", "Late"), t_.late, "red"),
            (tr("Đang giải quyết, trong hạn", "In progress, in time"), t_.within, "cyan"),
            (tr("Đang giải quyết, quá hạn", "In progress, overdue"), t_.overdue, "red"),
            (tr("Chờ bổ sung", "Supplement"), t_.awaiting_supplement, "yellow"),
        ]
        largest = max(v for _, v, _ in rows)
        chart = Text()
        for label, value, colour in rows:
            # Words and numbers carry the meaning; the colour only helps.
            chart.append(f"{label:<{LABEL_WIDTH}}{value:>6} ")
            chart.append(bar(value, largest), style=colour)
            chart.append("\n")
        self.query_one("#r_chart", Static).update(chart)
        procs = self.query_one("#r_procs", DataTable)
        procs.clear()
        for code, c in sorted(r.per_procedure.items(), key=lambda kv: (-kv[1].received, kv[0])):
            add_plain_row(
                procs,
                code,
                r.procedure_names.get(code, "")[:40],
                c.received,
                c.early,
                c.on_time,
                c.late,
                rate_text(c),
                c.overdue,
            )
        overdue = self.query_one("#r_overdue", DataTable)
        overdue.clear()
        for o in r.overdue:
            add_plain_row(
                overdue,
                o.code,
                o.name,
                o.procedure_code,
                f"{o.due:%d/%m/%Y}",
                o.days_late,
                key=o.uid,
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "r_overdue" and event.row_key.value:
            from counter_tui.ui.screens.dossier import DossierScreen

            self.app.push_screen(DossierScreen(event.row_key.value))

    def action_export(self) -> None:
        period = self._period()
        if period is not None:
            self.query_one("#r_msg", Static).update(tr("Đang xuất…", "Exporting…"))
            self._export(*period)

    @work(thread=True, exclusive=True, group="export")
    def _export(self, start: date, end: date, office: str | None) -> None:
        try:
            paths = self.services.paperwork.export(start, end, office)
        except OSError as exc:
            text = tr(f"Không xuất được: {exc}", f"Export failed: {exc}")
        else:
            text = tr(
                f"Đã xuất {len(paths)} tệp vào {paths[0].parent}",
                f"Exported {len(paths)} files to {paths[0].parent}",
            )
            self.exported = paths
            text = export_delivered(self.app, paths, text)
        self.app.call_from_thread(self._notice, text)

    def _notice(self, text: str) -> None:
        self.query_one("#r_msg", Static).update(text)
        self.app.notify(text, timeout=8, markup=False)

    def action_print_book(self) -> None:
        period = self._period()
        if period is not None:
            self._book(period[0], period[1])

    @work(thread=True, exclusive=True, group="book")
    def _book(self, start: date, end: date) -> None:
        slip = self.services.paperwork.book(start, end)
        self.app.call_from_thread(self.app.push_screen, SlipScreen(slip))
