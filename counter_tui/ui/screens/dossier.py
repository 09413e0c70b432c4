"""A dossier in full: applicant, procedure, checklist, dates, history, and what can be done now."""

from __future__ import annotations

import contextlib
import time
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

from counter_tui.domain.dossier import Dossier
from counter_tui.domain.forms import FieldError
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.receipt_details import receipt_details
from counter_tui.domain.status import TRANSITIONS, Action, Status
from counter_tui.ui.i18n import action_words, language, say, t, timeliness_words, tr
from counter_tui.ui.screens.base import CounterScreen, add_plain_row
from counter_tui.ui.screens.dialogs import FieldsDialog, ReasonDialog, SlipScreen, form_picker
from counter_tui.ui.screens.scan_dialog import ScanDialog, item_picker
from counter_tui.ui.widgets.footer import CounterFooter
from counter_tui.ui.widgets.status_bar import StatusBar
from counter_tui.usecases.scans import AttachedFile, Prepared

# The dialogs' field names, shared by the label and an error's summary.
UNIT = Msg("Đơn vị / cơ quan", "Unit")
NEW_DUE = Msg("Ngày hẹn mới", "New date")
LATE_REASON = Msg("Lý do trễ hạn", "Reason")
# The cycle step each screen action performs; its key and words come from BINDINGS
# (a binding's id is its word in i18n, read when drawn so the language setting holds).
NEEDS = {
    "hand_over": Action.HAND_OVER,
    "supplement": Action.SUPPLEMENT_RECEIVED,
    "withdraw": Action.WITHDRAW,
    "transfer": Action.TRANSFER,
    "result_back": Action.RESULT_BACK,
    "reschedule": Action.RESCHEDULE,
    "stop": Action.STOP,
}


def allowed(step: Action, status: Status | None, reschedules: int) -> bool:
    """Whether the counter may take this step now (an apology is given once per dossier)."""
    if step is Action.RESCHEDULE and reschedules >= 1:
        return False
    return status in TRANSITIONS[step]


def when(at: datetime | str | None) -> str:
    """A moment as the counter writes it: "09:30 30/11/2026" ("—" when there is none)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at) if at else None
    return at.strftime("%H:%M %d/%m/%Y") if at else "—"


class DossierScreen(CounterScreen):
    TITLE = "title_dossier"
    BINDINGS = [
        Binding("ctrl+g", "hand_over", "go_hand_over", id="go_hand_over"),
        Binding("ctrl+b", "supplement", "supplement_received", id="supplement_received"),
        Binding("ctrl+w", "withdraw", "withdraw", id="withdraw"),
        Binding("ctrl+t", "transfer", "transfer", id="transfer"),
        Binding("ctrl+n", "result_back", "result_back", id="result_back"),
        Binding("ctrl+r", "reschedule", "reschedule", id="reschedule"),
        Binding("ctrl+d", "stop", "stop_dossier", id="stop_dossier"),
        Binding("f10", "print", "print_slip", id="print_slip"),
        Binding("f", "attach", "attach_scan", id="attach_later"),
        Binding("escape", "back", "back", id="back"),
    ]
    CSS_PATH = "dossier.tcss"

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.uid = uid
        self.dossier: Dossier | None = None
        self.shown: tuple[object, ...] = ()
        self.files: list[AttachedFile] = []
        self.opened_at = time.time()  # the scanner folder lists what appears from now on

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(can_focus=False):
            yield Static("", id="summary")
            yield Static("", id="actions", markup=False)
            yield Static("", id="action_msg", markup=False)
            yield Label(tr("[b]Lịch sử[/b]", "[b]History[/b]"))
            yield DataTable(id="events", cursor_type="row")
            yield Label(
                tr("[b]Bản số hóa[/b] (Enter: mở)", "[b]Scans[/b] (Enter: open)"), id="files_title"
            )
            yield DataTable(id="files", cursor_type="row")
        yield CounterFooter()

    def on_mount(self) -> None:
        self.query_one("#events", DataTable).add_columns(
            tr("Thời điểm", "When"),
            tr("Việc", "Step"),
            tr("Người làm", "By"),
            tr("Quầy", "Counter"),
            tr("Ghi chú", "Note"),
        )
        self.query_one("#files", DataTable).add_columns(
            tr("Giấy tờ", "Document"),
            tr("Tệp", "File"),
            tr("Loại, trang, cỡ", "Kind, pages, size"),
            tr("Lúc", "When"),
            tr("Người quét", "By"),
        )
        self.reload()
        # The centre may confirm the dossier (or another counter change it) while it is
        # on screen: look once a second, redraw only when something changed.
        self.set_interval(1.0, self._reload_if_changed)

    def on_screen_resume(self) -> None:
        if self.dossier is not None:
            self.reload()

    def _stamp(self) -> tuple[object, ...]:
        d = self.services.desk.dossier(self.uid)
        sync = self.services.desk.sync_state(self.uid)
        return (d.status, len(d.events), d.due_at) if d else (), sync

    def _reload_if_changed(self) -> None:
        if self.is_current and self._stamp() != self.shown:
            self.reload()

    def reload(self) -> None:
        d = self.services.desk.dossier(self.uid)
        if d is None:
            self.query_one("#summary", Static).update(
                tr("Không tìm thấy hồ sơ.", "Dossier not found.")
            )
            return
        self.dossier = d
        sync = self.services.desk.sync_state(self.uid)
        self.shown = (d.status, len(d.events), d.due_at), sync
        where = (
            tr(
                f"Đã xác nhận với trung tâm (phiên bản {sync.version})",
                f"Confirmed by the centre (version {sync.version})",
            )
            if sync.confirmed
            else tr(
                "Mới có ở quầy này — chưa xác nhận với trung tâm",
                "Only at this counter so far — not yet confirmed by the centre",
            )
        )
        timely = d.timeliness(self.services.clock())
        docs = "\n".join(
            f"   {'✓' if i.received else '✗'} {i.name} ({i.copies} {tr('bản', 'copies')})"
            for i in d.documents
        )
        a = d.applicant
        lines = [
            f"{d.code}  ·  {d.state.label(language()) if d.state else ''}  ·  {where}",
            f"{tr('Thủ tục', 'Procedure')}: {d.procedure_code} {d.procedure_name}",
            f"{tr('Chủ hồ sơ', 'Owner')}: {a.full_name}  ·  "
            f"{tr('CCCD', 'ID')}: {a.citizen_id or a.legacy_id or '—'}  ·  "
            f"{tr('ĐT', 'Phone')}: {a.phone or '—'}",
            f"{tr('Địa chỉ', 'Address')}: {a.address or '—'}",
            f"{tr('Nhận', 'Received')}: {when(d.received_at)}  ·  "
            f"{tr('Hẹn trả', 'Due')}: {when(d.due_at)}"
            + (
                f" ({tr('hẹn ban đầu', 'first due')} {when(d.original_due_at)})"
                if d.original_due_at != d.due_at
                else ""
            )
            + (f"  ·  {timeliness_words(timely)}" if timely else ""),
            tr("Giấy tờ", "Documents") + ":\n" + docs if docs else "",
        ]
        if d.reason:
            lines.append(f"{tr('Lý do', 'Reason')}: {d.reason}")
        if d.missing:
            lines.append(tr("Cần bổ sung: ", "To supplement: ") + "; ".join(d.missing))
        lines += [say(m) for m in receipt_details(d)]
        summary = Text("\n".join(x for x in lines if x))  # Text: a name is never markup
        summary.stylize("bold", 0, len(d.code))
        self.query_one("#summary", Static).update(summary)
        acts = [
            f"{self.key_label(b)} {t(b.id or b.action)}"
            for b in self.BINDINGS
            if isinstance(b, Binding)
            and (
                b.action == "print"
                or (b.action in NEEDS and allowed(NEEDS[b.action], d.state, d.reschedules))
            )
        ]
        self.query_one("#actions", Static).update(
            tr("Việc có thể làm: ", "Actions: ") + "   ".join(acts)
        )
        table = self.query_one("#events", DataTable)
        table.clear()
        for e in d.events:
            add_plain_row(
                table,
                when(e.at),
                action_words(e.action),
                e.actor,
                e.counter,
                e.note[:60],
            )
        self._show_files(d)
        self.refresh_bindings()

    def _show_files(self, d: Dossier) -> None:
        """The dossier's scans, per document (hidden when it has none)."""
        files = self.services.scans.files_of(d)
        table = self.query_one("#files", DataTable)
        table.clear()
        self.files = files
        for f in files:
            add_plain_row(table, f.item_name[:40], f.name, f.description, when(f.at), f.actor)
        table.display = bool(files)
        self.query_one("#files_title").display = bool(files)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "files" or not self.files:
            return
        f = self.files[event.cursor_row]
        if self.services.scans.at_centre_only(f.sha):
            # Fetched back from the centre first: off the UI thread, the screen stays live.
            self.query_one("#action_msg", Static).update(
                tr("Đang lấy bản số hóa từ trung tâm: ", "Fetching the scan from the centre: ")
                + f.name
            )
            self._open_fetched(f.sha, f.name)
            return
        self.query_one("#action_msg", Static).update(self._open(f.sha, f.name))

    def _open(self, sha: str, name: str) -> str:
        try:
            self.services.scans.open_file(sha, name)
        except DomainError as exc:
            return say(exc)
        return tr("Đã mở ", "Opened ") + name

    @work(thread=True, group="open_file")
    def _open_fetched(self, sha: str, name: str) -> None:
        words = self._open(sha, name)
        with contextlib.suppress(RuntimeError):  # the app closed meanwhile
            self.app.call_from_thread(self._tell, words)

    def _tell(self, words: str) -> None:
        self.query_one("#action_msg", Static).update(words)

    def action_attach(self) -> None:
        """A scan added later (a supplement, the clerk came back) or the result at hand-over."""
        d = self.dossier
        if d is None:
            return
        scans = self.services.scans

        def attached(item: str, prepared: Prepared | None) -> None:
            if prepared is None:
                return
            try:
                scans.attach(self.uid, item, [prepared])
            except DomainError as exc:
                self.query_one("#action_msg", Static).update(say(exc))
                return
            self.query_one("#action_msg", Static).update(
                tr("Đã đính kèm ", "Attached ") + prepared.describe(language())
            )
            self.reload()

        def picked(item: str | None) -> None:
            if item is None:
                return
            name = dict(scans.items_of(d)).get(item, item)
            self.app.push_screen(
                ScanDialog(scans, name, self.opened_at), lambda p: attached(item, p)
            )

        self.app.push_screen(item_picker(scans.items_of(d)), picked)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "attach":
            # Only where the counter digitises ([files] digitise): hidden otherwise.
            return self.services.settings.digitise
        d = self.dossier
        if d is None:
            return True
        step = NEEDS.get(action)
        if step is None:
            return True
        # None, not False: the footer shows the key greyed out rather than hiding it.
        return True if allowed(step, d.state, d.reschedules) else None

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_hand_over(self) -> None:
        if self.dossier is not None:
            self.counter_app.open_hand_over(self.dossier.code)

    def _code(self) -> str:
        return self.dossier.code if self.dossier is not None else self.uid

    def _act(self, action: Action, note: str = "", data: dict[str, str] | None = None) -> bool:
        try:
            self.services.desk.act(self.uid, action, note=note, data=data)
        except DomainError as exc:
            self.query_one("#action_msg", Static).update(say(exc))
            return False
        self.query_one("#action_msg", Static).update("")
        self.reload()
        return True

    def action_supplement(self) -> None:
        self._act(Action.SUPPLEMENT_RECEIVED)

    def action_withdraw(self) -> None:
        def done(reason: str | None) -> None:
            if reason:
                self._act(Action.WITHDRAW, reason)

        self.app.push_screen(
            ReasonDialog(
                tr("Công dân rút hồ sơ: lý do", "Withdrawal at the citizen's request: reason")
            ),
            done,
        )

    def action_stop(self) -> None:
        def done(reason: str | None) -> None:
            if reason and self._act(Action.STOP, reason):
                self.show_slip_of_saved(
                    self._code(), lambda: self.services.paperwork.stop_notice(self.uid)
                )

        self.app.push_screen(
            ReasonDialog(
                tr(
                    "Dừng giải quyết hồ sơ (Thông báo dừng giải quyết, Mẫu 05 TT 03/2025): lý do",
                    "Stop handling the dossier (stop notice): reason",
                )
            ),
            done,
        )

    def _unit_dialog(self, action: Action, title: str) -> None:
        def check(v: dict[str, str]) -> FieldError | None:
            if not v["unit"]:
                return FieldError("unit", UNIT, Msg("Cần ghi đơn vị/cơ quan.", "Name the unit."))
            return None

        def done(v: dict[str, str] | None) -> None:
            if v:
                self._act(action, v["note"], {"unit": v["unit"], "person": v["person"]})

        last = self.services.desk.last_unit(self.uid)
        self.app.push_screen(
            FieldsDialog(
                title,
                [
                    ("unit", say(UNIT), tr("tên đơn vị", "the unit's name")),
                    ("person", tr("Người giao/nhận bên đó", "Their person"), tr("Họ tên", "Name")),
                    ("note", tr("Ghi chú", "Note"), ""),
                ],
                check,
                # A value, not a placeholder: a unit shown in the field is one Enter accepts.
                {"unit": last or "Công chức Tư pháp - Hộ tịch"},
            ),
            done,
        )

    def action_transfer(self) -> None:
        self._unit_dialog(
            Action.TRANSFER,
            tr("Chuyển hồ sơ đến nơi giải quyết (Mẫu 05)", "Transfer to the processing unit"),
        )

    def action_result_back(self) -> None:
        self._unit_dialog(
            Action.RESULT_BACK,
            tr("Nhận kết quả từ nơi giải quyết (Mẫu 05)", "Result back from the processing unit"),
        )

    def action_reschedule(self) -> None:
        desk = self.services.desk

        def check(v: dict[str, str]) -> FieldError | None:
            try:
                desk.reschedule_date(self.uid, v["new_due"])
            except DomainError as exc:
                return FieldError("new_due", NEW_DUE, exc.msg)
            if not v["reason"]:
                return FieldError(
                    "reason", LATE_REASON, Msg("Cần ghi lý do trễ hạn.", "A reason is required.")
                )
            return None

        def done(v: dict[str, str] | None) -> None:
            if not v:
                return
            new_due = desk.reschedule_date(self.uid, v["new_due"])
            if self._act(Action.RESCHEDULE, v["reason"], {"new_due": new_due.isoformat()}):
                self.show_slip_of_saved(
                    self._code(), lambda: self.services.paperwork.slip("04", self.uid)
                )

        self.app.push_screen(
            FieldsDialog(
                tr(
                    "Xin lỗi và hẹn lại ngày trả (Mẫu 04) — chỉ một lần cho mỗi hồ sơ",
                    "Apologise and set a new date (form 04), once per dossier",
                ),
                [
                    ("new_due", say(NEW_DUE), "dd/mm/yyyy [hh:mm]"),
                    ("reason", say(LATE_REASON), ""),
                ],
                check,
            ),
            done,
        )

    def action_print(self) -> None:
        forms = self.services.paperwork.forms(self.uid)
        if not forms:
            self.query_one("#action_msg", Static).update(
                tr("Hồ sơ này chưa có phiếu để in.", "No slip for this dossier yet.")
            )
            return

        def chosen(form: str | None) -> None:
            if form:
                self.app.push_screen(SlipScreen(self.services.paperwork.slip(form, self.uid)))

        self.app.push_screen(form_picker(self.services.paperwork.form_names(self.uid)), chosen)
