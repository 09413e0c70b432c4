"""The receive form's TT 03/2025 fields: the owner's email, the submitter acting for the owner
(ID number, phone, address, email, authorisation paper) and the fee paid at receipt.

Composed into the receive screen in one line; it only collects text, the domain form
parser (``domain.forms``) checks it and this widget shows each field's error beside it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from counter_tui.domain.dossier import FEE_METHOD_NAMES
from counter_tui.domain.forms import FeeForm, FieldError
from counter_tui.ui.i18n import say, tr

# The fields this widget owns, by the id the form parser names in its errors.
FIELDS = ("email", "submitter_id", "submitter_phone", "submitter_address", "submitter_email")
FIELDS_ALL = (*FIELDS, "authorisation", "fee_method", "fee_receipt")


def _row(label: str, widget: Input | Select[str]) -> Horizontal:
    return Horizontal(Label(label, classes="lbl"), widget, classes="field")


class ReceiptExtras(Vertical):
    DEFAULT_CSS = """
    ReceiptExtras { height: auto; }
    ReceiptExtras #extras_msg { color: $error; height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield _row(
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
        yield _row(
            tr("Số định danh", "ID number"),
            Input(placeholder=tr("của người nộp thay", "of the submitter"), id="submitter_id",
                  max_length=20),
        )  # fmt: skip
        yield _row(
            tr("Điện thoại", "Phone"),
            Input(placeholder="09xxxxxxxx", id="submitter_phone", max_length=15),
        )
        yield _row(
            tr("Địa chỉ", "Address"),
            Input(id="submitter_address", max_length=200),
        )
        yield _row(tr("Email", "Email"), Input(id="submitter_email", max_length=100))
        yield _row(
            tr("Giấy ủy quyền", "Authorisation"),
            Input(
                placeholder=tr("số, ngày của giấy ủy quyền", "number and date of the paper"),
                id="authorisation",
                max_length=200,
            ),
        )
        yield _row(
            tr("Phí khi nhận", "Fee at receipt"),
            Select(
                [(tr(m.vi, m.en), k) for k, m in FEE_METHOD_NAMES.items()],
                prompt=tr("Không thu khi tiếp nhận", "Not collected at receipt"),
                id="fee_method",
            ),
        )
        yield _row(
            tr("Số biên lai", "Receipt no."),
            Input(
                placeholder=tr("biên lai thu phí", "fee receipt"), id="fee_receipt", max_length=40
            ),
        )
        # Shown only for a procedure this counter receives for another agency (receipt
        # regardless of boundary): which agency handles it.
        yield _row(
            tr("Cơ quan giải quyết", "Handled by"),
            Select([], prompt=tr("Cơ quan này", "This office"), id="handling_agency"),
        )
        yield Static("", id="extras_msg", markup=False)

    def on_mount(self) -> None:
        self.set_agencies([])

    def set_agencies(self, agencies: list[tuple[str, str]]) -> None:
        """The agencies (name, code) the chosen procedure may be received for; none: hidden."""
        select = self.query_one("#handling_agency", Select)
        select.set_options(agencies)
        parent = select.parent
        if parent is not None:
            parent.display = bool(agencies)

    def handling_agency(self) -> str:
        value = self.query_one("#handling_agency", Select).value
        return value if isinstance(value, str) else ""

    def _text(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def applicant_fields(self) -> dict[str, str]:
        """The keyword arguments of ``ApplicantForm`` this widget holds."""
        return {f: self._text(f) for f in (*FIELDS, "authorisation")}

    def fee_form(self) -> FeeForm:
        method = self.query_one("#fee_method", Select).value
        return FeeForm(
            method=method if isinstance(method, str) else "", receipt_no=self._text("fee_receipt")
        )

    def show_errors(self, errors: list[FieldError]) -> list[FieldError]:
        """Show the errors of this widget's fields; return the others for the screen."""
        mine = [e for e in errors if e.field in FIELDS_ALL or e.field == "submitter"]
        self.query_one("#extras_msg", Static).update(
            "\n".join(f"{say(e.label)}: {say(e.msg)}" for e in mine)
        )
        return [e for e in errors if e not in mine]

    def clear(self) -> None:
        for inp in self.query(Input):
            inp.value = ""
        self.query_one("#fee_method", Select).clear()
        self.query_one("#extras_msg", Static).update("")
