"""The receive form's TT 03/2025 fields: the owner's email, the submitter acting for the owner
(ID number, phone, address, email, authorisation paper) and the fee paid at receipt.

Composed into the receive screen in one line; it only collects text. Each field is a
:class:`FormField` keyed by the id the domain form parser (``domain.forms``) names in its
errors, so the screen's one ``place_errors`` puts each message under its field here too.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Select

from counter_tui.domain.dossier import FEE_METHOD_NAMES
from counter_tui.domain.forms import FeeForm
from counter_tui.ui.i18n import tr
from counter_tui.ui.widgets.form_field import FormField, fields_in

# The fields this widget holds for ``ApplicantForm``, by the id the form parser names.
FIELDS = (
    "email",
    "submitter_id",
    "submitter_phone",
    "submitter_address",
    "submitter_email",
    "authorisation",
)


def _field(key: str, label: str, widget: Input | Select[str]) -> FormField:
    return FormField(key, label, widget, message_id=f"{key}_msg")


class ReceiptExtras(Vertical):
    DEFAULT_CSS = """
    ReceiptExtras { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield _field(
            "email",
            tr("Email", "Email"),
            Input(placeholder=tr("chủ hồ sơ", "the owner's"), id="email", max_length=100),
        )
        yield Label(
            tr(
                "Người nộp thay (để trống nếu chủ hồ sơ tự nộp):",
                "Submitting for the owner (leave empty if the owner submits):",
            ),
            classes="info",
        )
        yield _field(
            "submitter_id",
            tr("Số định danh", "ID number"),
            Input(placeholder=tr("của người nộp thay", "of the submitter"), id="submitter_id",
                  max_length=20),
        )  # fmt: skip
        yield _field(
            "submitter_phone",
            tr("Điện thoại", "Phone"),
            Input(placeholder="09xxxxxxxx", id="submitter_phone", max_length=15),
        )
        yield _field(
            "submitter_address",
            tr("Địa chỉ", "Address"),
            Input(id="submitter_address", max_length=200),
        )
        yield _field(
            "submitter_email",
            tr("Email", "Email"),
            Input(id="submitter_email", max_length=100),
        )
        yield _field(
            "authorisation",
            tr("Giấy ủy quyền", "Authorisation"),
            Input(
                placeholder=tr("số, ngày của giấy ủy quyền", "number and date of the paper"),
                id="authorisation",
                max_length=200,
            ),
        )
        yield _field(
            "fee_method",
            tr("Phí khi nhận", "Fee at receipt"),
            Select(
                [(tr(m.vi, m.en), k) for k, m in FEE_METHOD_NAMES.items()],
                prompt=tr("Không thu khi tiếp nhận", "Not collected at receipt"),
                id="fee_method",
            ),
        )
        yield _field(
            "fee_receipt",
            tr("Số biên lai", "Receipt no."),
            Input(
                placeholder=tr("biên lai thu phí", "fee receipt"), id="fee_receipt", max_length=40
            ),
        )
        # Shown only for a procedure this counter receives for another agency (receipt
        # regardless of boundary): which agency handles it.
        yield _field(
            "handling_agency",
            tr("Cơ quan giải quyết", "Handled by"),
            Select([], prompt=tr("Cơ quan này", "This office"), id="handling_agency"),
        )

    def on_mount(self) -> None:
        self.set_agencies([])

    def set_agencies(self, agencies: list[tuple[str, str]]) -> None:
        """The agencies (name, code) the chosen procedure may be received for; none: hidden."""
        self.query_one("#handling_agency", Select).set_options(agencies)
        fields_in(self)["handling_agency"].display = bool(agencies)

    def handling_agency(self) -> str:
        value = self.query_one("#handling_agency", Select).value
        return value if isinstance(value, str) else ""

    def _text(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def applicant_fields(self) -> dict[str, str]:
        """The keyword arguments of ``ApplicantForm`` this widget holds."""
        return {f: self._text(f) for f in FIELDS}

    def fee_form(self) -> FeeForm:
        method = self.query_one("#fee_method", Select).value
        return FeeForm(
            method=method if isinstance(method, str) else "", receipt_no=self._text("fee_receipt")
        )

    def clear(self) -> None:
        for inp in self.query(Input):
            inp.value = ""
        self.query_one("#fee_method", Select).clear()
        for field in self.query(FormField):
            field.clear()
