"""The operator's repair of an outbox gap (``counter-tui sync repair``), as a use case.

The repair itself lives with the sync engine (``sync/repair.py``: it renumbers the
outbox the engine sends); this module is the CLI's door to it, so the command
touches neither the store nor the HTTP client, and a centre that cannot be asked
comes back as a bilingual :class:`DomainError` like every other refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from counter_tui.domain.messages import DomainError, Msg
from counter_tui.sync.repair import GapPlan, plan_gap_repair, ranges, repair_gap

if TYPE_CHECKING:
    from counter_tui.store.local import LocalStore
    from counter_tui.sync.client import CentralClient

__all__ = ["GapPlan", "GapRepair", "ranges"]


class GapRepair:
    def __init__(self, store: LocalStore, client: CentralClient) -> None:
        self._store = store
        self._client = client

    def plan(self) -> GapPlan:
        """Read-only: what the repair would do (asks the centre how far it got)."""
        from counter_tui.sync.client import SyncError

        try:
            return plan_gap_repair(self._store, self._client)
        except SyncError as exc:
            raise DomainError(
                "repair.centre",
                Msg(f"không hỏi được trung tâm: {exc}", f"cannot ask the centre: {exc}"),
            ) from exc

    def repair(self, plan: GapPlan, actor: str = "operator") -> list[tuple[int, int]]:
        """Carry out ``plan`` (one transaction, audited); the moves made."""
        return repair_gap(self._store, plan, actor)
