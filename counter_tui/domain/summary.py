"""Read models the screens show: a dossier's summary row, its sync state, an outbox item.

They are plain values, built by the store (``Summary``) or by the use cases
(``SyncState``, ``OutboxItem``) and read by the UI, so that neither the UI
imports the store nor the store imports anything above the domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from counter_tui.domain.status import Status


@dataclass(frozen=True)
class Summary:
    """What a result list shows about a dossier, without loading it."""

    uid: str
    code: str
    citizen_id: str
    phone: str
    name: str
    status: int
    due_at: str
    received_at: str
    procedure_code: str
    shard_key: str

    @property
    def state(self) -> Status:
        return Status(self.status)

    @property
    def due(self) -> datetime | None:
        return datetime.fromisoformat(self.due_at) if self.due_at else None


@dataclass(frozen=True)
class SyncState:
    """Where a dossier stands with the centre: the version it confirmed, if any."""

    version: int = 0
    confirmed: bool = False


@dataclass(frozen=True)
class OutboxItem:
    """One operation waiting to be sent, or one the centre refused (``result`` says why)."""

    seq: int
    code: str
    action: str
    at: datetime | None
    result_status: str = ""
    reason: str = ""
