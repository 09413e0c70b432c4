"""The hand-over's TT 03/2025 fields for an authorised receiver: address, phone and the
authorisation paper (the receiver's ID is checked like any citizen ID by the form parser).

Composed into the hand-over screen in one line; it only collects text. The three inputs
stand side by side, each a :class:`FormField` keyed by the id the form parser names, so
an error (a bad phone) lands under its input like every other field's.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input

from counter_tui.ui.i18n import tr
from counter_tui.ui.widgets.form_field import FormField

# The widget's inputs by the ``HandOverForm`` field each holds.
INPUTS = {
    "receiver_address": "ho_address",
    "receiver_phone": "ho_phone",
    "authorisation": "ho_authorisation",
}


class AuthorisedReceiver(Horizontal):
    DEFAULT_CSS = """
    AuthorisedReceiver { height: auto; }
    AuthorisedReceiver > FormField { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        placeholders = {
            "receiver_address": tr("Địa chỉ người được ủy quyền", "Authorised receiver's address"),
            "receiver_phone": tr("Điện thoại người được ủy quyền", "Their phone"),
            "authorisation": tr("Giấy ủy quyền (số, ngày)", "Authorisation paper (number, date)"),
        }
        max_length = {"receiver_address": 200, "receiver_phone": 15, "authorisation": 200}
        for key, input_id in INPUTS.items():
            yield FormField(
                key,
                "",  # the placeholder names the field: three side by side leave no room
                Input(placeholder=placeholders[key], id=input_id, max_length=max_length[key]),
                message_id=f"{input_id}_msg",
                label_above=True,
            )

    def values(self) -> dict[str, str]:
        """The keyword arguments of ``HandOverForm`` this widget holds."""
        return {key: self.query_one(f"#{i}", Input).value for key, i in INPUTS.items()}
