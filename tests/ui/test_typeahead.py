"""Keys typed ahead land in the field the clerk meant, even when they arrive in one burst.

A terminal delivers what was typed during a busy moment in one read; the
driver then posts one Key event per key to the app without waiting. These
tests post the events the same way (``burst``), which is the only way to get
keys ahead of the app's handling in a test: Pilot.press waits after each key.
"""

from __future__ import annotations

import re
from datetime import datetime

from textual import events
from textual.widgets import Input

from counter_tui.ui.screens.dialogs import FieldsDialog, ReasonDialog
from counter_tui.ui.screens.dossier import DossierScreen
from counter_tui.ui.screens.lookup import LookupScreen
from counter_tui.ui.screens.receive import ReceiveScreen
from tests.ui.conftest import seed

CHARS = {"tab": "\t", "enter": "\r", "escape": "\x1b", "space": " "}
NAMES = {" ": "space"}  # what the driver calls a typed character that is not its own name


async def burst(pilot, *keys: str) -> None:
    """Post keys as the terminal driver does; a multi-letter string is typed letter by letter."""
    for key in keys:
        names = [key] if re.fullmatch(r"ctrl\+\w|f\d+|tab|enter|escape|up|down", key) else key
        for name in (NAMES.get(n, n) for n in names):
            char = CHARS.get(name, name if len(name) == 1 else None)
            pilot.app.post_message(events.Key(name, char))
    for _ in range(10):
        await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def one_dossier(services, clock):
    row = ("Lê Văn Cường", "031090123456", "", "1.004873", datetime(2026, 11, 20, 9), 2)
    return seed(services.desk, clock, [row])[0]


def value(app, field: str) -> str:
    return app.screen.query_one(f"#{field}", Input).value


async def test_tab_in_a_burst_moves_on_before_the_next_letters(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        await burst(
            pilot, "079185000001", "tab", "Tran Thi Binh", "tab", "01/02/1985", "tab", "0912345678"
        )
        assert isinstance(app.screen, ReceiveScreen)
        assert value(app, "cid") == "079185000001"
        assert value(app, "name") == "Tran Thi Binh"
        assert value(app, "birth") == "01/02/1985"
        assert value(app, "phone") == "0912345678"


async def test_digits_typed_right_after_f2_reach_the_new_form(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen)
        await burst(pilot, "f2", "0791")
        assert isinstance(app.screen, ReceiveScreen)
        assert value(app, "cid") == "0791"
        # ... and not into the lookup's search field behind it.
        await pilot.press("f3")
        await pilot.pause()
        assert value(app, "query") == ""


async def test_enter_on_a_result_then_keys_for_the_dossier_screen(app, services, clock):
    d = one_dossier(services, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await burst(pilot, "031090123456", "down", "enter", "ctrl+w", "Khong can nua")
        # Down went to the results, Enter opened the dossier, Ctrl+W asked for the
        # withdrawal's reason, and the reason was typed into that dialog.
        assert isinstance(app.screen, ReasonDialog)
        assert value(app, "reason") == "Khong can nua"
        assert any(isinstance(s, DossierScreen) and s.uid == d.uid for s in app.screen_stack)


async def test_keys_after_esc_on_a_dialog_reach_the_screen_beneath(app, services, clock):
    d = one_dossier(services, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(DossierScreen(d.uid))
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, FieldsDialog)
        # Esc closes the dialog (its field goes away with the key's marker), Esc leaves the
        # dossier, and the letters are a search on the lookup screen.
        await burst(pilot, "escape", "escape", "cuong")
        assert isinstance(app.screen, LookupScreen)
        assert value(app, "query") == "cuong"
        assert services.desk.dossier(d.uid).reschedules == 0


async def test_the_setup_screen_takes_a_typed_ahead_burst_field_by_field(tmp_path):
    # An IT person who knows the form types the code, Tab, the name in one go: each part
    # lands in its own field (the setup app shares the counter app's type-ahead).
    from counter_tui.settings import Settings
    from counter_tui.ui.screens.setup import SetupApp

    app = SetupApp(Settings(), tmp_path / "counter.toml")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await burst(pilot, "001.23.45.H12", "tab", "UBND xa Thu Nghiem")
        assert app.screen.query_one("#office", Input).value == "001.23.45.H12"
        assert app.screen.query_one("#office_name", Input).value == "UBND xa Thu Nghiem"
