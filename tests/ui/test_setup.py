"""First run: a counter whose office is still the example one is set up on a screen that
checks the values, tests the connection to a real centre, and writes the settings file."""

from __future__ import annotations

import os
import sys
import tomllib

import pytest
from textual.widgets import Input, Static

from counter_tui.launch import make_services
from counter_tui.settings import Settings, load_settings
from counter_tui.ui.app import build_app
from counter_tui.ui.screens.setup import SetupApp, SetupScreen
from counter_tui.usecases.setup import needs_setup
from tests.support.central import OFFICE, CentralProcess

EXISTING = """# written by the IT person
[counter]
language = "vi"
book = "7"

[printing]
folder = "/srv/slips"
"""


def fill(screen: SetupScreen, **values: str) -> None:
    for name, value in values.items():
        screen.query_one(f"#{name}", Input).value = value


def text(screen: SetupScreen, wid: str) -> str:
    return str(screen.query_one(f"#{wid}", Static).render())


async def test_an_unconfigured_start_shows_the_setup_screen(tmp_path):
    path = tmp_path / "counter.toml"
    path.write_text(EXISTING, encoding="utf-8")
    settings = load_settings(path)
    assert needs_setup(settings)  # the start (cli._first_run) asks for setup
    assert not needs_setup(Settings(office="000.00.00.H56", office_name="UBND xã Quảng Phú"))
    app = SetupApp(settings, path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        assert app.focused is app.screen.query_one("#office", Input)
        await pilot.press("escape")  # leaves without writing
        await pilot.pause()
    assert app.return_value is None
    assert path.read_text(encoding="utf-8") == EXISTING


async def test_a_bad_agency_code_is_refused_under_the_field_and_nothing_written(tmp_path):
    path = tmp_path / "counter.toml"
    app = SetupApp(Settings(), path)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, SetupScreen)
        fill(screen, office="000/00/H56", office_name="UBND xã Quảng Phú", counter="Q1", slot="1")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "sai dạng" in text(screen, "office_msg")
        assert text(screen, "office_name_msg") == ""
        assert "Chưa lưu" in text(screen, "setup_status")
        assert app.screen is screen  # still on the form
        fill(screen, office="000.00.00.X00")  # the example code itself is refused too
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "mã mẫu" in text(screen, "office_msg")
    assert not path.exists()


async def test_good_values_write_the_file_and_the_counter_starts_from_it(tmp_path):
    path = tmp_path / "conf" / "counter.toml"
    path.parent.mkdir()
    path.write_text(EXISTING, encoding="utf-8")
    app = SetupApp(load_settings(path), path)
    async with app.run_test(size=(100, 40)) as pilot:
        fill(
            app.screen,
            office="000.00.00.h56",
            office_name="UBND xã Quảng Phú",
            counter="Q2",
            slot="2",
        )
        await pilot.press("ctrl+s")
        await pilot.pause()
    written = app.return_value
    assert isinstance(written, Settings)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert raw["counter"] == {
        "language": "vi",
        "book": "7",
        "office": "000.00.00.H56",
        "office_name": "UBND xã Quảng Phú",
        "name": "Q2",
        "slot": 2,
    }
    assert raw["printing"] == {"folder": "/srv/slips"}  # other settings kept
    assert "central" not in raw  # standalone
    if sys.platform != "win32":
        assert os.stat(path).st_mode & 0o777 == 0o600  # it may hold the counter's token
    assert not needs_setup(load_settings(path))
    # The app proceeds: the counter is built from what was written (as cli._cmd_app does).
    written.sign_in = False
    services = make_services(written, data=tmp_path / "cache", start_sync=False)
    try:
        counter = build_app(services)
        async with counter.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            parts, state = counter.status_line()
            assert parts[0].startswith("UBND xã Quảng Phú · ")
            assert state == "standalone"
    finally:
        services.close()


@pytest.fixture
def centre(tmp_path):
    central = CentralProcess(tmp_path / "central.sqlite3")
    central.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    central.db.offices.add("000.00.00.H57", "UBND xã Bên Cạnh")
    _, token = central.db.clients.add(OFFICE, "Q1")
    central.start()
    yield central, token
    central.stop()


async def test_the_connection_test_says_reached_refused_or_another_office(tmp_path, centre):
    central, token = centre
    path = tmp_path / "counter.toml"
    app = SetupApp(Settings(), path)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = app.screen
        fill(
            screen,
            office=OFFICE,
            office_name="UBND xã Quảng Phú",
            counter="Q1",
            slot="1",
            central_url=central.url,
            central_token=token,
        )

        async def test_connection() -> str:
            screen.last_check = None
            await pilot.press("f9")
            await app.workers.wait_for_complete()
            await pilot.pause()
            return text(screen, "setup_status")

        assert "Kết nối được trung tâm" in await test_connection()
        fill(screen, central_token=token + "x")
        assert "từ chối khóa truy cập" in await test_connection()
        fill(screen, central_token=token, office="000.00.00.H57")
        assert "thuộc cơ quan 000.00.00.H56" in await test_connection()
        fill(screen, office=OFFICE)
        assert not path.exists()  # testing writes nothing
        await pilot.press("ctrl+s")
        await pilot.pause()
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert raw["central"] == {"url": central.url, "token": token}
    assert app.return_value.central_token == token


async def test_the_connection_test_says_unreachable(tmp_path):
    from tests.support.central import free_port

    app = SetupApp(Settings(), tmp_path / "counter.toml")
    async with app.run_test(size=(100, 40)) as pilot:
        fill(app.screen, central_url=f"http://127.0.0.1:{free_port()}", central_token="t")
        await pilot.press("f9")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Không kết nối được trung tâm" in text(app.screen, "setup_status")
