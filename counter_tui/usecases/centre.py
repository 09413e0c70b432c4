"""Asking the central service about a dossier the cache lacks (by code or citizen ID).

The lookup screen asks only when the cache found nothing and the counter is
online; what the centre returns is kept in the cache, so the screen then
searches the cache again. The HTTP client stays behind this use case.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from counter_tui.domain.messages import Msg
from counter_tui.domain.search_key import KeyKind, search_key
from counter_tui.sync.state import Connection

if TYPE_CHECKING:  # httpx is imported only when a central service is configured
    from counter_tui.sync.engine import SyncEngine


class Answer(Enum):
    FOUND = "found"  # now in the cache
    NOT_FOUND = "not_found"
    OFFLINE = "offline"  # the centre could not be asked


class Centre:
    def __init__(self, sync: SyncEngine | None) -> None:
        self._sync = sync

    def configured(self) -> bool:
        """Whether this counter works with a central service (other counters exist)."""
        return self._sync is not None

    def problem(self) -> Msg | None:
        """Why the centre cannot be used now (unreachable, token refused), or None."""
        if self._sync is None:
            return None
        status = self._sync.status()
        if status.state is Connection.ONLINE:
            return None
        return status.error or Msg(
            "chưa kết nối được (mạng, địa chỉ hoặc trung tâm đang tắt)",
            "not reached yet (network, address, or the centre is down)",
        )

    def clock_skew(self) -> float | None:
        """The centre's clock minus this PC's, in seconds, as of the last exchange."""
        return self._sync.status().skew_s if self._sync is not None else None

    def online(self) -> bool:
        return self._sync is not None and self._sync.status().state is Connection.ONLINE

    @staticmethod
    def can_answer(query: str) -> bool:
        """Whether the centre can be asked this: a dossier code or a 12-digit citizen ID."""
        return search_key(query).kind in (KeyKind.CODE, KeyKind.CITIZEN_ID)

    def ask(self, query: str) -> Answer:
        """Fetch the dossiers the centre has for ``query`` into the cache."""
        from counter_tui.sync.client import SyncError

        key = search_key(query)
        if self._sync is None or key.kind not in (KeyKind.CODE, KeyKind.CITIZEN_ID):
            return Answer.NOT_FOUND
        try:
            if key.kind is KeyKind.CODE:
                found = self._sync.fetch_dossier(key.value) is not None
            else:
                found = self._sync.fetch_citizen_dossiers(key.value) > 0
        except SyncError:
            return Answer.OFFLINE
        return Answer.FOUND if found else Answer.NOT_FOUND
