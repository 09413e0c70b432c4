"""Issue 15, a clerk's whole day: each test is one thing that misled or slowed a clerk.

The real app on a real store in a temp dir (tests/ui/conftest.py), driven with Pilot.
"""

from __future__ import annotations

from textual.widgets import Input, Static

from counter_tui.ui.screens.receive import ReceiveScreen


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def scan(pilot, payload: str) -> None:
    field = pilot.app.screen.query_one("#cid", Input)
    field.value = payload
    field.focus()
    await pilot.press("enter")  # the scanner ends its payload with Enter
    await pilot.pause()


# --- 1. a rejected card QR says why and keeps what was scanned ----------------------------


async def test_a_refused_card_qr_says_why_and_keeps_the_scan(app):
    # The ID says male (century digit 0), the QR says female.
    payload = "001203012345|012345678|Nguyễn Văn An|15042003|Nữ|Số 1 Hàng Bạc|01052021"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        assert isinstance(app.screen, ReceiveScreen)
        await scan(pilot, payload)
        msg = text(app, "#cid_msg")
        assert "Mã QR không dùng được" in msg and "Giới tính trong mã QR (Nữ)" in msg
        assert app.screen.query_one("#cid", Input).value == payload
        year = "001203012345|012345678|Nguyễn Văn An|15041990|Nam|Số 1 Hàng Bạc|01052021"
        await scan(pilot, year)
        assert "Năm sinh trong mã QR (1990)" in text(app, "#cid_msg")


async def test_a_mojibake_card_qr_is_read_back_and_flagged(app):
    payload = "001203012345|012345678|Tráº§n Thá»‹ Hoa|15042003|Nam|Số 1 Hàng Bạc|01052021"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await scan(pilot, payload)
        assert app.screen.query_one("#name", Input).value == "Trần Thị Hoa"
        assert "sai bảng mã" in text(app, "#name_msg")
        assert "Trần Thị Hoa" in text(app, "#name_msg")


# --- 2. text in brackets is shown as typed, never taken for markup -------------------------


async def pick_procedure(pilot, code: str) -> None:
    field = pilot.app.screen.query_one("#proc", Input)
    field.value = code
    await pilot.pause()
    field.focus()
    await pilot.press("enter")
    await pilot.pause()


async def test_a_ticked_document_keeps_its_box(app):
    from textual.widgets import Label

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await pick_procedure(pilot, "1.004873")
        checklist = app.screen.query_one("#checklist")
        first = checklist.children[0].query_one(Label)
        assert str(first.render()).startswith("[ ] ")
        await pilot.press("space")
        await pilot.pause()
        assert str(first.render()).startswith("[x] ")


async def test_help_names_the_keys_section_in_brackets(app):
    from textual.widgets import DataTable

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one("#help_keys", DataTable)
        headers = [str(c.label) for c in table.columns.values()]
        assert any("[keys]" in h for h in headers)

