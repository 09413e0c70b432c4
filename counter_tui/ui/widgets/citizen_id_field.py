"""The receive form's first field: a citizen ID (12 digits, or an old 9-digit CMND) checked
as it is typed, or the QR code of a chip card scanned into it.

Its line says what the number tells (gender, birth year, where the birth was registered)
or why it is refused; a card that cannot be used keeps its scanned text in the field with
the reason beside it. The screen hears of a valid citizen ID through ``Identified`` (to
show the citizen's dossiers) and takes a read card from :meth:`CitizenIdField.read_card`.
"""

from __future__ import annotations

from datetime import date

from textual import on
from textual.message import Message
from textual.widgets import Input

from counter_tui.domain.citizen_id import (
    CardRecord,
    CitizenId,
    IdError,
    normalize,
    parse_any_id,
    parse_card_qr,
)
from counter_tui.ui.i18n import say, tr
from counter_tui.ui.screens.base import counter_app_of
from counter_tui.ui.widgets.form_field import INFO, FormField


class CitizenIdField(FormField):
    """The ``citizen_id`` field (``#cid``, its line ``#cid_msg``)."""

    class Identified(Message):
        """A valid 12-digit citizen ID is in the field."""

        def __init__(self, number: str) -> None:
            super().__init__()
            self.number = number

    def __init__(self) -> None:
        super().__init__(
            "citizen_id",
            tr("Số CCCD / QR", "Citizen ID / QR"),
            Input(
                placeholder=tr("12 số, hoặc quét mã QR trên thẻ", "12 digits, or scan the card QR"),
                id="cid",
                max_length=400,
            ),
            message_id="cid_msg",
            tone=INFO,
        )

    def _today(self) -> date:
        return counter_app_of(self).services.clock().date()

    @on(Input.Changed, "#cid")
    def _typed(self, event: Input.Changed) -> None:
        value = event.value
        if "|" in value:
            self.say(tr("Đang nhận mã QR…", "Reading the QR code…"), INFO)
            return
        digits = normalize(value)
        if not digits:
            self.clear()
            return
        if not digits.isdigit():
            self.say(tr("Số CCCD chỉ gồm chữ số.", "A citizen ID has digits only."))
            return
        if len(digits) in (9, 12):
            self.check(digits)
        else:
            self.say(tr(f"{len(digits)}/12 chữ số", f"{len(digits)}/12 digits"), INFO)

    def check(self, digits: str) -> bool:
        """Say what the number tells, or why it is refused; True when it is a valid ID."""
        try:
            parsed = parse_any_id(digits, today=self._today())
        except IdError as exc:
            self.show(exc)
            return False
        if isinstance(parsed, CitizenId):
            self.say(
                tr(
                    f"✓ {parsed.gender.vi} · sinh năm {parsed.birth_year} · ",
                    f"✓ {parsed.gender.value} · born {parsed.birth_year} · ",
                )
                + say(parsed.birth_registration),
                INFO,
            )
            self.post_message(self.Identified(parsed.number))
        else:
            self.say(tr("✓ Số CMND cũ (9 số)", "✓ Old 9-digit CMND"), INFO)
        return True

    def read_card(self, payload: str) -> CardRecord | None:
        """The card a scanned QR describes, its number put in the field; None (the reason
        said, the scanned text left in the field to be read) when it cannot be used."""
        try:
            card = parse_card_qr(payload, today=self._today())
        except IdError as exc:
            self.say(
                tr("Mã QR không dùng được: ", "Card QR refused: ")
                + say(exc)
                + tr(" Nội dung quét: ", " Scanned: ")
                + payload
            )
            return None
        self.query_one("#cid", Input).value = card.citizen_id.number
        self.say(
            tr(f"✓ Đã đọc thẻ: {card.gender.vi}", f"✓ Card read: {card.gender.value}")
            + f" · {card.birth_date:%d/%m/%Y}",
            INFO,
        )
        return card
