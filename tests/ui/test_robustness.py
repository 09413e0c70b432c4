"""Bad input anywhere shows a message and changes nothing; the app never crashes on input."""

from __future__ import annotations

import random

from textual.widgets import Input

from counter_tui.ui.screens.dialogs import (
    ChoicePicker,
    ConfirmDialog,
    FieldsDialog,
    ReasonDialog,
    SlipScreen,
)

NASTY = [
    "",
    " ",
    "|",
    "||||||",
    "001203012345|||||",
    "001203012345||x|99999999|?|y|00000000",
    "0" * 400,
    "💥🇻🇳",
    "\x00\x01",
    "Nguyễn\tVăn",
    "' OR 1=1 --",
    "../../etc/passwd",
    "000.00.00.H56-999999-99999",
    "+84",
    "-1",
    "1e9",
    "ĐĐĐĐ",
    "[b]markup[/b]",
    "[red",
    "%s%n",
]


async def test_random_input_on_every_screen_never_crashes(app, services):
    rng = random.Random(2026)
    async with app.run_test(size=(100, 30)) as pilot:
        for screen_key in ("f2", "f3", "f4", "f5", "f6"):
            await pilot.press(screen_key)
            for _ in range(12):
                for inp in list(app.screen.query(Input)):
                    inp.value = rng.choice(NASTY) + rng.choice(NASTY)
                await pilot.pause()
                for key in rng.sample(
                    [
                        "ctrl+s",
                        "ctrl+r",
                        "enter",
                        "ctrl+n",
                        "tab",
                        "ctrl+y",
                        "ctrl+k",
                        "pagedown",
                        "ctrl+t",
                        "ctrl+l",
                        "f9",
                        "f10",
                    ],
                    3,
                ):
                    await pilot.press(key)
                    await pilot.pause()
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                    if isinstance(
                        app.screen,
                        ConfirmDialog | ReasonDialog | SlipScreen | FieldsDialog | ChoicePicker,
                    ):
                        await pilot.press("escape")
                        await pilot.pause()
            assert app.is_running
    assert services.store.dossiers.count() == 0
    assert services.store.outbox.pending_count() == 0


async def test_names_that_look_like_markup_are_shown_as_typed(app, services, clock):
    from datetime import datetime

    from tests.ui.conftest import seed

    d = seed(
        services.desk,
        clock,
        [
            (
                "[/b] Lê [red",
                "001203012345",
                "0912345678",
                "1.004873",
                datetime(2026, 11, 20, 9),
                9,
            ),
        ],
    )[0]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        app.screen.query_one("#query", Input).value = "001203012345"
        await pilot.pause()
        from textual.widgets import DataTable

        table = app.screen.query_one("#results", DataTable)
        assert "[/b] Lê [red" in str(table.get_row_at(0)[1])
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "[/b] Lê [red" in str(app.screen.query_one("#summary").render())
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert d.code in str(app.screen.query_one("#ho_info").render())


async def test_nasty_input_in_the_dossier_dialogs_never_crashes(app, services, clock):
    from datetime import datetime

    from counter_tui.ui.screens.dossier import DossierScreen
    from tests.ui.conftest import seed

    d = seed(
        services.desk,
        clock,
        [("Vũ Thị Hà", "001203000077", "0912000077", "1.004873", datetime(2026, 11, 16, 9), 2)],
    )[0]
    rng = random.Random(7)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(DossierScreen(d.uid))
        await pilot.pause()
        for key in ("ctrl+r", "ctrl+r", "ctrl+r", "f10"):
            await pilot.press(key)
            await pilot.pause()
            for _ in range(6):
                for inp in list(app.screen.query(Input)):
                    inp.value = rng.choice(NASTY)
                    inp.focus()
                await pilot.press("enter")
                await pilot.pause()
            while not isinstance(app.screen, DossierScreen):
                await pilot.press("escape")
                await pilot.pause()
        assert app.is_running
    # No nasty string is a valid working-day date after the due date: nothing rescheduled.
    assert services.desk.dossier(d.uid).reschedules == 0
