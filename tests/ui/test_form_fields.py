"""Forms place their own errors (issue 21): on F2 and F4 each message the domain's parser or
state machine gives lands under the field it names (``FieldError.field``), the cursor goes to
the first field at fault on the form, nothing is saved, and a fixed field's message goes."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import Input, Select, Static

from tests.ui.conftest import seed


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_receive_puts_each_error_under_its_field_and_the_cursor_on_the_first(app, services):
    async with app.run_test(size=(130, 60)) as pilot:
        await pilot.press("f2")
        s = app.screen
        s.query_one("#cid", Input).value = "079185000001"
        s.query_one("#name", Input).value = "Trần Thị Bình"
        s.query_one("#birth", Input).value = "31/02/1990"
        s.query_one("#phone", Input).value = "12345"
        s.query_one("#submitter", Input).value = "Phạm Văn 😀"
        await pilot.pause()
        s.query_one("#address", Input).focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Ngày sinh phải dạng dd/mm/yyyy" in text(app, "#birth_msg")
        assert "Số điện thoại không hợp lệ" in text(app, "#phone_msg")
        # The submitter's message is under the submitter (it was in the 2025 block below).
        assert "😀" in text(app, "#submitter_msg")
        assert "Thủ tục" in text(app, "#save_msg")  # no procedure: named in the summary
        assert app.focused is s.query_one("#birth", Input)  # first at fault, form order
        assert services.desk.recent() == []
        # Fixed and left: its message goes, the others stay until they are fixed too.
        s.query_one("#birth", Input).value = "15/08/1990"
        s.query_one("#phone", Input).focus()
        await pilot.pause()
        assert text(app, "#birth_msg") == ""
        assert "Số điện thoại không hợp lệ" in text(app, "#phone_msg")


async def test_hand_over_puts_parser_and_state_machine_errors_under_their_fields(
    app, services, clock
):
    (d,) = seed(
        services.desk,
        clock,
        [("Võ Văn Em", "048090000002", "0912000002", "1.004873", datetime(2026, 11, 19, 9), 9)],
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        s = app.screen
        key = s.query_one("#ho_key", Input)
        key.value = d.code
        key.focus()
        await pilot.press("enter")
        await pilot.pause()
        s.query_one("#ho_id", Input).value = "0480900"  # 7 digits
        s.query_one("#ho_fee", Input).value = "1.2.x"
        s.query_one("#ho_name", Input).focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "chỉ gồm chữ số" in text(app, "#ho_id_msg")
        assert "phải là số tiền" in text(app, "#ho_fee_msg")
        assert text(app, "#ho_name_msg") == ""
        assert app.focused is s.query_one("#ho_id", Input)
        assert services.desk.dossier(d.uid).handover is None
        # The state machine's refusal names its field too: an authorised person needs an ID.
        s.query_one("#ho_relation", Select).value = "authorised"
        s.query_one("#ho_id", Input).value = ""
        s.query_one("#ho_fee", Input).value = "0"
        s.query_one("#ho_name", Input).value = "Võ Thị Hoa"
        s.query_one("#ho_name", Input).focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert text(app, "#ho_id_msg") != "" and text(app, "#ho_fee_msg") == ""
        assert text(app, "#ho_id_msg") in text(app, "#ho_msg")
        assert app.focused is s.query_one("#ho_id", Input)
        assert services.desk.dossier(d.uid).handover is None
        # The authorised receiver's fields, side by side, place theirs too.
        s.query_one("#ho_id", Input).value = "001099004321"
        s.query_one("#ho_phone", Input).value = "123"
        s.query_one("#ho_name", Input).focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Số điện thoại không hợp lệ" in text(app, "#ho_phone_msg")
        assert text(app, "#ho_id_msg") == ""
        assert app.focused is s.query_one("#ho_phone", Input)
        assert services.desk.dossier(d.uid).handover is None
