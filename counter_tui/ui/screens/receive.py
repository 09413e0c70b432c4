"""F2 Receive: citizen ID or card QR, procedure picker, checklist, contact, live due date, save.

Every field is checked as typed; a bad value shows a message under its field
and nothing is saved. Save issues the code and shows the receipt (form 01);
an incomplete checklist offers the supplement-request slip (form 02) instead.

The screen orchestrates: the fields, the picker, the checklist and the citizen's
dossiers are widgets of ``ui/widgets/`` that place their own messages.
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from counter_tui.domain.catalog import Procedure
from counter_tui.domain.citizen_id import CardRecord, looks_like_card_qr, normalize
from counter_tui.domain.dossier import (
    Applicant,
    DocItem,
    Dossier,
    documents_for,
    missing_required,
)
from counter_tui.domain.forms import (
    ApplicantForm,
    parse_applicant,
    parse_day,
    parse_fee_at_receipt,
)
from counter_tui.domain.messages import DomainError
from counter_tui.domain.status import Action
from counter_tui.ui.i18n import language, say, tr
from counter_tui.ui.screens.base import CounterScreen, Note
from counter_tui.ui.screens.dialogs import ConfirmDialog, ReasonDialog
from counter_tui.ui.screens.scan_dialog import ScanDialog
from counter_tui.ui.widgets.checklist import Checklist, DocRow
from counter_tui.ui.widgets.citizen_history import CitizenHistory
from counter_tui.ui.widgets.citizen_id_field import CitizenIdField
from counter_tui.ui.widgets.footer import CounterFooter
from counter_tui.ui.widgets.form_field import (
    CHECK,
    INFO,
    FormField,
    clear_errors,
    fields_in,
    place_errors,
)
from counter_tui.ui.widgets.procedure_picker import ProcedurePicker
from counter_tui.ui.widgets.receipt_extras import ReceiptExtras
from counter_tui.ui.widgets.status_bar import StatusBar
from counter_tui.usecases.scans import Prepared
from counter_tui.usecases.setup import default_path

log = logging.getLogger(__name__)

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def fmt_due(value: datetime) -> str:
    day = tr(WEEKDAYS[value.weekday()], WEEKDAYS_EN[value.weekday()])
    return f"{value:%H:%M} {day} {value:%d/%m/%Y}"


class ReceiveScreen(CounterScreen):
    TITLE = "title_receive"
    AUTO_FOCUS = "#cid"
    BINDINGS = [
        Binding("ctrl+s", "save", "save", id="save"),
        Binding("ctrl+r", "refuse", "refuse", id="refuse"),
        Binding("ctrl+n", "new", "new_form", id="new_form"),
    ]
    CSS_PATH = "receive.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.procedure: Procedure | None = None
        self.documents: list[DocItem] = []
        self.card: CardRecord | None = None
        self.opened_at = time.time()  # the scanner folder lists what appears from now on

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal():
            with VerticalScroll(id="form", can_focus=False):
                yield CitizenIdField()
                yield FormField(
                    "full_name",
                    tr("Họ và tên", "Full name"),
                    # max_length well above the limit: a longer value is refused with the
                    # limit named (domain/forms.py, LIMITS), never cut short silently.
                    Input(placeholder=tr("chủ hồ sơ", "dossier owner"), id="name", max_length=1000),
                    message_id="name_msg",
                    tone=CHECK,
                )
                yield FormField(
                    "birth_date",
                    tr("Ngày sinh", "Birth date"),
                    Input(
                        placeholder=tr("dd/mm/yyyy hoặc ddmmyyyy", "dd/mm/yyyy or ddmmyyyy"),
                        id="birth",
                        max_length=10,
                    ),
                    message_id="birth_msg",
                )
                yield FormField(
                    "phone",
                    tr("Điện thoại", "Phone"),
                    Input(placeholder="09xxxxxxxx", id="phone", max_length=15),
                    message_id="phone_msg",
                )
                yield FormField(
                    "address",
                    tr("Địa chỉ", "Address"),
                    Input(placeholder=tr("thường trú", "permanent"), id="address", max_length=1000),
                    message_id="address_msg",
                    tone=CHECK,
                )
                yield ProcedurePicker()
                yield Label(
                    tr(
                        "Giấy tờ (Space: đã nhận, Ctrl+A: đủ tất cả, +/-: số bản)",
                        "Documents (Space: received, Ctrl+A: all, +/-: copies)",
                    ),
                    classes="lbl",
                )
                yield Checklist(id="checklist")
                yield Note(id="checklist_msg", classes="check")
                yield FormField(
                    "submitter",
                    tr("Người nộp", "Submitter"),
                    Input(
                        placeholder=tr("nếu không phải chủ hồ sơ", "if not the owner"),
                        id="submitter",
                        max_length=1000,
                    ),
                    message_id="submitter_msg",
                )
                yield FormField(
                    "return_method",
                    tr("Nhận kết quả", "Result by"),
                    Select(
                        [
                            (tr("Tại quầy", "At the counter"), "counter"),
                            (tr("Qua bưu chính", "By post"), "post"),
                            (tr("Trực tuyến", "Online"), "online"),
                        ],
                        value="counter",
                        allow_blank=False,
                        id="return_method",
                    ),
                )
                yield ReceiptExtras(id="extras")
                yield Note(id="due")
                yield Note(id="save_msg", classes="msg")
            with Vertical(id="side"):
                yield Label(tr("[b]Hồ sơ của công dân này[/b]", "[b]This citizen's dossiers[/b]"))
                yield CitizenHistory(id="history", cursor_type="row")
        yield CounterFooter()

    def land(self) -> None:
        """Shown by its F-key: the cursor goes to the first field."""
        self.query_one("#cid", Input).focus()
        self._say_if_unconfigured()

    def _say_if_unconfigured(self) -> bool:
        """Say what to set when the office is not configured (nothing can be received)."""
        settings = self.services.settings
        if settings.office_configured:
            return False
        where = settings.source if settings.source.endswith(".toml") else str(default_path())
        self.query_one("#save_msg", Static).update(
            tr(
                "Máy chưa cấu hình cơ quan nên chưa tiếp nhận được (mã hồ sơ sẽ mang mã cơ "
                "quan mẫu). Quản trị viên đặt trong tệp "
                f"{where}: [counter] office (mã cơ quan), office_name, name (tên quầy), slot; "
                "và [central] url, token nếu có trung tâm (xem config/counter.example.toml), "
                "rồi mở lại chương trình.",
                "This PC's office is not configured, so nothing can be received (codes would "
                f"carry the example office). The operator sets in {where}: [counter] office "
                "(agency code), office_name, name (counter), slot; and [central] url, token "
                "when there is a centre (see config/counter.example.toml); then restarts.",
            )
        )
        return True

    def on_screen_resume(self) -> None:
        # The citizen's dossiers may have moved on while another flow was in front.
        digits = normalize(self.query_one("#cid", Input).value)
        if self.is_mounted and len(digits) == 12 and digits.isdigit():
            desk = self.services.desk
            self._show_citizen(desk.citizen_history(digits), None)

    def on_mount(self) -> None:
        self.query_one(ProcedurePicker).show_matches("")
        for inp in self.query(Input):
            # Tabbing into a filled field puts the cursor at its end: typing adds to it
            # (a phone from the citizen's history was overwritten by the next keystroke).
            inp.select_on_focus = False

    # --- citizen ID and card QR -----------------------------------------------------------

    @on(Input.Submitted, "#cid")
    def _cid_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if looks_like_card_qr(value):
            self._apply_card(value)
        elif value:
            self.query_one(CitizenIdField).check(normalize(value))
            self.query_one("#name", Input).focus()

    @on(CitizenIdField.Identified)
    def _identified(self, event: CitizenIdField.Identified) -> None:
        self._load_citizen(event.number)

    def _field(self, key: str) -> FormField:
        return fields_in(self)[key]

    def _today(self) -> date:
        return self.services.clock().date()

    def _apply_card(self, payload: str) -> None:
        card = self.query_one(CitizenIdField).read_card(payload)
        if card is None:
            return
        self.card = card
        self.query_one("#name", Input).value = card.full_name
        self.query_one("#birth", Input).value = f"{card.birth_date:%d/%m/%Y}"
        self.query_one("#address", Input).value = card.address
        for key in ("full_name", "address"):
            problem = card.check.get(key)
            self._field(key).say(say(problem) if problem else "", CHECK)
        self.query_one("#phone", Input).focus()

    def _load_citizen(self, number: str) -> None:
        # One shard read (the citizen ID is the partition key): milliseconds, so inline.
        desk = self.services.desk
        self._show_citizen(desk.citizen_history(number), desk.citizen(number))

    def _show_citizen(self, dossiers: list[Dossier], citizen: Applicant | None) -> None:
        self.query_one(CitizenHistory).show(dossiers)
        if citizen:
            for selector, value in (
                ("#name", citizen.full_name),
                ("#phone", citizen.phone),
                ("#address", citizen.address),
            ):
                inp = self.query_one(selector, Input)
                if not inp.value and value:
                    inp.value = value

    # --- procedure picker -----------------------------------------------------------------

    @on(ProcedurePicker.Chosen)
    def _proc_chosen(self, event: ProcedurePicker.Chosen) -> None:
        self._choose(event.code)
        if event.typed:  # Enter in the search field: on to the papers
            self.query_one("#checklist", Checklist).focus()

    def _choose(self, code: str) -> None:
        try:
            p = self.services.desk.procedure(code)
        except DomainError as exc:
            self._field("procedure").say(say(exc), INFO)
            return
        self.procedure = p
        self.query_one(ProcedurePicker).show_chosen(p)
        self.query_one(ReceiptExtras).set_agencies(self.services.desk.handling_agencies(p.code))
        self.documents = documents_for(p)
        cl = self.query_one("#checklist", Checklist)
        cl.clear()
        digitise = self.services.settings.digitise
        for item in self.documents:
            cl.append(DocRow(item, digitise))
        cl.index = 0
        self._update_due()
        self._update_checklist_msg()

    @on(Checklist.Changed)
    def _checklist_changed(self) -> None:
        self._update_checklist_msg()

    def _update_checklist_msg(self) -> None:
        missing = missing_required(self.documents)
        lacking = self.services.scans.lacking_items(self.documents)
        if not missing and lacking:
            self.query_one("#checklist_msg", Static).update(
                tr(
                    f"⚠ {len(lacking)} giấy tờ bắt buộc chưa quét (F đính kèm, X xuất trình): ",
                    f"⚠ {len(lacking)} required documents not scanned (F attach, X shown): ",
                )
                + "; ".join(lacking)
            )
            return
        self.query_one("#checklist_msg", Static).update(
            tr(
                f"Còn thiếu {len(missing)} giấy tờ bắt buộc (Space để đánh dấu)",
                f"{len(missing)} required documents missing (Space ticks one)",
            )
            if missing
            else (tr("✓ Đủ giấy tờ bắt buộc", "✓ All required documents") if self.documents else "")
        )

    def _update_due(self) -> None:
        if self.procedure is None:
            return
        due = self.services.desk.calendar.due_date(self.services.clock(), self.procedure.processing)
        warning = self.services.desk.calendar.tet_warning(due.date())
        self.query_one("#due", Static).update(
            tr("Hẹn trả kết quả: ", "Result due: ")
            + fmt_due(due)
            + (f"\n⚠ {say(warning)}" if warning else "")
        )

    # --- saving ---------------------------------------------------------------------------

    def _form(self) -> ApplicantForm:
        value = self.query_one
        return ApplicantForm(
            citizen_id=value("#cid", Input).value,
            full_name=value("#name", Input).value,
            birth_date=value("#birth", Input).value,
            phone=value("#phone", Input).value,
            address=value("#address", Input).value,
            submitter=value("#submitter", Input).value,
            procedure_code=self.procedure.code if self.procedure else "",
            gender=self.card.gender.value if self.card else None,
            **self.query_one(ReceiptExtras).applicant_fields(),
        )

    @on(Input.Blurred, "#name, #birth, #phone, #address, #submitter")
    def _field_left(self, event: Input.Blurred) -> None:
        """Check a field as it is left: its message appears, or goes once it is fixed
        (a card's reminder to check a name or address stays until the next card)."""
        field = event.input.query_ancestor(FormField)
        errors = []
        if event.value.strip():  # an empty field is only wrong at save, when it is needed
            parsed = parse_applicant(self._form(), self._today())
            errors = [e for e in parsed if e.field == field.key] if isinstance(parsed, list) else []
        if errors:
            field.show(errors[0])
            return
        field.clear(errors_only=True)
        if field.key == "birth_date" and event.value.strip():
            # Typed as 15081990 or 15-8-1990: shown back as the form prints it.
            event.input.value = f"{parse_day(event.value):%d/%m/%Y}"

    def _collect(self) -> Dossier | None:
        """The draft dossier, or None with the problems shown beside their fields."""
        form = self._form()
        clear_errors(self)
        parsed = parse_applicant(form, self._today())
        if isinstance(parsed, list):
            # Each message under its field, the cursor on the first field at fault.
            place_errors(self, parsed)
            self.query_one("#save_msg", Static).update(
                tr("Chưa lưu: kiểm tra ", "Not saved: check ")
                + ", ".join(say(e.label) for e in parsed)
                + "."
            )
            return None
        typed_id = parsed.applicant.citizen_id or parsed.applicant.legacy_id
        if typed_id:
            # The ✓ line and the citizen's history.
            self.query_one(CitizenIdField).check(typed_id)
        method = self.query_one("#return_method", Select).value
        draft = self.services.desk.draft(
            parsed.procedure_code,
            parsed.applicant,
            submitter=parsed.submitter,
            return_method=str(method),
        )
        draft.documents = [
            DocItem(
                d.name,
                d.copy,
                d.required,
                d.copies,
                d.received,
                list(d.files),
                dict(d.digitisation) if d.digitisation else None,
            )
            for d in self.documents
        ]
        extras = self.query_one(ReceiptExtras)
        fee = parse_fee_at_receipt(extras.fee_form(), draft.fee_amount)
        if isinstance(fee, list):
            place_errors(extras, fee)
            self.query_one("#save_msg", Static).update(
                tr("Chưa lưu: kiểm tra ", "Not saved: check ") + say(fee[0].label) + "."
            )
            return None
        draft.fee_paid = fee
        draft.handling_agency = extras.handling_agency()
        return draft

    def action_save(self) -> None:
        if self._say_if_unconfigured():
            return
        draft = self._collect()
        if draft is None:
            return
        missing = missing_required(self.documents)
        if missing:
            body = tr("Thiếu giấy tờ bắt buộc:\n", "Required documents missing:\n") + "\n".join(
                f" • {m}" for m in missing
            )
            body += tr(
                "\n\nLập Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)?",
                "\n\nIssue the supplement request (form 02)?",
            )

            def reason(text: str | None) -> None:
                if text:
                    self._save(draft, Action.REQUEST_SUPPLEMENT, note=text, missing=missing)

            def chosen(yes: bool | None) -> None:
                if yes:  # form 02 prints "Lý do": ask for it, with the usual one offered
                    self.app.push_screen(
                        ReasonDialog(
                            tr(
                                "Phiếu yêu cầu bổ sung (Mẫu 02): lý do",
                                "Supplement request (form 02): reason",
                            ),
                            value=tr(
                                "Hồ sơ chưa có đủ giấy tờ bắt buộc theo quy định.",
                                "The dossier lacks documents the procedure requires.",
                            ),
                        ),
                        reason,
                    )

            self.app.push_screen(
                ConfirmDialog(tr("Hồ sơ chưa đủ", "Dossier incomplete"), body), chosen
            )
            return
        lacking = self.services.scans.lacking(draft)
        if lacking:

            def scan_reason(text: str | None) -> None:
                if text:
                    self._save(draft, Action.RECEIVE, scan_reason=text)

            self.app.push_screen(
                ReasonDialog(
                    tr(
                        f"{len(lacking)} giấy tờ bắt buộc chưa số hóa: lý do (ghi vào lịch sử)",
                        f"{len(lacking)} required documents not scanned: reason (kept in history)",
                    ),
                    placeholder=tr("vd Máy quét hỏng", "e.g. the scanner is down"),
                ),
                scan_reason,
            )
            return
        self._save(draft, Action.RECEIVE)

    @on(Checklist.ScanWanted)
    def _scan_wanted(self, event: Checklist.ScanWanted) -> None:
        index = event.index
        item = self.documents[index]

        def attached(prepared: Prepared | None) -> None:
            if prepared is None:
                return
            self.services.scans.add_to_item(item, index, prepared)
            for row in self.query(DocRow):
                if row.item is item:
                    row.refresh_label()
            self._update_checklist_msg()
            words = tr("Đã đính kèm ", "Attached ") + prepared.describe(language())
            self.query_one("#save_msg", Static).update(words)
            # Also as a notice: at 35 rows the message line is below the fold.
            self.notify(f"{words} — {item.name}", markup=False)

        self.app.push_screen(ScanDialog(self.services.scans, item.name, self.opened_at), attached)

    def action_refuse(self) -> None:
        if self._say_if_unconfigured():
            return
        draft = self._collect()
        if draft is None:
            return

        def reason(text: str | None) -> None:
            if text:
                self._save(draft, Action.REFUSE, note=text)

        self.app.push_screen(
            ReasonDialog(tr("Từ chối tiếp nhận (Mẫu 03): lý do", "Refuse (form 03): reason")),
            reason,
        )

    def _clock_record(self) -> dict[str, object] | None:
        """Both times, when the centre says this PC's clock is off by more than the limit."""
        skew = self.services.centre.clock_skew()
        limit = self.services.settings.clock_limit_minutes * 60
        if skew is None or limit <= 0 or abs(skew) <= limit:
            return None
        pc = self.services.clock()
        return {
            "pc_time": pc.isoformat(timespec="minutes"),
            "centre_time": (pc + timedelta(seconds=skew)).isoformat(timespec="minutes"),
            "skew_minutes": round(skew / 60),
        }

    def _save(
        self,
        draft,
        outcome: Action,
        note: str = "",
        missing: list[str] | None = None,
        clock: dict[str, object] | None = None,
        scan_reason: str = "",
    ) -> None:
        record = clock or self._clock_record()
        if record is not None and clock is None:
            pc, centre = (
                datetime.fromisoformat(str(record[k])) for k in ("pc_time", "centre_time")
            )
            body = tr(
                f"Đồng hồ máy này chỉ {pc:%H:%M %d/%m/%Y}, trung tâm chỉ {centre:%H:%M %d/%m/%Y} "
                f"(lệch {abs(int(str(record['skew_minutes'])))} phút). Hồ sơ sẽ ghi giờ máy "
                "và lưu kèm giờ trung tâm.\n\nVẫn lưu? (nên chỉnh lại giờ máy)",
                f"This PC says {pc:%H:%M %d/%m/%Y}, the centre {centre:%H:%M %d/%m/%Y} "
                f"({abs(int(str(record['skew_minutes'])))} minutes apart). The dossier records "
                "the PC's time with the centre's beside it.\n\nSave anyway? (fix the PC clock)",
            )

            def go_on(yes: bool | None) -> None:
                if yes:
                    self._save(draft, outcome, note, missing, clock=record, scan_reason=scan_reason)

            self.app.push_screen(
                ConfirmDialog(tr("Giờ máy bị lệch", "The PC clock is off"), body), go_on
            )
            return
        try:
            dossier = self.services.desk.receive(
                draft,
                outcome=outcome,
                note=note,
                missing=missing,
                clock=clock,
                scan_reason=scan_reason,
            )
        except DomainError as exc:
            self.query_one("#save_msg", Static).update(tr("Chưa lưu: ", "Not saved: ") + say(exc))
            return
        except Exception:  # a fault of the program itself: say so, keep the form
            log.exception("receive failed")
            self.query_one("#save_msg", Static).update(
                tr(
                    "Chưa lưu được (lỗi phần mềm, đã ghi vào nhật ký): hãy thử lại.",
                    "Not saved (a program fault, written to the log): try again.",
                )
            )
            return
        form = {Action.RECEIVE: "01", Action.REQUEST_SUPPLEMENT: "02"}.get(outcome, "03")
        self.show_saved_slip(dossier, form, self.action_new)

    def action_new(self) -> None:
        for inp in self.query(Input):
            inp.value = ""
        for field in self.query(FormField):
            field.clear()
        for s in ("#checklist_msg", "#due", "#save_msg"):
            self.query_one(s, Static).update("")
        self.query_one("#checklist", Checklist).clear()
        self.query_one(CitizenHistory).clear()
        self.query_one("#return_method", Select).value = "counter"
        self.query_one(ReceiptExtras).clear()
        self.query_one(ReceiptExtras).set_agencies([])
        self.procedure, self.documents, self.card = None, [], None
        self.opened_at = time.time()  # the scanner folder lists what appears from now on
        self.query_one(ProcedurePicker).show_matches("")
        self.query_one("#cid", Input).focus()
