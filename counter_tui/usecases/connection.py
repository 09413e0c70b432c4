"""The screens' one door to the connection with the centre (issue 21.4).

What the status bar and F5 need of sync, and nothing more: the state, a cycle now, a
refused operation marked handled (audited, and the conflict count set right, in one
call), and word of every change, so a screen redraws when something happened instead
of asking every second. The engines stay behind this module: a screen never sets their
callbacks or calls them, and tests/ui/test_layers.py refuses any attribute chain that
would reach them.

Changes are told to the listeners on the thread they happened on (the sync engine's, the
uploader's, a screen's worker, the UI's): a listener hands them on to its own thread
(the app posts a Textual message, which is safe from any thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

# SyncStatus (what status() returns) is named here for the screens: they import nothing
# from sync/. httpx comes with the engines, only when a centre is configured.
if TYPE_CHECKING:
    from counter_tui.sync.engine import SyncEngine
    from counter_tui.sync.engine import SyncStatus as SyncStatus
    from counter_tui.sync.files import FileUploader
    from counter_tui.usecases.desk import Desk

log = logging.getLogger(__name__)


class Changed(StrEnum):
    """What changed, for a listener that redraws only what it shows."""

    SYNC = "sync"  # the engine's state or counts: a cycle began or ended, the link came back
    UPLOADS = "uploads"  # the scans' uploader sent a chunk, finished a file, or failed
    OUTBOX = "outbox"  # a refused operation was marked handled at this counter


Listener = Callable[[Changed], object]


class Link:
    """The connection as the screens see it; ``configured()`` False on a standalone counter
    (then ``status()`` is None and ``sync_now()`` does nothing)."""

    def __init__(
        self, desk: Desk, sync: SyncEngine | None, uploader: FileUploader | None = None
    ) -> None:
        self._desk = desk
        self._sync = sync
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        if sync is not None:
            sync.on_status = self._chain(sync.on_status, Changed.SYNC)
        if uploader is not None:
            uploader.on_status = self._chain(uploader.on_status, Changed.UPLOADS)

    def _chain(
        self, before: Callable[[Any], object] | None, what: Changed
    ) -> Callable[[Any], None]:
        """The engine's callback: whoever had it before still hears, then the listeners."""

        def told(status: Any) -> None:
            if before is not None:
                before(status)
            self._tell(what)

        return told

    # --- what the screens ask -------------------------------------------------------------

    def configured(self) -> bool:
        """Whether this counter syncs with a central service (False: standalone)."""
        return self._sync is not None

    def status(self) -> SyncStatus | None:
        """The engine's state, counts, last success and warnings (None: standalone)."""
        return self._sync.status() if self._sync is not None else None

    def sync_now(self) -> bool:
        """One cycle now (push, then pull) on the caller's thread: a screen calls it from a
        worker. False when standalone or when the cycle failed (``status()`` says why)."""
        if self._sync is None:
            return False
        return self._sync.sync_once()

    def resolve_rejected(self, seq: int) -> None:
        """Mark the refused operation ``seq`` handled: audited under the signed-in clerk,
        and the conflict count on the status bar lowered, as one action of the clerk."""
        self._desk.resolve_rejected(seq)
        if self._sync is not None:
            self._sync.refresh_conflicts()
        self._tell(Changed.OUTBOX)

    # --- word of changes ------------------------------------------------------------------

    def watch(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(what)`` after each change, from the thread it happened on, until
        the function returned is called."""
        with self._lock:
            self._listeners.append(listener)

        def unwatch() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unwatch

    def _tell(self, what: Changed) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(what)
            except Exception:  # a listener's failure must not stop a sync cycle
                log.exception("a listener of %s changes failed", what)
