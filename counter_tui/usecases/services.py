"""What the app is given to work with: the use cases and the settings.

``store``, ``sync`` and ``uploader`` are here for wiring (the CLI closes the store, tests
drive the engines and look inside the store); the screens never touch them, and reach
the connection through ``link``: tests/ui/test_layers.py fails if a module under ui/
names a member of the services that is not a use case, or imports anything below them.

:class:`Opening` builds the services in a thread while the first screen is
already up (issue 16.3): at 500,000 dossiers opening the store takes longer
than drawing the screen, and the clerk can start typing meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from counter_tui.domain.messages import Msg
from counter_tui.settings import Settings

if TYPE_CHECKING:  # not imported before the first screen is drawn (issue 16.3)
    from counter_tui.store.local import LocalStore
    from counter_tui.sync.engine import SyncEngine
    from counter_tui.sync.files import FileUploader
    from counter_tui.usecases.auth import SignIn
    from counter_tui.usecases.centre import Centre
    from counter_tui.usecases.connection import Link
    from counter_tui.usecases.desk import Desk
    from counter_tui.usecases.paperwork import Paperwork
    from counter_tui.usecases.scans import Scans

log = logging.getLogger(__name__)


@dataclass
class Services:
    desk: Desk
    settings: Settings
    store: LocalStore
    sync: SyncEngine | None = None
    clock: Callable[[], datetime] = datetime.now
    start_sync: bool = True  # tests drive sync by hand
    signin: SignIn | None = None  # None: sign-in is off, actions go under settings.clerk
    uploader: FileUploader | None = None  # sends the scans' bytes (None: standalone)

    @cached_property
    def paperwork(self) -> Paperwork:
        from counter_tui.usecases.paperwork import Paperwork

        return Paperwork(self.desk, self.settings)

    def __post_init__(self) -> None:
        # The [files] settings reach the cache and the desk however the services are built.
        self.store.files.budget_bytes = int(self.settings.files_budget_mb * 1_000_000)
        self.desk.digitise = self.settings.digitise

    @cached_property
    def scans(self) -> Scans:
        from counter_tui.usecases.scans import Scans

        s = self.settings
        return Scans(
            self.desk,
            self.store.files,
            max_mb=s.files_max_mb,
            scanner_dir=s.scanner_dir,
            digitise=s.digitise,
            uploader=self.uploader,
        )

    @cached_property
    def link(self) -> Link:
        """The screens' door to the connection: state, sync now, changes (issue 21.4)."""
        from counter_tui.usecases.connection import Link

        return Link(self.desk, self.sync, self.uploader)

    @cached_property
    def centre(self) -> Centre:
        from counter_tui.usecases.centre import Centre

        return Centre(self.sync)

    def start_background(self) -> None:
        """Start the sync engine and the uploader (unless the tests drive them by hand)."""
        if not self.start_sync:
            return
        if self.sync is not None:
            self.sync.start()
        if self.uploader is not None:
            self.uploader.start()

    def stop_background(self) -> None:
        """Stop them (after the chunk in flight: the centre keeps what it got)."""
        if self.uploader is not None:
            self.uploader.stop()
        if self.sync is not None:
            self.sync.stop()

    def close(self) -> None:
        # The uploader reads the cache: it stops before the cache closes.
        if self.uploader is not None:
            self.uploader.stop()
        if "scans" in self.__dict__:  # made on first use (cached_property)
            self.scans.close()
        self.store.close()


def failure_words(exc: BaseException) -> Msg:
    """What to tell the clerk when the services could not be opened."""
    msg = getattr(exc, "msg", None)
    if isinstance(msg, Msg):  # StoreError, StoreLockedError, DomainError: already in words
        return msg
    return Msg(
        f"Không mở được bộ đệm của quầy ({type(exc).__name__}: {exc}). Chưa ghi gì. "
        "Đóng chương trình (Ctrl+Q) và gọi quản trị viên.",
        f"The counter's cache could not be opened ({type(exc).__name__}: {exc}). Nothing "
        "was written. Quit (Ctrl+Q) and call the operator.",
    )


class Opening:
    """The services, opened in a thread once :meth:`start` is called.

    ``settings`` is there at once. ``services`` is set (by the thread) when the store
    is open, or ``error`` (words for the clerk) and ``failure`` when it could not be;
    ``done`` is set after either. Nothing can write before ``services`` is set: every
    use case hangs off it.
    """

    def __init__(self, settings: Settings, open_services: Callable[[], Services]) -> None:
        self.settings = settings
        self._open = open_services
        self.services: Services | None = None
        self.error: Msg | None = None
        self.failure: BaseException | None = None
        self.done = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def of(cls, services: Services) -> Opening:
        """Services opened already (the tests, the demo)."""
        opening = cls(services.settings, lambda: services)
        opening.services = services
        opening.done.set()
        return opening

    def start(self, then: Callable[[], object]) -> None:
        """Open in a thread; ``then`` is called from that thread when done (either way)."""
        with self._lock:
            if self._thread is not None or self.done.is_set() or self._closed:
                return
            self._thread = threading.Thread(
                target=self._run, args=(then,), name="open-services", daemon=True
            )
            self._thread.start()

    def _run(self, then: Callable[[], object]) -> None:
        try:
            services = self._open()
        except Exception as exc:
            log.exception("could not open the services")
            self.failure, self.error = exc, failure_words(exc)
        else:
            with self._lock:
                if self._closed:  # the app quit while the store was opening
                    services.close()
                else:
                    self.services = services
        finally:
            self.done.set()
        then()

    def wait(self, timeout: float | None = None) -> Services | None:
        """From a thread: the services once open (None if they could not be)."""
        self.done.wait(timeout)
        return self.services

    def close(self) -> None:
        """Close what was opened; an open still under way is waited for, then closed."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            thread.join()
        if self.services is not None:
            self.services.close()
