"""Connection states and sync problems the UI shows (kept apart from the engine so the UI
need not import httpx).

``Connection`` is the one-word state on the status bar. A ``Problem`` says why the last
cycle failed: a stable ``code`` (for logs, tests and the operator's guide in
docs/sync-protocol.md, which has a section per code), whether it clears by itself
(``transient``: the counter retries on its own) or needs someone to act, and a message
that says what is wrong and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from counter_tui.domain.messages import Msg


class Connection(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    SYNCING = "syncing"
    ERROR = "error"

    @property
    def vi(self) -> str:
        return {
            "online": "Trực tuyến",
            "offline": "Mất kết nối",
            "syncing": "Đang đồng bộ",
            "error": "Lỗi đồng bộ",
        }[self.value]

    def label(self, lang: str = "vi") -> str:
        return self.value.capitalize() if lang == "en" else self.vi


@dataclass(frozen=True)
class Problem:
    """Why sync is not working, and whether the counter can get past it alone."""

    code: str  # "offline", "timeout", "server", "busy", "tls", "auth.expired", "gap", ...
    transient: bool  # True: retried automatically; False: someone must act (see ``msg``)
    msg: Msg  # what is wrong, then what to do
    fault_here: bool = False  # the counter itself failed (a bug), not the link or the centre

    @property
    def state(self) -> Connection:
        if self.fault_here or not self.transient:
            return Connection.ERROR
        return Connection.OFFLINE
