"""``BackgroundLoop``: the one thread loop both sync engines run in (operations, scans).

Each engine says what to do now in a ``step`` that returns the seconds until something
is due again; the loop waits that long or until it is woken (a local write, a scan
added), and never ends on an error: a step that raises is logged and tried again later,
since a sync thread that died would stop sending without a word to the clerk. Stopping
wakes the wait, so it takes effect at once (after the request in flight).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class BackgroundLoop:
    """Run ``step(woke)`` in a daemon thread named ``name`` until :meth:`stop`.

    ``woke`` says a :meth:`wake` came since the last step. ``debounce()`` is how long to
    let further wakes gather after one (a burst of writes makes one cycle);
    ``retry_after()`` is the wait after a step that raised. Both are read each time, so an
    engine's settings may change while it runs.
    """

    def __init__(
        self,
        name: str,
        step: Callable[[bool], float],
        *,
        retry_after: Callable[[], float],
        debounce: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self.name = name
        self._step = step
        self._retry_after = retry_after
        self._debounce = debounce
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called: long work in a step ends early on it."""
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def wake(self) -> None:
        """Run the next step soon; safe from any thread, before or after :meth:`start`
        (a wake before it makes the first wait end at once)."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        woke = False
        while not self._stop.is_set():
            try:
                delay = self._step(woke)
            except Exception:  # never end the thread: sync would stop without a word
                log.exception("%s loop step failed", self.name)
                delay = self._retry_after()
            woke = self._wake.wait(delay)
            if self._stop.is_set():
                break
            if woke:
                self._wake.clear()
                debounce = self._debounce()
                if debounce > 0 and self._stop.wait(debounce):
                    break

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the step under way (waited for up to ``timeout`` seconds)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None
