"""F2 Receive: citizen ID or card QR, procedure picker, checklist, contact, live due date, save.

Every field is checked as typed; a bad value shows a message beside the field
and nothing is saved. Save issues the code and shows the receipt (form 01);
an incomplete checklist offers the supplement-request slip (form 02) instead.
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import (
    DataTable,
    Input,
    Label,
    ListItem,
    ListView,
    OptionList,
    Select,
    Static,
)
from textual.widgets.option_list import Option

from counter_tui.domain.catalog import CopyKind, Procedure
from counter_tui.domain.citizen_id import (
    CardRecord,
    CitizenId,
    IdError,
    looks_like_card_qr,
    normalize,
    parse_any_id,
    parse_card_qr,
)
from counter_tui.domain.dossier import (
    Applicant,
    DocItem,
    Dossier,
    documents_for,
    missing_required,
)
from counter_tui.domain.forms import (
    ApplicantForm,
    fee_words,
    parse_applicant,
    parse_day,
    parse_fee_at_receipt,
)
from counter_tui.domain.messages import DomainError
from counter_tui.domain.status import Action
from counter_tui.ui.i18n import language, say, tr, uncertain_words
from counter_tui.ui.screens.base import CounterScreen, Note, add_plain_row, counter_app_of
from counter_tui.ui.screens.dialogs import ConfirmDialog, ReasonDialog
from counter_tui.ui.screens.scan_dialog import ScanDialog
from counter_tui.ui.widgets.footer import CounterFooter
from counter_tui.ui.widgets.receipt_extras import ReceiptExtras
from counter_tui.ui.widgets.status_bar import StatusBar
from counter_tui.usecases.scans import Prepared, Scans
from counter_tui.usecases.setup import default_path

log = logging.getLogger(__name__)

# Where each field's error is shown (the form parser names the field).
ERROR_PLACES = {
    "citizen_id": "#cid_msg",
    "full_name": "#name_msg",
    "birth_date": "#birth_msg",
    "phone": "#phone_msg",
    "address": "#address_msg",
    "submitter": "#submitter_msg",
    "procedure": "#proc_info",
}
# The field each error belongs to, in form order: a refused save puts the cursor on the first.
ERROR_FIELDS = {
    "citizen_id": "#cid",
    "full_name": "#name",
    "birth_date": "#birth",
    "phone": "#phone",
    "address": "#address",
    "submitter": "#submitter",
    "procedure": "#proc",
}
WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
COPY_EN = {
    "original": "Original",
    "certified": "Certified copy",
    "copy": "Copy",
    "present": "Shown only",
}


def fmt_due(value: datetime) -> str:
    day = tr(WEEKDAYS[value.weekday()], WEEKDAYS_EN[value.weekday()])
    return f"{value:%H:%M} {day} {value:%d/%m/%Y}"


def processing_words(p: Procedure) -> str:
    """How long the procedure takes, in the UI language (the catalog says it in Vietnamese)."""
    proc = p.processing
    if language() != "en":
        return proc.describe()
    if proc.unit.name == "SAME_WORKING_DAY":
        cut = proc.cutoff.strftime("%H:%M") if proc.cutoff else "15:00"
        return f"Same day (received after {cut}: next working day)"
    n = int(proc.value) if float(proc.value).is_integer() else proc.value
    unit = {"WORKING_DAYS": "working days", "WORKING_HOURS": "working hours"}
    return f"{n} {unit.get(proc.unit.name, 'days')}"


def fee_text(amount: int | None) -> str:
    if language() != "en":
        return fee_words(amount)
    if amount == 0:
        return "Free"
    return f"{amount:,} VND" if amount else "as regulated"


def field(label: str, widget) -> Horizontal:
    """One form row: a fixed-width label, then the field (the label stays when it is filled)."""
    return Horizontal(Label(label, classes="lbl"), widget, classes="field")


class PickerInput(Input):
    """The procedure search field: up and down move through the results below it."""

    BINDINGS = [
        Binding("down", "pick_next", "next_procedure", show=False, id="picker_down"),
        Binding("up", "pick_prev", "prev_procedure", show=False, id="picker_up"),
    ]

    def action_pick_next(self) -> None:
        self.screen.query_one("#proc_list", OptionList).action_cursor_down()

    def action_pick_prev(self) -> None:
        self.screen.query_one("#proc_list", OptionList).action_cursor_up()


class DocRow(ListItem):
    def __init__(self, item: DocItem, digitise: bool = False) -> None:
        # "[x]" is a mark, not a tag
        super().__init__(Label(self._text(item, digitise), markup=False))
        self.item = item
        self.digitise = digitise

    @staticmethod
    def _text(item: DocItem, digitise: bool = False) -> str:
        mark = "[x]" if item.received else "[ ]"
        need = tr("bắt buộc", "required") if item.required else tr("nếu có", "if any")
        kind = tr(CopyKind(item.copy).vi, COPY_EN.get(item.copy, item.copy))
        text = f"{mark} {item.name} · {kind} · {item.copies} {tr('bản', 'copies')} · {need}"
        return text + (scan_words(item) if digitise else "")

    def refresh_label(self) -> None:
        self.query_one(Label).update(self._text(self.item, self.digitise))


def scan_words(item: DocItem) -> str:
    """What the checklist row says of the item's scans (words, never a colour alone)."""
    if item.files:
        return " · " + tr(f"đã quét {len(item.files)} tệp", f"{len(item.files)} scan(s)")
    if (item.digitisation or {}).get("exempt") == "shown":
        return " · " + tr("xuất trình, không quét", "shown, no scan")
    if item.required and item.received:
        return " · " + tr("CHƯA QUÉT", "NOT SCANNED")
    return ""


class Checklist(ListView):
    BINDINGS = [
        Binding("space", "toggle_doc", "toggle_doc", id="doc_toggle"),
        Binding("plus,equals_sign", "copies(1)", "more_copies", id="doc_more"),
        Binding("minus", "copies(-1)", "fewer_copies", id="doc_fewer"),
        Binding("ctrl+a", "tick_all", "tick_all_docs", id="doc_all"),
        Binding("f", "scan", "attach_scan", id="doc_scan"),
        Binding("x", "shown", "doc_shown", id="doc_shown"),
    ]

    class ScanWanted(Message):
        """The clerk asked to attach a scan to the highlighted row."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The scan keys exist only where the counter digitises ([files] digitise).
        if action in ("scan", "shown"):
            return counter_app_of(self).services.settings.digitise
        return True

    def action_scan(self) -> None:
        if self._row() is not None and self.index is not None:
            self.post_message(self.ScanWanted(self.index))

    def action_shown(self) -> None:
        """Papers only shown (xuất trình) need no scan: TT 03/2025 Điều 5 khoản 2."""
        row = self._row()
        if row:
            shown = (row.item.digitisation or {}).get("exempt") == "shown"
            Scans.exempt_item(row.item, None if shown else "shown")
            row.refresh_label()
            self.post_message(self.Changed(self))

    def _row(self) -> DocRow | None:
        row = self.highlighted_child
        return row if isinstance(row, DocRow) else None

    def action_toggle_doc(self) -> None:
        row = self._row()
        if row:
            row.item.received = not row.item.received
            row.refresh_label()
            self.post_message(self.Changed(self))

    def action_tick_all(self) -> None:
        """Everything brought: one key instead of Space on each row."""
        for row in self.query(DocRow):
            row.item.received = True
            row.refresh_label()
        self.post_message(self.Changed(self))

    def action_copies(self, delta: int) -> None:
        row = self._row()
        if row:
            row.item.copies = max(1, min(20, row.item.copies + delta))
            row.refresh_label()

    class Changed(ListView.Highlighted):
        def __init__(self, checklist: Checklist) -> None:
            super().__init__(checklist, checklist.highlighted_child)


class ReceiveScreen(CounterScreen):
    TITLE = "title_receive"
    AUTO_FOCUS = "#cid"
    BINDINGS = [
        Binding("ctrl+s", "save", "save", id="save"),
        Binding("ctrl+r", "refuse", "refuse", id="refuse"),
        Binding("ctrl+n", "new", "new_form", id="new_form"),
    ]
    DEFAULT_CSS = """
    ReceiveScreen #form { width: 2fr; padding: 0 1; }
    ReceiveScreen #side { width: 1fr; border-left: solid $primary; padding: 0 1; }
    ReceiveScreen .field { height: auto; }
    ReceiveScreen .field > .lbl { width: 14; padding-top: 0; }
    ReceiveScreen .field > Input { width: 1fr; }
    ReceiveScreen .field > Select { width: 1fr; }
    ReceiveScreen .msg { color: $error; height: auto; }
    ReceiveScreen .check { color: $warning; height: auto; }
    ReceiveScreen .info { color: $text-muted; height: auto; }
    ReceiveScreen #proc_list { height: 5; border: none; margin-left: 14; }
    ReceiveScreen #checklist { height: auto; max-height: 8; }
    ReceiveScreen #due { text-style: bold; height: auto; }
    """

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
                yield field(
                    tr("Số CCCD / QR", "Citizen ID / QR"),
                    Input(
                        placeholder=tr(
                            "12 số, hoặc quét mã QR trên thẻ", "12 digits, or scan the card QR"
                        ),
                        id="cid",
                        max_length=400,
                    ),
                )
                yield Note(id="cid_msg", classes="info")
                yield field(
                    tr("Họ và tên", "Full name"),
                    # max_length well above the limit: a longer value is refused with the
                    # limit named (domain/forms.py, LIMITS), never cut short silently.
                    Input(placeholder=tr("chủ hồ sơ", "dossier owner"), id="name", max_length=1000),
                )
                yield Note(id="name_msg", classes="check")
                yield field(
                    tr("Ngày sinh", "Birth date"),
                    Input(
                        placeholder=tr("dd/mm/yyyy hoặc ddmmyyyy", "dd/mm/yyyy or ddmmyyyy"),
                        id="birth",
                        max_length=10,
                    ),
                )
                yield Note(id="birth_msg", classes="msg")
                yield field(
                    tr("Điện thoại", "Phone"),
                    Input(placeholder="09xxxxxxxx", id="phone", max_length=15),
                )
                yield Note(id="phone_msg", classes="msg")
                yield field(
                    tr("Địa chỉ", "Address"),
                    Input(placeholder=tr("thường trú", "permanent"), id="address", max_length=1000),
                )
                yield Note(id="address_msg", classes="check")
                yield field(
                    tr("Thủ tục", "Procedure"),
                    PickerInput(
                        placeholder=tr(
                            "gõ mã hoặc tên, không cần dấu; Enter chọn",
                            "type a code or words of the name; Enter picks",
                        ),
                        id="proc",
                        max_length=100,
                    ),
                )
                yield OptionList(id="proc_list", markup=False)
                yield Note(id="proc_info", classes="info")
                yield Label(
                    tr(
                        "Giấy tờ (Space: đã nhận, Ctrl+A: đủ tất cả, +/-: số bản)",
                        "Documents (Space: received, Ctrl+A: all, +/-: copies)",
                    ),
                    classes="lbl",
                )
                yield Checklist(id="checklist")
                yield Note(id="checklist_msg", classes="check")
                yield field(
                    tr("Người nộp", "Submitter"),
                    Input(
                        placeholder=tr("nếu không phải chủ hồ sơ", "if not the owner"),
                        id="submitter",
                        max_length=1000,
                    ),
                )
                yield Note(id="submitter_msg", classes="msg")
                yield field(
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
                yield DataTable(id="history", cursor_type="row")
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
        table = self.query_one("#history", DataTable)
        table.add_columns(
            *(
                tr(v, e)
                for v, e in (
                    ("Mã hồ sơ", "Code"),
                    ("Thủ tục", "Procedure"),
                    ("Trạng thái", "Status"),
                    ("Hẹn trả", "Due"),
                )
            )
        )
        self._show_procedures("")
        for inp in self.query(Input):
            # Tabbing into a filled field puts the cursor at its end: typing adds to it
            # (a phone from the citizen's history was overwritten by the next keystroke).
            inp.select_on_focus = False

    # --- citizen ID and card QR -----------------------------------------------------------

    @on(Input.Changed, "#cid")
    def _cid_changed(self, event: Input.Changed) -> None:
        value = event.value
        msg = self.query_one("#cid_msg", Static)
        if "|" in value:
            msg.update(tr("Đang nhận mã QR…", "Reading the QR code…"))
            return
        digits = normalize(value)
        if not digits:
            msg.update("")
            return
        if not digits.isdigit():
            msg.set_classes("msg")
            msg.update(tr("Số CCCD chỉ gồm chữ số.", "A citizen ID has digits only."))
            return
        if len(digits) in (9, 12):
            self._check_id(digits)
        else:
            msg.set_classes("info")
            msg.update(tr(f"{len(digits)}/12 chữ số", f"{len(digits)}/12 digits"))

    @on(Input.Submitted, "#cid")
    def _cid_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if looks_like_card_qr(value):
            self._apply_card(value)
        elif value:
            self._check_id(normalize(value))
            self.query_one("#name", Input).focus()

    def _today(self) -> date:
        return self.services.clock().date()

    def _check_id(self, digits: str) -> bool:
        msg = self.query_one("#cid_msg", Static)
        try:
            parsed = parse_any_id(digits, today=self._today())
        except IdError as exc:
            msg.set_classes("msg")
            msg.update(say(exc))
            return False
        msg.set_classes("info")
        if isinstance(parsed, CitizenId):
            msg.update(
                tr(
                    f"✓ {parsed.gender.vi} · sinh năm {parsed.birth_year} · ",
                    f"✓ {parsed.gender.value} · born {parsed.birth_year} · ",
                )
                + say(parsed.birth_registration)
            )
            self._load_citizen(parsed.number)
        else:
            msg.update(tr("✓ Số CMND cũ (9 số)", "✓ Old 9-digit CMND"))
        return True

    def _apply_card(self, payload: str) -> None:
        msg = self.query_one("#cid_msg", Static)
        try:
            card = parse_card_qr(payload, today=self._today())
        except IdError as exc:
            # The scanned text stays in the field so it can be read; the reason is shown.
            msg.set_classes("msg")
            msg.update(
                tr("Mã QR không dùng được: ", "Card QR refused: ")
                + say(exc)
                + tr(" Nội dung quét: ", " Scanned: ")
                + payload
            )
            return
        self.card = card
        self.query_one("#cid", Input).value = card.citizen_id.number
        self.query_one("#name", Input).value = card.full_name
        self.query_one("#birth", Input).value = f"{card.birth_date:%d/%m/%Y}"
        self.query_one("#address", Input).value = card.address
        for key, place in (("full_name", "#name_msg"), ("address", "#address_msg")):
            problem = card.check.get(key)
            note = self.query_one(place, Static)
            note.set_classes("check")
            note.update(say(problem) if problem else "")
        msg.set_classes("info")
        msg.update(
            tr(f"✓ Đã đọc thẻ: {card.gender.vi}", f"✓ Card read: {card.gender.value}")
            + f" · {card.birth_date:%d/%m/%Y}"
        )
        self.query_one("#phone", Input).focus()

    def _load_citizen(self, number: str) -> None:
        # One shard read (the citizen ID is the partition key): milliseconds, so inline.
        desk = self.services.desk
        self._show_citizen(desk.citizen_history(number), desk.citizen(number))

    def _show_citizen(self, dossiers: list[Dossier], citizen: Applicant | None) -> None:
        table = self.query_one("#history", DataTable)
        table.clear()
        for d in dossiers[:50]:
            add_plain_row(
                table,
                d.code,
                d.procedure_name[:28],
                d.state.label(language()) if d.state else "",
                f"{d.due:%d/%m}" if d.due else "",
            )
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

    @on(Input.Changed, "#proc")
    def _proc_changed(self, event: Input.Changed) -> None:
        self._show_procedures(event.value)

    def _show_procedures(self, query: str) -> None:
        hits = self.services.desk.catalog.search(query, self._today(), limit=30)
        ol = self.query_one("#proc_list", OptionList)
        ol.clear_options()
        ol.add_options(
            [Option(f"{h.procedure.code}  {h.procedure.name}", id=h.procedure.code) for h in hits]
        )
        if hits:
            ol.highlighted = 0

    @on(Input.Submitted, "#proc")
    def _proc_submitted(self) -> None:
        ol = self.query_one("#proc_list", OptionList)
        if ol.highlighted is not None and ol.option_count:
            self._choose(ol.get_option_at_index(ol.highlighted).id or "")
            self.query_one("#checklist", Checklist).focus()

    @on(OptionList.OptionSelected, "#proc_list")
    def _proc_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id or "")

    def _choose(self, code: str) -> None:
        try:
            p = self.services.desk.procedure(code)
        except DomainError as exc:
            self.query_one("#proc_info", Static).update(say(exc))
            return
        self.procedure = p
        fee = fee_text(p.fee_amount)
        warn = (
            tr(" · ⚠ cần xác nhận với tỉnh: ", " · ⚠ to confirm with the province: ")
            + uncertain_words(list(p.uncertain))
            if p.uncertain
            else ""
        )
        self.query_one("#proc_info", Static).update(
            f"✓ {p.code} {p.name} · {p.field} · {processing_words(p)} · "
            f"{tr('Phí', 'Fee')}: {fee}{warn}"
        )
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
        field_id = next(k for k, v in ERROR_FIELDS.items() if v == f"#{event.input.id}")
        place = self.query_one(ERROR_PLACES[field_id], Static)
        errors = []
        if event.value.strip():  # an empty field is only wrong at save, when it is needed
            parsed = parse_applicant(self._form(), self._today())
            errors = [e for e in parsed if e.field == field_id] if isinstance(parsed, list) else []
        if errors:
            place.set_classes("msg")
            place.update(say(errors[0].msg))
            return
        if place.has_class("msg"):
            place.update("")
        if field_id == "birth_date" and event.value.strip():
            # Typed as 15081990 or 15-8-1990: shown back as the form prints it.
            event.input.value = f"{parse_day(event.value):%d/%m/%Y}"

    def _collect(self) -> Dossier | None:
        """The draft dossier, or None with the problems shown beside their fields."""
        form = self._form()
        for place in ("#birth_msg", "#phone_msg", "#submitter_msg"):
            self.query_one(place, Static).update("")
        parsed = parse_applicant(form, self._today())
        if isinstance(parsed, list):
            for error in self.query_one(ReceiptExtras).show_errors(parsed):
                where = self.query_one(ERROR_PLACES[error.field], Static)
                if error.field in ("citizen_id", "full_name", "address"):
                    where.set_classes("msg")
                where.update(say(error.msg))
            # The cursor goes to the first field at fault on the form (the 2025 fields
            # below it place their own messages).
            order = list(ERROR_FIELDS)
            placed = [e for e in parsed if e.field in ERROR_FIELDS]
            if placed:
                first = min(placed, key=lambda e: order.index(e.field))
                self.query_one(ERROR_FIELDS[first.field]).focus()
            self.query_one("#save_msg", Static).update(
                tr("Chưa lưu: kiểm tra ", "Not saved: check ")
                + ", ".join(say(e.label) for e in parsed)
                + "."
            )
            return None
        typed_id = parsed.applicant.citizen_id or parsed.applicant.legacy_id
        if typed_id:
            self._check_id(typed_id)  # the ✓ line and the citizen's history
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
            extras.show_errors(fee)
            self.query_one("#save_msg", Static).update(
                tr("Chưa lưu: kiểm tra ", "Not saved: check ") + say(fee[0].label) + "."
            )
            return None
        extras.show_errors([])
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
        for s in (
            "#cid_msg",
            "#name_msg",
            "#birth_msg",
            "#phone_msg",
            "#address_msg",
            "#submitter_msg",
            "#proc_info",
            "#checklist_msg",
            "#due",
            "#save_msg",
        ):
            self.query_one(s, Static).update("")
        self.query_one("#checklist", Checklist).clear()
        self.query_one("#history", DataTable).clear()
        self.query_one("#return_method", Select).value = "counter"
        self.query_one(ReceiptExtras).clear()
        self.query_one(ReceiptExtras).set_agencies([])
        self.procedure, self.documents, self.card = None, [], None
        self.opened_at = time.time()  # the scanner folder lists what appears from now on
        self._show_procedures("")
        self.query_one("#cid", Input).focus()
