"""F4 Hand over: find the dossier, see whether it is early, on time or late, record who took it."""

from __future__ import annotations

import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input, Select, Static

from counter_tui.domain.dossier import Dossier
from counter_tui.domain.files import RESULT_ITEM
from counter_tui.domain.forms import HandOverForm, parse_hand_over
from counter_tui.domain.messages import DomainError
from counter_tui.domain.search_key import KeyKind, search_key
from counter_tui.domain.status import Action, Status
from counter_tui.ui.i18n import language, say, timeliness_words, tr
from counter_tui.ui.screens.base import CounterScreen, add_plain_row
from counter_tui.ui.screens.dossier import when
from counter_tui.ui.screens.lookup import OFFLINE_NOTE
from counter_tui.ui.screens.scan_dialog import ScanDialog
from counter_tui.ui.widgets.authorised_receiver import AuthorisedReceiver
from counter_tui.ui.widgets.footer import CounterFooter
from counter_tui.ui.widgets.form_field import FormField, clear_errors, fields_in, place_errors
from counter_tui.ui.widgets.status_bar import StatusBar
from counter_tui.usecases.centre import Answer
from counter_tui.usecases.scans import Prepared


class HandOverScreen(CounterScreen):
    TITLE = "title_hand_over"
    AUTO_FOCUS = "#ho_key"
    BINDINGS = [
        Binding("ctrl+s", "confirm", "confirm_hand_over", id="confirm_hand_over"),
        Binding("f8", "scan_result", "attach_result", id="scan_result"),
    ]
    CSS_PATH = "hand_over.tcss"

    def __init__(self, key: str = "") -> None:
        super().__init__()
        self.initial = key
        self.dossier: Dossier | None = None
        self.opened_at = time.time()  # the scanner folder lists what appears from now on

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(can_focus=False):
            yield Input(
                placeholder=tr(
                    "Mã hồ sơ hoặc số CCCD, rồi Enter", "Dossier code or citizen ID, then Enter"
                ),
                id="ho_key",
                max_length=60,
            )
            yield DataTable(id="ho_matches", cursor_type="row")
            yield Static("", id="ho_info", markup=False)
            # Each field has its label beside it and its message under it.
            yield FormField(
                "relation",
                tr("Người nhận", "Received by"),
                Select(
                    [
                        (tr("Chủ hồ sơ nhận", "The owner"), "owner"),
                        (tr("Người được ủy quyền", "An authorised person"), "authorised"),
                    ],
                    value="owner",
                    allow_blank=False,
                    id="ho_relation",
                ),
            )
            yield FormField(
                "receiver_name",
                tr("Họ tên người nhận", "Receiver's name"),
                Input(placeholder=tr("họ và tên", "full name"), id="ho_name", max_length=100),
                message_id="ho_name_msg",
            )
            yield FormField(
                "receiver_id",
                tr("Số CCCD/CMND người nhận", "Receiver's ID"),
                Input(
                    placeholder=tr(
                        "12 số CCCD hoặc 9 số CMND (bắt buộc nếu ủy quyền)",
                        "12-digit citizen ID or 9-digit CMND (required if authorised)",
                    ),
                    id="ho_id",
                    max_length=20,
                    restrict=r"[0-9 ]*",  # an ID has digits only: letters never land
                ),
                message_id="ho_id_msg",
            )
            yield FormField(
                "fee",
                tr("Phí, lệ phí đã thu (đ)", "Fee collected (VND)"),
                Input(id="ho_fee", value="0", max_length=12, restrict=r"[0-9.]*"),
                message_id="ho_fee_msg",
            )
            yield AuthorisedReceiver()
            yield Static("", id="ho_msg", markup=False)
        yield CounterFooter()

    def on_mount(self) -> None:
        self.query_one("#ho_matches", DataTable).add_columns(
            tr("Mã hồ sơ", "Code"),
            tr("Chủ hồ sơ", "Owner"),
            tr("Trạng thái", "Status"),
            tr("Hẹn trả", "Due"),
        )
        for inp in self.query(Input):
            inp.select_on_focus = False  # typing into a filled field adds to it
        if self.initial:
            self.query_one("#ho_key", Input).value = self.initial
            self.find(self.initial)
        self.take_pending()

    def land(self) -> None:
        """Shown by its F-key: the cursor goes to the code field."""
        self.query_one("#ho_key", Input).focus()

    def on_screen_resume(self) -> None:
        if self.dossier is not None and not self.counter_app.pending_hand_over:
            # Shown again: the dossier as it is now (it may have been handed over meanwhile).
            fresh = self.services.desk.dossier(self.dossier.uid)
            if fresh is not None:
                self.select(fresh, focus=False)
        self.take_pending()

    def take_pending(self) -> None:
        """A dossier handed over from elsewhere (the detail screen's Ctrl+G)."""
        app = self.counter_app
        code = app.pending_hand_over
        if code:
            app.pending_hand_over = None
            self.query_one("#ho_key", Input).value = code
            self.find(code)

    @on(Input.Submitted, "#ho_key")
    def _submitted(self, event: Input.Submitted) -> None:
        self.find(event.value)

    @work(thread=True, exclusive=True, group="hand_over_remote")
    def _ask_centre(self, key: str) -> None:
        answer = self.services.centre.ask(key)
        if answer is Answer.OFFLINE:
            self.app.call_from_thread(self.query_one("#ho_msg", Static).update, say(OFFLINE_NOTE))
            return
        self.app.call_from_thread(self.find, key, True)

    def find(self, key: str, asked: bool = False) -> None:
        msg = self.query_one("#ho_msg", Static)
        table = self.query_one("#ho_matches", DataTable)
        table.clear()
        self.dossier = None
        self.query_one("#ho_info", Static).update("")
        parsed = search_key(key)
        if parsed.kind not in (KeyKind.CODE, KeyKind.CITIZEN_ID):
            msg.update(
                tr(
                    "Nhập mã hồ sơ (vd 000.00.00.H56-261125-10001) hoặc 12 số CCCD.",
                    "Enter a dossier code (e.g. 000.00.00.H56-261125-10001) or a 12-digit citizen ID.",
                )
            )
            return
        found = self.services.desk.by_code_or_citizen(parsed)
        if not found:
            centre = self.services.centre
            if centre.configured() and centre.online() and not asked:
                msg.update(tr("Đang hỏi trung tâm…", "Asking the centre…"))
                self._ask_centre(key)
                return
            if centre.configured() and not centre.online():
                msg.update(say(OFFLINE_NOTE))
                return
            msg.update(
                tr(
                    "Không tìm thấy hồ sơ (F3 để tra cứu theo tên).",
                    "No dossier found (F3 to look up by name).",
                )
            )
            return
        msg.update("")
        ready = [d for d in found if d.state is Status.READY]
        if len(found) == 1 or len(ready) == 1:
            self.select((ready or found)[0])
            return
        for d in found:
            add_plain_row(
                table,
                d.code,
                d.applicant.full_name,
                d.state.label(language()) if d.state else "",
                when(d.due),
                key=d.uid,
            )
        table.focus()

    @on(DataTable.RowSelected, "#ho_matches")
    def _picked(self, event: DataTable.RowSelected) -> None:
        d = self.services.desk.dossier(str(event.row_key.value))
        if d:
            self.select(d)

    def select(self, d: Dossier, focus: bool = True) -> None:
        if self.dossier is None or self.dossier.uid != d.uid:
            # Each dossier starts from its owner: the last one's receiver (an authorised
            # person, their ID, a fee) must not carry over to the next citizen.
            self.query_one("#ho_relation", Select).value = "owner"
            self.query_one("#ho_name", Input).value = ""
            self.query_one("#ho_id", Input).value = ""
            self.query_one("#ho_fee", Input).value = "0"
        self.dossier = d
        timely = ""
        # One rule with the report, the slip and the overdue list (docs/reports.md): a
        # result is judged when it became ready, not when the citizen comes for it, against
        # the legal due date (an apology's new date does not make a late result on time).
        tl = d.timeliness(self.services.clock())
        if tl is not None:
            timely = timeliness_words(tl)
            if d.reschedules:
                timely += tr(" (đã xin lỗi, hẹn lại)", " (apology issued, new date)")
        ready = d.state is Status.READY
        self.query_one("#ho_info", Static).update(
            f"{d.code} · {d.procedure_name}\n"
            f"{tr('Chủ hồ sơ', 'Owner')}: {d.applicant.full_name} · "
            f"{d.state.label(language()) if d.state else ''}"
            + (
                " ✓"  # the status says it: "Đã có kết quả"
                if ready
                else tr(" ✗ Chưa có kết quả để trả", " ✗ No result to hand over yet")
            )
            + f"\n{tr('Hẹn trả', 'Due')}: {when(d.due)} · "
            + (
                f"{tr('Có kết quả lúc', 'Result ready at')} {when(d.finished_at)}: {timely}"
                if d.finished_at
                else f"{tr('Chưa có kết quả', 'No result yet')}: {timely}"
            )
        )
        name = self.query_one("#ho_name", Input)
        if not name.value:
            name.value = d.applicant.full_name
        if focus:
            name.focus()

    def action_confirm(self) -> None:
        msg = self.query_one("#ho_msg", Static)
        if self.dossier is None:
            msg.update(tr("Chưa chọn hồ sơ.", "No dossier chosen."))
            return
        clear_errors(self)
        parsed = parse_hand_over(
            HandOverForm(
                receiver_name=self.query_one("#ho_name", Input).value,
                receiver_id=self.query_one("#ho_id", Input).value,
                relation=str(self.query_one("#ho_relation", Select).value),
                fee=self.query_one("#ho_fee", Input).value,
                **self.query_one(AuthorisedReceiver).values(),
            ),
            today=self.services.clock().date(),
        )
        if isinstance(parsed, list):
            # Each under its field; one no field owns is said on the summary line.
            unplaced = place_errors(self, parsed)
            msg.update(
                tr("Chưa trả: kiểm tra ", "Not handed over: check ")
                + ", ".join(say(e.label) for e in parsed)
                + "."
                + "".join(" " + say(e.msg) for e in unplaced)
            )
            return
        data = parsed
        try:
            dossier = self.services.desk.act(self.dossier.uid, Action.HAND_OVER, data=data)
        except DomainError as exc:
            field = fields_in(self).get(exc.field or "")
            if field is not None:
                field.show(exc)
                field.focus_input()
            msg.update(tr("Chưa trả: ", "Not handed over: ") + say(exc))
            return
        self.show_saved_slip(dossier, "BN", self.clear)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "scan_result":
            # Only where the counter digitises ([files] digitise): hidden otherwise.
            return self.services.settings.digitise
        return True

    def action_scan_result(self) -> None:
        """Digitise the result as it is handed over (NĐ 118/2025 Điều 17): attached now, an
        event in the dossier's history, whatever the hand-over does next."""
        msg = self.query_one("#ho_msg", Static)
        if self.dossier is None:
            msg.update(tr("Chưa chọn hồ sơ.", "No dossier chosen."))
            return
        uid = self.dossier.uid
        scans = self.services.scans

        def attached(prepared: Prepared | None) -> None:
            if prepared is None:
                return
            try:
                scans.attach(uid, RESULT_ITEM, [prepared])
            except DomainError as exc:
                msg.update(tr("Chưa đính kèm: ", "Not attached: ") + say(exc))
                return
            msg.update(
                tr("Đã đính kèm bản quét kết quả ", "Result scan attached: ")
                + prepared.describe(language())
            )

        self.app.push_screen(
            ScanDialog(scans, tr("Kết quả giải quyết", "The result"), self.opened_at), attached
        )

    def clear(self) -> None:
        for inp in self.query(Input):
            inp.value = "0" if inp.id == "ho_fee" else ""
        self.query_one("#ho_relation", Select).value = "owner"
        self.query_one("#ho_info", Static).update("")
        self.query_one("#ho_msg", Static).update("")
        clear_errors(self)
        self.query_one("#ho_matches", DataTable).clear()
        self.dossier = None
        self.query_one("#ho_key", Input).focus()
