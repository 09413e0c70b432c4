"""What the app is given to work with: the desk's use cases, the sync engine's state, settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from counter_tui.settings import Settings
from counter_tui.usecases.auth import SignIn
from counter_tui.usecases.desk import Desk
from counter_tui.usecases.paperwork import Paperwork

if TYPE_CHECKING:  # httpx is imported only when a central service is configured
    from counter_tui.sync.engine import SyncEngine


@dataclass
class Services:
    desk: Desk
    settings: Settings
    sync: SyncEngine | None = None
    clock: Callable[[], datetime] = datetime.now
    start_sync: bool = True  # tests drive sync by hand
    signin: SignIn | None = None  # None: sign-in is off, actions go under settings.clerk

    @cached_property
    def paperwork(self) -> Paperwork:
        return Paperwork(self.desk, self.settings)
