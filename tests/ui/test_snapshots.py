"""Snapshot tests of each screen (120x40) and of the receive screen at 80x24.

Update after an intended change with ``pytest tests/ui/test_snapshots.py --snapshot-update``
and look at the SVGs before committing them.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from textual.widgets import DataTable, Input

from tests.ui.conftest import seed

ROWS = [
    ("Nguyễn Văn An", "001203012345", "0912345678", "1.004873", datetime(2026, 11, 20, 9), 2),
    ("Đặng Thị Ánh", "079185000001", "0987654321", "2.000815", datetime(2026, 11, 21, 9), 9),
    ("Lê Văn Cường", "031090123456", "0911111111", "1.004222", datetime(2026, 11, 16, 9), 4),
]


@pytest.fixture
def seeded(app, services, clock):
    seed(services.desk, clock, ROWS)
    return app


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    # The focused field's cursor blinks every 0.5 s; on a loaded CI machine the picture
    # was taken in either phase (CI failed on it), so hold the cursor visible.
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_lookup_screen(snap_compare, seeded):
    async def run(pilot):
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=run)


def test_lookup_results_for_a_name(snap_compare, seeded):
    async def run(pilot):
        pilot.app.screen.query_one("#query", Input).value = "nguyen van"
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=run)


def _fill_receive(pilot):
    screen = pilot.app.screen
    screen.query_one("#cid", Input).value = "079185000001"
    screen.query_one("#name", Input).value = "Đặng Thị Ánh"
    screen.query_one("#phone", Input).value = "0987654321"
    screen.query_one("#address", Input).value = "Số 12 Lê Lợi, xã Quảng Phú"
    screen.query_one("#proc", Input).value = "xac nhan hon nhan"


def test_receive_screen(snap_compare, seeded):
    async def run(pilot):
        await pilot.press("f2")
        _fill_receive(pilot)
        await settle(pilot)
        pilot.app.screen.query_one("#proc", Input).focus()
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=run)


def test_receive_screen_small_terminal(snap_compare, seeded):
    async def run(pilot):
        await pilot.press("f2")
        _fill_receive(pilot)
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(80, 24), run_before=run)


def test_dossier_screen(snap_compare, seeded):
    async def run(pilot):
        await settle(pilot)
        table = pilot.app.screen.query_one("#results", DataTable)
        table.focus()
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=run)


def test_hand_over_screen(snap_compare, seeded, services):
    code = services.store.dossiers.of_citizen("079185000001")[0]["code"]

    async def run(pilot):
        await pilot.press("f4")
        pilot.app.screen.query_one("#ho_key", Input).value = code
        pilot.app.screen.query_one("#ho_key", Input).focus()
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=run)


def test_sync_screen(snap_compare, seeded):
    async def run(pilot):
        await pilot.press("f5")
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=run)


def test_help_screen(snap_compare, seeded):
    async def run(pilot):
        await pilot.press("f2")
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=run)


def test_report_screen(snap_compare, seeded):
    async def run(pilot):
        await pilot.press("f6")
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=run)


def test_sign_in_screen(snap_compare, tmp_path, clock):
    from counter_tui.launch import make_services
    from counter_tui.ui.app import build_app
    from tests.ui.conftest import settings

    s = make_services(settings(sign_in=True), clock=clock, data=tmp_path / "c", start_sync=False)
    s.store.clerks.save([{"username": "lan", "name": "Lan", "pin_hash": "x", "active": 1}])
    try:
        assert snap_compare(build_app(s), terminal_size=(120, 40), run_before=settle)
    finally:
        s.close()


def test_receive_screen_80x24_with_a_procedure(snap_compare, seeded):
    """F2 at 80x24 with a procedure picked: the form scrolls, the F-keys stay in the footer."""

    async def run(pilot):
        await pilot.press("f2")
        _fill_receive(pilot)
        await settle(pilot)
        pilot.app.screen.query_one("#proc", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        pilot.app.screen.query_one("#submitter").focus()
        await settle(pilot)

    assert snap_compare(seeded, terminal_size=(80, 24), run_before=run)


# --- every screen in English (issue 15.16) -------------------------------------------------------


@pytest.fixture
def english(tmp_path, clock):
    from counter_tui.launch import make_services
    from counter_tui.ui.app import build_app
    from tests.ui.conftest import settings

    s = make_services(
        settings(language="en", print_folder=str(tmp_path / "out")),
        clock=clock,
        data=tmp_path / "en",
        start_sync=False,
    )
    seed(s.desk, clock, ROWS)
    yield build_app(s)
    s.close()


async def _open_dossier(pilot):
    await settle(pilot)
    pilot.app.screen.query_one("#results", DataTable).focus()
    await pilot.press("enter")


async def _hand_over_screen(pilot):
    await pilot.press("f4")
    code = pilot.app.services.desk.citizen_history("079185000001")[0].code
    pilot.app.screen.query_one("#ho_key", Input).value = code
    pilot.app.screen.query_one("#ho_key", Input).focus()
    await pilot.press("enter")


async def _receive_screen(pilot):
    await pilot.press("f2")
    _fill_receive(pilot)
    await settle(pilot)
    pilot.app.screen.query_one("#proc", Input).focus()
    await pilot.press("enter")


ENGLISH_SCREENS = {
    "lookup": None,
    "receive": _receive_screen,
    "dossier": _open_dossier,
    "hand_over": _hand_over_screen,
    "sync": ("f5",),
    "report": ("f6",),
    "help": ("f2", "f1"),
}


@pytest.mark.parametrize("screen", list(ENGLISH_SCREENS))
def test_english_screen(snap_compare, english, screen):
    async def run(pilot):
        steps = ENGLISH_SCREENS[screen]
        if callable(steps):
            await steps(pilot)
        elif steps:
            await pilot.press(*steps)
        await settle(pilot)

    assert snap_compare(english, terminal_size=(120, 40), run_before=run)


def test_english_sign_in_screen(snap_compare, tmp_path, clock):
    from counter_tui.launch import make_services
    from counter_tui.ui.app import build_app
    from tests.ui.conftest import settings

    s = make_services(
        settings(sign_in=True, language="en"), clock=clock, data=tmp_path / "c", start_sync=False
    )
    try:
        assert snap_compare(build_app(s), terminal_size=(120, 40), run_before=settle)
    finally:
        s.close()
