"""What the app is given to work with: the use cases, the sync engine's state, settings.

``store`` is here for wiring (the CLI closes it, tests look inside it); the
screens never touch it: tests/ui/test_layers.py fails if a module under ui/
reaches for it or imports the store or the HTTP client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from counter_tui.settings import Settings
from counter_tui.store.local import LocalStore
from counter_tui.usecases.auth import SignIn
from counter_tui.usecases.centre import Centre
from counter_tui.usecases.desk import Desk
from counter_tui.usecases.paperwork import Paperwork
from counter_tui.usecases.scans import Scans

if TYPE_CHECKING:  # httpx is imported only when a central service is configured
    from counter_tui.sync.engine import SyncEngine


@dataclass
class Services:
    desk: Desk
    settings: Settings
    store: LocalStore
    sync: SyncEngine | None = None
    clock: Callable[[], datetime] = datetime.now
    start_sync: bool = True  # tests drive sync by hand
    signin: SignIn | None = None  # None: sign-in is off, actions go under settings.clerk

    @cached_property
    def paperwork(self) -> Paperwork:
        return Paperwork(self.desk, self.settings)

    def __post_init__(self) -> None:
        # The [files] settings reach the cache and the desk however the services are built.
        self.store.files.budget_bytes = int(self.settings.files_budget_mb * 1_000_000)
        self.desk.digitise = self.settings.digitise

    @cached_property
    def scans(self) -> Scans:
        s = self.settings
        return Scans(
            self.desk,
            self.store.files,
            max_mb=s.files_max_mb,
            scanner_dir=s.scanner_dir,
            digitise=s.digitise,
        )

    @cached_property
    def centre(self) -> Centre:
        return Centre(self.sync)

    def close(self) -> None:
        self.store.close()
