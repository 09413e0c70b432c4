"""The PIN lockout does not depend on a clock the user can set (issue 11, item 10).

A real store in a temp dir and real argon2 hashes. Two clocks are injected: the wall
clock (what the PC's clock says, which a user can move) and the monotonic clock of the
running app (the only one the lockout may count on); both are settable here so the test
never waits and never reads the real time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from counter_tui.store.local import LocalStore
from counter_tui.usecases.auth import SignIn, SignInError, hash_pin

PIN = "246810"
LOCKOUT = timedelta(minutes=5)


class Clocks:
    def __init__(self) -> None:
        self.wall = datetime(2026, 11, 25, 9, 30)
        self.mono = 500.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono


@pytest.fixture
def store_path(tmp_path) -> Path:
    path = tmp_path / "cache"
    store = LocalStore(path, background=False)
    store.clerks.save(
        [{"username": "lan", "name": "Nguyễn Thị Lan", "pin_hash": hash_pin(PIN), "active": 1}]
    )
    store.close()
    return path


def signin(store: LocalStore, clocks: Clocks) -> SignIn:
    return SignIn(store, clocks.now, lockout=LOCKOUT, monotonic=clocks.monotonic)


def fail(s: SignIn, times: int) -> SignInError:
    err = None
    for _ in range(times):
        with pytest.raises(SignInError) as info:
            s.sign_in("lan", "000000")
        err = info.value
    assert err is not None
    return err


def test_moving_the_pc_clock_forward_does_not_lift_the_lockout(store_path):
    clocks = Clocks()
    with LocalStore(store_path, background=False) as store:
        s = signin(store, clocks)
        err = fail(s, 5)
        assert err.code == "signin.locked" and "bị khóa đến 09:35" in err.msg.vi
        # The attack: the PC's clock set 6 minutes (or a day) forward.
        for jump in (timedelta(minutes=6), timedelta(days=1)):
            clocks.wall += jump
            with pytest.raises(SignInError) as info:
                s.sign_in("lan", PIN)
            assert info.value.code == "signin.locked"
        # Setting it back does not help either; only time passing in the app does.
        clocks.wall -= timedelta(days=2)
        with pytest.raises(SignInError):
            s.sign_in("lan", PIN)
        clocks.mono += LOCKOUT.total_seconds() - 1
        with pytest.raises(SignInError):
            s.sign_in("lan", PIN)
        clocks.mono += 2
        assert s.sign_in("lan", PIN).name == "Nguyễn Thị Lan"


def test_the_count_and_the_lock_survive_a_restart(store_path):
    clocks = Clocks()
    with LocalStore(store_path, background=False) as store:
        err = fail(signin(store, clocks), 3)
        assert "còn 2 lần thử" in err.msg.vi
    # Restart: a new store object, a new SignIn, the monotonic clock of a new process.
    clocks.mono = 3.0
    clocks.wall += timedelta(hours=2)
    with LocalStore(store_path, background=False) as store:
        s = signin(store, clocks)
        assert s.failures("lan") == 3
        err = fail(s, 2)  # the 4th and 5th failures overall lock it: the count was kept
        assert err.code == "signin.locked"
    # Restart while locked, with the wall clock a day on: still locked, for a full period.
    clocks.mono = 7.0
    clocks.wall += timedelta(days=1)
    with LocalStore(store_path, background=False) as store:
        s = signin(store, clocks)
        with pytest.raises(SignInError) as info:
            s.sign_in("lan", PIN)
        assert info.value.code == "signin.locked"
        clocks.mono += LOCKOUT.total_seconds() + 1
        assert s.sign_in("lan", PIN).username == "lan"
        assert s.failures("lan") == 0


def test_a_successful_sign_in_resets_the_count(store_path):
    clocks = Clocks()
    with LocalStore(store_path, background=False) as store:
        s = signin(store, clocks)
        fail(s, 4)
        assert s.sign_in("lan", PIN).username == "lan"
        assert s.failures("lan") == 0
        err = fail(s, 4)  # four more are four, not eight: not locked
        assert err.code == "signin.wrong" and "còn 1 lần thử" in err.msg.vi
        assert s.sign_in("lan", PIN).username == "lan"
        actions = [e["action"] for e in store.audit.entries()]
        assert actions.count("sign_in_failed") == 8 and actions.count("sign_in") == 2


def test_after_a_served_lockout_the_count_is_kept_until_success(store_path):
    clocks = Clocks()
    with LocalStore(store_path, background=False) as store:
        s = signin(store, clocks)
        fail(s, 5)
        clocks.mono += LOCKOUT.total_seconds() + 1
        assert s.locked_until("lan") is None
        assert s.failures("lan") == 5
        err = fail(s, 5)  # a new round of tries, then locked again
        assert err.code == "signin.locked" and s.failures("lan") == 10


def test_operator_unlock_command_resets_a_locked_clerk(store_path, tmp_path, capsys):
    from counter_tui.cli import main

    clocks = Clocks()
    with LocalStore(store_path, background=False) as store:
        fail(signin(store, clocks), 5)
    cfg = tmp_path / "counter.toml"
    cfg.write_text('[counter]\noffice = "000.00.00.H56"\nname = "Q1"\n', encoding="utf-8")
    args = ["--config", str(cfg), "clerk", "unlock", "LAN", "--data", str(store_path)]
    assert main(["--lang=en", *args]) == 0
    assert "unlocked" in capsys.readouterr().out
    with LocalStore(store_path, background=False) as store:
        s = signin(store, clocks)
        assert s.failures("lan") == 0 and s.locked_until("lan") is None
        assert s.sign_in("lan", PIN).username == "lan"
        unlock = [e for e in store.audit.entries() if e["action"] == "clerk.unlock"]
        assert unlock and unlock[0]["target"] == "lan" and unlock[0]["actor"] == "operator"
    assert main(["--lang=en", *args]) == 0
    assert "no failed attempts" in capsys.readouterr().out


def test_a_lock_recorded_by_an_older_version_still_holds(store_path):
    """Stores written before this change say {"count": 0, "locked_until": ISO time}."""
    clocks = Clocks()
    with LocalStore(store_path, background=False) as store:
        store.meta.set(
            "signin_failures", {"lan": {"count": 0, "locked_until": "2026-11-25T09:35:00"}}
        )
        s = signin(store, clocks)
        clocks.wall += timedelta(hours=1)  # past the old wall-clock deadline
        with pytest.raises(SignInError):
            s.sign_in("lan", PIN)
        clocks.mono += LOCKOUT.total_seconds() + 1
        assert s.sign_in("lan", PIN).username == "lan"
