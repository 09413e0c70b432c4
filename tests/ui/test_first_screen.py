"""The first screen is up before the store is open (issue 16.3).

The app opens its services in a thread behind the lookup screen. To hold the
store's opening at a known point, these tests give the app an opening whose
factory waits on a gate before it opens the real store in a temp dir (no part
is replaced: the gate only decides when the real open starts).
"""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from textual.widgets import DataTable, Input, Static

from counter_tui.launch import make_services, start_services
from counter_tui.settings import SettingsError
from counter_tui.ui.app import build_app
from counter_tui.ui.screens.dossier import DossierScreen
from counter_tui.ui.screens.lookup import LookupScreen
from counter_tui.ui.screens.receive import ReceiveScreen
from counter_tui.usecases.services import Opening
from tests.ui.conftest import seed, settings
from tests.ui.test_typeahead import burst


def gated(tmp_path, clock, gate: threading.Event) -> Opening:
    s = settings(print_folder=str(tmp_path / "out"))

    def open_when_let() -> object:
        gate.wait(30)
        return make_services(s, clock=clock, data=tmp_path / "cache", start_sync=False)

    return Opening(s, open_when_let)  # type: ignore[arg-type]


def seeded(tmp_path, clock):
    s = make_services(settings(), clock=clock, data=tmp_path / "cache", start_sync=False)
    row = ("Lê Văn Cường", "031090123456", "", "1.004873", datetime(2026, 11, 20, 9), 2)
    try:
        return seed(s.desk, clock, [row])[0]
    finally:
        s.close()


async def until(pilot, done) -> None:
    for _ in range(1000):
        if done():
            return
        await pilot.pause(0.01)
    raise AssertionError("never happened")


def message(app) -> str:
    return str(app.screen.query_one("#lookup_msg", Static).render())


async def test_keys_typed_before_the_store_is_open_are_answered_once_it_is(tmp_path, clock):
    d = seeded(tmp_path, clock)
    gate = threading.Event()
    opening = gated(tmp_path, clock, gate)
    app = build_app(opening)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, LookupScreen)
            await burst(pilot, "cuong")
            assert not app.store_is_open
            assert app.screen.query_one("#query", Input).value == "cuong"
            assert "Đang mở bộ đệm" in message(app)
            assert app.screen.query_one("#results", DataTable).row_count == 0
            gate.set()
            await until(pilot, lambda: app.taken)
            await pilot.pause()
            table = app.screen.query_one("#results", DataTable)
            assert table.row_count == 1
            assert str(table.get_row_at(0)[0]) == d.code
            assert app.screen.query_one("#query", Input).value == "cuong"
            assert "Đang mở" not in message(app)
    finally:
        gate.set()
        opening.close()


async def test_a_code_and_enter_typed_while_opening_open_the_dossier(tmp_path, clock):
    d = seeded(tmp_path, clock)
    gate = threading.Event()
    opening = gated(tmp_path, clock, gate)
    app = build_app(opening)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await burst(pilot, d.code, "enter")  # a slip's QR: the code, then Enter
            assert isinstance(app.screen, LookupScreen)
            gate.set()
            await until(pilot, lambda: isinstance(app.screen, DossierScreen))
            await until(pilot, lambda: bool(app.screen.query("#events")))  # drawn
            await pilot.pause()
            assert app.screen.uid == d.uid
    finally:
        gate.set()
        opening.close()


async def test_f2_waits_for_the_store_and_nothing_is_written_before(tmp_path, clock):
    gate = threading.Event()
    opening = gated(tmp_path, clock, gate)
    app = build_app(opening)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await burst(pilot, "f2", "079185000001")  # F2, then the ID at once
            # Not the receive form: nothing can be saved before the store is open; the
            # ID typed behind F2 waits for the form it was meant for.
            assert isinstance(app.screen, LookupScreen)
            assert app.screen.query_one("#query", Input).value == ""
            notes = [n.message for n in app._notifications]
            assert any("Đang mở bộ đệm" in n for n in notes)
            assert opening.services is None
            gate.set()
            await until(pilot, lambda: isinstance(app.screen, ReceiveScreen))
            await until(
                pilot, lambda: any(i.value for i in app.screen.query("#cid").results(Input))
            )
            assert app.screen.query_one("#cid", Input).value == "079185000001"
            assert opening.services is not None
            assert opening.services.desk.dossier_count() == 0
    finally:
        gate.set()
        opening.close()


async def test_a_store_that_cannot_be_opened_is_said_on_screen(tmp_path, clock):
    held = make_services(settings(), clock=clock, data=tmp_path / "cache", start_sync=False)
    opening = start_services(
        settings(print_folder=str(tmp_path / "out")),
        clock=clock,
        data=tmp_path / "cache",
        start_sync=False,
    )
    app = build_app(opening)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.taken)
            await pilot.pause()
            assert "đang được dùng bởi tiến trình khác" in message(app)
            notes = [n.message for n in app._notifications]
            assert any("đang được dùng bởi tiến trình khác" in n for n in notes)
            # Still a working screen: typing is taken, F2 says why it cannot open.
            await burst(pilot, "cuong", "f2")
            assert isinstance(app.screen, LookupScreen)
            assert app.screen.query_one("#query", Input).value == "cuong"
            assert "đang được dùng bởi tiến trình khác" in message(app)
            assert app.is_running
    finally:
        opening.close()
        held.close()


async def test_sign_in_typed_while_the_store_opens_is_checked_once_it_is(tmp_path, clock):
    from counter_tui.ui.screens.sign_in import SignInScreen
    from counter_tui.usecases.auth import hash_pin

    s = settings(sign_in=True, print_folder=str(tmp_path / "out"))
    first = make_services(s, clock=clock, data=tmp_path / "cache", start_sync=False)
    lan = {"username": "lan", "name": "Nguyễn Thị Lan", "pin_hash": hash_pin("246810")}
    first.store.clerks.save([{**lan, "active": 1}])
    first.close()
    gate = threading.Event()

    def open_when_let() -> object:
        gate.wait(30)
        return make_services(s, clock=clock, data=tmp_path / "cache", start_sync=False)

    opening = Opening(s, open_when_let)  # type: ignore[arg-type]
    app = build_app(opening)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, SignInScreen)  # at once, before the store
            hint = str(app.screen.query_one("#si_hint", Static).render())
            assert "Đang mở bộ đệm" in hint
            await burst(pilot, "f2")  # the app's keys still do not reach past the sign-in
            assert isinstance(app.screen, SignInScreen)
            app.screen.query_one("#si_user", Input).value = "lan"
            app.screen.query_one("#si_pin", Input).value = "246810"
            app.screen.query_one("#si_pin", Input).focus()
            await pilot.press("enter")
            assert isinstance(app.screen, SignInScreen)  # checked once the store is open
            gate.set()
            await until(pilot, lambda: isinstance(app.screen, LookupScreen))
            await pilot.pause()
            assert "· lan" in app.status_line()[0][0]
            assert opening.services is not None
            actions = [e["action"] for e in opening.services.store.audit.entries()]
            assert actions == ["sign_in"]
    finally:
        gate.set()
        opening.close()


def test_a_misspelt_binding_id_stops_the_start_before_any_screen(tmp_path, clock):
    with pytest.raises(SettingsError) as exc:
        start_services(
            settings(keys={"recieve": "f7"}), clock=clock, data=tmp_path / "c", start_sync=False
        )
    assert "[keys] recieve: không có mã phím này" in exc.value.msg.vi
    assert not (tmp_path / "c").exists()
