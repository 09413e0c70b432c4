"""One language, chosen at start: importing the app fixes no words; started in English,
the footer, the F1 help and the screens speak English, and in Vietnamese, Vietnamese."""

from __future__ import annotations

from textual.widgets import DataTable
from textual.widgets._footer import FooterKey  # the footer's key widget (no public name)

import counter_tui.ui.app as app_module  # imported before any language is chosen
from counter_tui.launch import make_services
from counter_tui.ui.screens.help import HelpScreen
from tests.ui.conftest import settings


def footer_words(app) -> list[str]:
    return [k.description for k in app.screen.query(FooterKey)]


async def test_started_in_english_the_footer_and_the_help_speak_english(tmp_path, clock):
    s = make_services(
        settings(language="en", print_folder=str(tmp_path / "out")),
        clock=clock,
        data=tmp_path / "cache",
        start_sync=False,
    )
    app = app_module.build_app(s)
    try:
        async with app.run_test(size=(200, 40)) as pilot:
            await pilot.pause()
            words = footer_words(app)
            assert {"Help", "Receive", "Look up", "Hand over", "All", "Overdue"} <= set(words)
            assert "Tiếp nhận" not in words and "Tra cứu" not in words
            await pilot.press("f2")
            await pilot.pause()
            assert "Save and print receipt" in footer_words(app)
            await pilot.press("f1")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            table = app.screen.query_one("#help_keys", DataTable)
            actions = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
            assert {"Save and print receipt", "Refuse", "Receive", "Quit"} <= actions
            # The screen's title is a word too: the help names the screen in English.
            heading = str(app.screen.query_one("#help_scroll Label").render())
            assert "Keys — Receive a dossier" in heading
            await pilot.press("escape", "f4", "f1")
            await pilot.pause()
            heading = str(app.screen.query_one("#help_scroll Label").render())
            assert "Keys — Hand over a result" in heading
    finally:
        s.close()


async def test_started_in_vietnamese_after_english_the_words_are_vietnamese(app, tmp_path, clock):
    english = make_services(
        settings(language="en"), clock=clock, data=tmp_path / "en", start_sync=False
    )
    app_module.build_app(english)  # an English app built earlier in the same process
    english.close()
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        words = footer_words(app)
        assert {"Giúp", "Tiếp nhận", "Tra cứu"} <= set(words)
        assert "Receive" not in words
