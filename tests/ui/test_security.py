"""Clerk sign-in, lockout, the lock screen and who is recorded, through the real app."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from textual.widgets import Input, Static

from counter_tui.launch import make_services
from counter_tui.ui.app import build_app
from counter_tui.ui.screens.lookup import LookupScreen
from counter_tui.ui.screens.sign_in import SignInScreen
from counter_tui.usecases.auth import SignIn, SignInError, hash_pin
from tests.ui.conftest import seed, settings

PINS = {"lan": "246810", "minh": "135790"}


@pytest.fixture
def secured(tmp_path, clock):
    s = make_services(
        settings(sign_in=True, print_folder=str(tmp_path / "out")),
        clock=clock,
        data=tmp_path / "cache",
        start_sync=False,
    )
    s.store.clerks.save(
        [
            {
                "username": "lan",
                "name": "Nguyễn Thị Lan",
                "pin_hash": hash_pin(PINS["lan"]),
                "active": 1,
            },
            {
                "username": "minh",
                "name": "Trần Văn Minh",
                "pin_hash": hash_pin(PINS["minh"]),
                "active": 1,
            },
        ]
    )
    yield s
    s.close()


def msg(app) -> str:
    return str(app.screen.query_one("#si_msg", Static).render())


async def sign_in(pilot, user: str, pin: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, SignInScreen)
    screen.query_one("#si_user", Input).value = user
    screen.query_one("#si_pin", Input).value = pin
    screen.query_one("#si_pin", Input).focus()
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_the_app_opens_on_sign_in_and_a_wrong_pin_gets_nowhere(secured):
    app = build_app(secured)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        keys = str(app.screen.query_one("#si_keys", Static).render())
        assert keys.startswith("[Enter]") and "[Ctrl+Q]" in keys  # hints shown as typed
        await pilot.press("f2")  # the app's keys do not reach past the sign-in
        await pilot.press("escape")
        await pilot.press("ctrl+p")  # nor does the command palette
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        await sign_in(pilot, "lan", "000000")
        assert "Sai tên đăng nhập hoặc mã PIN (còn 4 lần thử)" in msg(app)
        assert app.screen.query_one("#si_pin", Input).value == ""  # never left on screen
        await sign_in(pilot, "lan", PINS["lan"])
        assert isinstance(app.screen, LookupScreen)
        assert "· lan" in app.status_line()[0][0]
    actions = [(e["action"], e["actor"]) for e in secured.store.audit.entries()]
    assert actions == [("sign_in_failed", "lan"), ("sign_in", "lan")]


async def test_repeated_failures_lock_the_account_even_against_the_right_pin(secured, clock):
    app = build_app(secured)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(5):
            await sign_in(pilot, "lan", "999999")
        assert "Sai 5 lần: tài khoản lan bị khóa đến 09:35" in msg(app)
        await sign_in(pilot, "lan", PINS["lan"])
        assert "đang bị khóa" in msg(app) and isinstance(app.screen, SignInScreen)
        # Another clerk is not locked out by lan's failures.
        await sign_in(pilot, "minh", PINS["minh"])
        assert isinstance(app.screen, LookupScreen)
    # The lockout survives a restart of the app (it is in the store, not in memory), and
    # runs on the app's monotonic clock: moving the PC's clock on does not end it.
    mono = [0.0]
    again = SignIn(secured.store, clock, lockout=timedelta(minutes=5), monotonic=lambda: mono[0])
    assert again.locked_until("lan") is not None
    clock.now += timedelta(minutes=6)
    with pytest.raises(SignInError):
        again.sign_in("lan", PINS["lan"])
    mono[0] += 6 * 60
    assert again.sign_in("lan", PINS["lan"]).name == "Nguyễn Thị Lan"


async def test_lock_key_and_idle_lock_and_a_second_clerk_takes_over(secured, clock):
    app = build_app(secured)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "lan", PINS["lan"])
        first = seed(
            secured.desk,
            clock,
            [("Lê Thị Hoa", "001203000011", "0911111111", "1.004873", clock.now, 2)],
        )[0]
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen) and app.screen.locked_by == "lan"
        assert "—" in app.status_line()[0][0]  # no name shown while locked
        await sign_in(pilot, "minh", PINS["minh"])
        second = seed(
            secured.desk,
            clock,
            [("Lê Thị Huệ", "001203000012", "0911111112", "1.004873", clock.now, 2)],
        )[0]
        # Idle: no key for longer than the setting locks the screen.
        app.last_input = time.monotonic() - 6 * 60
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen) and app.screen.locked_by == "minh"
        await sign_in(pilot, "minh", PINS["minh"])
        assert isinstance(app.screen, LookupScreen)
    store = secured.store
    assert store.dossiers.get(first.uid)["events"][0]["actor"] == "lan"
    assert store.dossiers.get(second.uid)["events"][0]["actor"] == "minh"
    ops = store.outbox.pending()
    assert [op["actor"] for op in ops] == ["lan", "minh"]
    trail = [(e["action"], e["actor"]) for e in store.audit.entries()]
    assert trail == [
        ("sign_in", "lan"),
        ("receive", "lan"),
        ("lock", "lan"),
        ("sign_in", "minh"),
        ("sign_out", "lan"),
        ("receive", "minh"),
        ("lock", "minh"),
        ("sign_in", "minh"),
    ]
    assert store.audit.verify() == (8, None)


async def test_no_accounts_yet_says_what_to_do(tmp_path, clock):
    s = make_services(settings(sign_in=True), clock=clock, data=tmp_path / "c", start_sync=False)
    app = build_app(s)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "chưa có tài khoản" in str(app.screen.query_one("#si_hint", Static).render())
        await sign_in(pilot, "ai-do", "123456")
        # Not a wrong PIN (issue 15.7): nobody can match, and nothing is counted.
        assert "không phải sai mã PIN" in msg(app)
        assert "counter-tui clerk add" in str(app.screen.query_one("#si_hint", Static).render())
    assert not s.store.meta.get("signin_failures")
    s.close()
