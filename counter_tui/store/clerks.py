"""Clerk accounts: cached from the centre, or added locally on a standalone PC.

Both lists are values in ``m/meta`` (``clerks`` and ``local_clerks``); the sign-in
use case reads them as one.
"""

from __future__ import annotations

from typing import Any

from counter_tui.store.engine.core import Store
from counter_tui.store.meta import Meta


class Clerks:
    """The cached and the local accounts."""

    def __init__(self, store: Store, meta: Meta) -> None:
        self._store = store
        self._meta = meta

    def save(self, clerks: list[dict[str, Any]]) -> bool:
        """Replace the cached accounts; returns whether anything changed (no write if not)."""
        if self._meta.get("clerks") == clerks:
            return False
        with self._store.transaction():
            self._meta.set("clerks", clerks)
        return True

    def all(self) -> list[dict[str, Any]]:
        return list(self._meta.get("clerks") or []) + list(self._meta.get("local_clerks") or [])

    def set_local(self, account: dict[str, Any]) -> None:
        with self._store.transaction():
            rest = [
                a
                for a in self._meta.get("local_clerks") or []
                if a["username"] != account["username"]
            ]
            self._meta.set("local_clerks", [*rest, account])
