"""Clerk sign-in at the counter: PINs checked against argon2 hashes, offline, with lockout.

Accounts come from the central service (``/v1/clerks``, cached by the sync
engine) or, on a standalone PC, from ``counter-tui clerk add``. Only argon2id
hashes are stored or sent; the PIN never leaves the keyboard. Every sign-in,
failure, lockout, unlock, lock and sign-out is audited.

Lockout never reads a clock the user can set. Failed attempts are counted per
user name in the store, and the count is kept (across restarts too) until a
successful sign-in or an operator's ``counter-tui clerk unlock USER``. Every
``max_failures``-th failure locks the account; how long it has been locked is
measured on the monotonic clock of the running app. The store only says
"locked", so a restart starts the lock period again from the first check:
restarting can lengthen a lockout, never shorten it. The wall clock is used
only to show the clerk when to try again.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from counter_tui.domain.messages import DomainError, Msg

if TYPE_CHECKING:
    from counter_tui.store.local import LocalStore

log = logging.getLogger(__name__)
MIN_PIN = 6
_HASHER = PasswordHasher()  # argon2id, 64 MiB, 3 passes: about 0.1 s on a counter PC
NO_ACCOUNTS = "signin.no_accounts"


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the user name is unknown, so a wrong name costs the same time.
    Hashed when first needed, not at import (0.1 s before the first screen)."""
    return _HASHER.hash("counter-tui-no-such-clerk")


class SignInError(DomainError):
    pass


@dataclass(frozen=True)
class Clerk:
    username: str
    name: str


def hash_pin(pin: str) -> str:
    if len(pin) < MIN_PIN:
        raise SignInError(
            "pin.short",
            Msg(
                f"Mã PIN cần ít nhất {MIN_PIN} ký tự.",
                f"A PIN needs at least {MIN_PIN} characters.",
            ),
        )
    return _HASHER.hash(pin)


class SignIn:
    def __init__(
        self,
        store: LocalStore,
        clock: Callable[[], datetime],
        *,
        max_failures: int = 5,
        lockout: timedelta = timedelta(minutes=5),
        counter: str = "",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        _dummy_hash()  # built with the services (in the opening thread), not at the first miss
        self.store = store
        self.clock = clock  # the wall clock: audit entries and what the clerk is shown
        self.monotonic = monotonic  # lockout durations: a PC clock set forward changes nothing
        self.max_failures = max_failures
        self.lockout = lockout
        self.counter = counter
        # user -> monotonic time this run first saw the account locked
        self._locked_since: dict[str, float] = {}

    def accounts(self) -> list[dict[str, Any]]:
        return [a for a in self.store.clerks.all() if a.get("active", 1)]

    def _failures(self) -> dict[str, dict[str, Any]]:
        return dict(self.store.meta.get("signin_failures") or {})

    def _audit(self, action: str, username: str, **detail: Any) -> None:
        self.store.audit.append(
            {
                "at": self.clock().isoformat(),
                "actor": username,
                "counter": self.counter,
                "action": action,
                **detail,
            }
        )

    @staticmethod
    def _is_locked(entry: dict[str, Any] | None) -> bool:
        # "locked_until" is how stores written before monotonic lockouts said it.
        return bool(entry and (entry.get("locked") or entry.get("locked_until")))

    def failures(self, username: str) -> int:
        """Failed attempts since the last successful sign-in (or operator unlock)."""
        entry = self._failures().get(username.strip().lower()) or {}
        return int(entry.get("count", 0))

    def locked_until(self, username: str) -> datetime | None:
        """When the account can be tried again (for display), or ``None`` if it is not locked."""
        name = username.strip().lower()
        if not self._is_locked(self._failures().get(name)):
            self._locked_since.pop(name, None)
            return None
        now = self.monotonic()
        since = self._locked_since.setdefault(name, now)
        left = self.lockout.total_seconds() - (now - since)
        if left > 0:
            return self.clock() + timedelta(seconds=left)
        # Served: the clerk gets another round of tries; the count itself is kept.
        with self.store.transaction():
            failures = self._failures()
            entry = dict(failures.get(name) or {})
            entry.pop("locked_until", None)
            entry["locked"] = False
            failures[name] = entry
            self.store.meta.set("signin_failures", failures)
        self._locked_since.pop(name, None)
        return None

    def sign_in(self, username: str, pin: str) -> Clerk:
        """The clerk, or :class:`SignInError` in Vietnamese saying what to do next."""
        name = username.strip().lower()
        if not name or not pin:
            raise SignInError(
                "signin.empty",
                Msg("Nhập tên đăng nhập và mã PIN.", "Enter your user name and PIN."),
            )
        until = self.locked_until(name)
        if until is not None:
            raise SignInError(
                "signin.locked",
                Msg(
                    f"Tài khoản {name} đang bị khóa do nhập sai nhiều lần; thử lại sau "
                    f"{until:%H:%M}.",
                    f"Account {name} is locked after repeated failures; try again after "
                    f"{until:%H:%M}.",
                ),
            )
        accounts = self.accounts()
        if not accounts:
            # No account can match: not a wrong PIN, and not counted against anyone.
            raise SignInError(
                NO_ACCOUNTS,
                Msg(
                    "Máy này chưa có tài khoản cán bộ nào, nên chưa thể đăng nhập.",
                    "This PC has no clerk accounts yet, so nobody can sign in.",
                ),
            )
        account = next((a for a in accounts if a["username"].lower() == name), None)
        try:
            _HASHER.verify(account["pin_hash"] if account else _dummy_hash(), pin)
            ok = account is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok or account is None:
            raise self._failed(name)
        with self.store.transaction():
            failures = self._failures()
            failures.pop(name, None)
            self.store.meta.set("signin_failures", failures)
            self._audit("sign_in", name)
        self._locked_since.pop(name, None)
        assert account is not None  # ok is False without one
        return Clerk(account["username"], str(account.get("name") or account["username"]))

    def _failed(self, name: str) -> SignInError:
        with self.store.transaction():
            failures = self._failures()
            entry = dict(failures.get(name) or {"count": 0})
            entry.pop("locked_until", None)
            entry["count"] = int(entry.get("count", 0)) + 1
            left = self.max_failures - (entry["count"] - 1) % self.max_failures - 1
            entry["locked"] = left <= 0
            failures[name] = entry
            self.store.meta.set("signin_failures", failures)
            self._audit("sign_in_failed", name, locked=left <= 0, failures=entry["count"])
        log.warning("sign-in failed for %s%s", name, " (now locked out)" if left <= 0 else "")
        if left <= 0:
            self._locked_since[name] = self.monotonic()
            until = self.clock() + self.lockout
            return SignInError(
                "signin.locked",
                Msg(
                    f"Sai {self.max_failures} lần: tài khoản {name} bị khóa đến {until:%H:%M}.",
                    f"{self.max_failures} failures: account {name} is locked until {until:%H:%M}.",
                ),
            )
        return SignInError(
            "signin.wrong",
            Msg(
                f"Sai tên đăng nhập hoặc mã PIN (còn {left} lần thử).",
                f"Wrong user name or PIN ({left} tries left).",
            ),
        )

    def unlock(self, username: str, actor: str = "operator") -> bool:
        """An operator's reset: forget the failed attempts and any lock. False if none."""
        name = username.strip().lower()
        with self.store.transaction():
            failures = self._failures()
            if failures.pop(name, None) is None:
                return False
            self.store.meta.set("signin_failures", failures)
            self._audit("clerk.unlock", actor, target=name)
        self._locked_since.pop(name, None)
        return True

    def add_local_clerk(
        self, username: str, name: str, pin_hash: str, actor: str = "operator"
    ) -> Clerk:
        """A clerk account on this PC only (a standalone counter that never syncs), or a new
        PIN for one: the account and its audit entry in one transaction. ``pin_hash`` comes
        from :func:`hash_pin`, so a short PIN is refused before anything is opened."""
        login = username.strip().lower()
        with self.store.transaction():
            self.store.clerks.set_local(
                {"username": login, "name": name, "pin_hash": pin_hash, "active": 1}
            )
            self._audit("clerk.set_local", actor, target=login)
        return Clerk(login, name)

    def record(self, action: str, username: str) -> None:
        """Audit a lock, an unlock by someone else, or a sign-out."""
        with self.store.transaction():
            self._audit(action, username)
