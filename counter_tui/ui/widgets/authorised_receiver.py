"""The hand-over's TT 03/2025 fields for an authorised receiver: address, phone and the
authorisation paper (the receiver's ID is checked like any citizen ID by the form parser).

Composed into the hand-over screen in one line; it only collects text.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input

from counter_tui.ui.i18n import tr


class AuthorisedReceiver(Horizontal):
    DEFAULT_CSS = """
    AuthorisedReceiver { height: auto; }
    AuthorisedReceiver > Input { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder=tr("Địa chỉ người được ủy quyền", "Authorised receiver's address"),
            id="ho_address",
            max_length=200,
        )
        yield Input(
            placeholder=tr("Điện thoại người được ủy quyền", "Their phone"),
            id="ho_phone",
            max_length=15,
        )
        yield Input(
            placeholder=tr("Giấy ủy quyền (số, ngày)", "Authorisation paper (number, date)"),
            id="ho_authorisation",
            max_length=200,
        )

    def values(self) -> dict[str, str]:
        """The keyword arguments of ``HandOverForm`` this widget holds."""
        return {
            "receiver_address": self.query_one("#ho_address", Input).value,
            "receiver_phone": self.query_one("#ho_phone", Input).value,
            "authorisation": self.query_one("#ho_authorisation", Input).value,
        }
