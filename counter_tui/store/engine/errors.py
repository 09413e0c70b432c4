"""What the store raises and what it tells the app: refused operations and notices."""

from __future__ import annotations

from dataclasses import dataclass

from counter_tui.domain.messages import Msg


class StoreError(RuntimeError):
    def __init__(self, msg: Msg) -> None:
        super().__init__(msg.en)
        self.msg = msg


@dataclass
class Notice:
    """Something the app must tell its user about the cache (damage found, rebuilt index)."""

    code: str
    msg: Msg
    needs_resync: bool = False
