"""``FileUploader``: sends the scans the counter holds to the centre, whole, in the background.

Files travel apart from operations (issue 14): an operation says a dossier has a file (its
SHA-256, size, name...), and this uploader brings the bytes, in its own thread, so an upload
never holds up a push of operations (the sync engine's thread never waits for it; on the
wire a push waits at most for the chunk in flight, 1 MiB).

For each file the source still holds unacknowledged, oldest first, one at a time: ask the
centre how much of it it holds (``GET /v1/files/{sha}/upload``), send the rest in chunks of
:data:`CHUNK` bytes, and acknowledge it to the source only once the centre said
``complete`` (it hashed every byte and the hash is the file's name). A connection cut
mid-chunk, a lost answer or a restarted centre cost at most that chunk: the centre's
``received`` says where to go on (the 409 of a chunk sent at the wrong offset says it too).
A file the centre already holds for this office (sent by another counter) is acknowledged
without sending anything.

A file the centre refuses (over its size limit, bytes that do not hash to the name) is set
aside and tried again later, never blocking the files after it; F5 shows it. The
protocol is in docs/sync-protocol.md ("Files").
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from counter_tui.sync.client import (
    AuthRefused,
    CentralClient,
    CertificateRefused,
    Refused,
    SyncError,
    Unreachable,
    UploadOffset,
)
from counter_tui.sync.loop import BackgroundLoop
from counter_tui.sync.problems import classify
from counter_tui.sync.state import Problem

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024  # the centre takes at most this much per request (the contract's limit)
RATE_WINDOW_S = 10.0


class FileSource(Protocol):
    """The counter's files still to send (the store implements it)."""

    def pending_files(self) -> list[tuple[str, int]]:
        """``(sha, size)`` of every file not yet acknowledged, oldest first."""
        ...

    def read_file_chunk(self, sha: str, offset: int, length: int) -> bytes:
        """``length`` bytes of the plaintext from ``offset`` (checked against its hash)."""
        ...

    def file_acknowledged(self, sha: str) -> None:
        """The centre holds ``sha`` whole: the source may evict it when space is short."""
        ...


@dataclass
class FileSyncStatus:
    """What F5 shows about files: how many and how much wait, and how fast they go."""

    files_waiting: int = 0
    bytes_waiting: int = 0
    rate_bps: float = 0.0  # bytes a second the centre took, over the last few seconds
    current: str | None = None  # the file being sent
    sent_bytes: int = 0  # bytes the centre took since the uploader started
    acknowledged: int = 0  # files acknowledged since the uploader started
    problem: Problem | None = None  # why the last attempt failed (None: it did not)
    refused: dict[str, str] = field(default_factory=dict)  # sha -> why the centre refused it


class FileUploader:
    """Upload a :class:`FileSource`'s files through ``client``, in a thread of its own.

    Give it its own :class:`CentralClient` (same URL and token as the sync engine's): its
    connections then carry nothing but chunks."""

    def __init__(
        self,
        source: FileSource,
        client: CentralClient,
        *,
        chunk: int = CHUNK,
        interval: float = 15.0,
        max_backoff: float = 60.0,
        refusal_backoff: float = 300.0,
        on_status: Callable[[FileSyncStatus], None] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.client = client
        self.chunk = chunk
        self.interval = interval  # how often to look for new files when nothing woke it
        self.max_backoff = max_backoff
        self.refusal_backoff = refusal_backoff
        self.on_status = on_status
        self.rng = rng or random.Random()
        self.clock = clock
        self.failures = 0
        self._status = FileSyncStatus()
        self._set_aside: dict[str, float] = {}  # sha -> when to try it again (refused)
        self._next = 0.0
        self._rate: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()
        self._loop = BackgroundLoop(
            "file-upload", lambda _woke: self.step(), retry_after=lambda: self.interval
        )

    # --- state for the UI -----------------------------------------------------------------

    def status(self) -> FileSyncStatus:
        """A copy, safe to read on the UI's thread while the upload goes on."""
        with self._lock:
            self._status.rate_bps = self._rate_now()
            return dataclasses.replace(self._status, refused=dict(self._status.refused))

    def _rate_now(self) -> float:
        now = self.clock()
        while self._rate and self._rate[0][0] < now - RATE_WINDOW_S:
            self._rate.popleft()
        if not self._rate:
            return 0.0
        span = max(now - self._rate[0][0], 1.0)
        return sum(n for _t, n in self._rate) / span

    def _publish(self) -> None:
        if self.on_status is not None:
            self.on_status(self.status())

    # --- one pass -------------------------------------------------------------------------

    def upload_pending(self) -> bool:
        """Send every pending file not set aside, one at a time. ``True`` when every file is
        acknowledged; ``False`` after a failure (``status().problem`` says which) or while
        files the centre refused wait (``status().refused``). Never raises."""
        try:
            pending = self.source.pending_files()
            self._count(pending, 0)
            for sha, size in list(pending):
                if self._loop.stopping:
                    return False
                if self._set_aside.get(sha, 0.0) > self.clock():
                    continue
                try:
                    self._upload(sha, size, pending)
                except (Refused, OSError, ValueError) as exc:
                    # This file cannot go (the centre refused it, the cache cannot read it):
                    # the ones after it still can.
                    self._refuse(sha, exc)
                    continue
        except (Unreachable, AuthRefused, CertificateRefused, SyncError) as exc:
            self._failed(exc)
            return False
        except Exception as exc:  # a bug must not end the uploader
            log.exception("file upload failed unexpectedly")
            self._failed(exc)
            return False
        with self._lock:
            self._status.current = None
            self._status.problem = None
        self.failures = 0
        self._publish()
        return not self.source.pending_files()

    def _count(self, pending: list[tuple[str, int]], held: int) -> None:
        with self._lock:
            self._status.files_waiting = len(pending)
            self._status.bytes_waiting = sum(size for _s, size in pending) - held

    def _upload(self, sha: str, size: int, pending: list[tuple[str, int]]) -> None:
        with self._lock:
            self._status.current = sha
        state = self.client.file_upload_state(sha)
        offset = int(state.get("received") or 0) if state.get("size") == size else 0
        done = bool(state.get("complete"))
        while not done:
            self._count(pending, offset)
            self._publish()
            if self._loop.stopping:
                return
            length = min(self.chunk, size - offset)
            try:
                data = self.source.read_file_chunk(sha, offset, length)
            except Exception as exc:
                # The cache cannot give this file (damaged, gone): set it aside like a
                # refusal, so the files after it still go.
                # The store's errors carry the clerk's words (F5 shows them).
                words = getattr(getattr(exc, "msg", None), "vi", None)
                raise ValueError(words if isinstance(words, str) else str(exc)) from exc
            if len(data) != length:
                raise ValueError(f"the cache gave {len(data)} bytes of {sha[:12]}, not {length}")
            try:
                answer = self.client.upload_file_chunk(sha, offset, size, data)
            except UploadOffset as exc:
                # An earlier answer was lost, or the centre restarted: go on from where it is.
                offset = exc.received
                continue
            with self._lock:
                self._rate.append((self.clock(), len(data)))
                self._status.sent_bytes += len(data)
            self.failures = 0  # progress: the next cut is a new one, not an outage going on
            offset = int(answer.get("received") or 0)
            done = bool(answer.get("complete"))
        self.source.file_acknowledged(sha)
        pending[:] = [(s, n) for s, n in pending if s != sha]
        self._set_aside.pop(sha, None)
        with self._lock:
            self._status.refused.pop(sha, None)
            self._status.acknowledged += 1
        self._count(pending, 0)
        self._publish()

    def _refuse(self, sha: str, exc: Exception) -> None:
        log.error("file %s… set aside: %s", sha[:12], exc)
        self._set_aside[sha] = self.clock() + self.refusal_backoff
        with self._lock:
            self._status.refused[sha] = str(exc)[:300]
        self._publish()

    def _failed(self, exc: BaseException) -> None:
        problem = classify(exc)
        self.failures += 1
        n = min(self.failures, 16)
        if problem.transient:
            # A cut after progress is retried at once (a link that drops every few seconds
            # must cost no more than the chunk it cut); cuts in a row back off from 0.25 s.
            delay = 0.0
            if n > 1:
                delay = min(self.max_backoff, 0.25 * 2 ** (n - 2)) * self.rng.uniform(0.5, 1.0)
            log.info("file upload interrupted (%s, attempt %d): %s", problem.code, n, exc)
        else:
            delay = min(self.max_backoff * 5, self.refusal_backoff)
            log.warning("file upload refused (%s): %s", problem.code, exc)
        self._next = self.clock() + delay
        with self._lock:
            self._status.problem = problem
        self._publish()

    # --- background -----------------------------------------------------------------------

    def step(self) -> float:
        """Upload what is due; the seconds until the next try."""
        if self.clock() >= self._next:
            if self.upload_pending():
                self._next = self.clock() + self.interval
            elif self._status.problem is None:
                # Only set-aside files are left: look again when the first is due.
                soonest = min(self._set_aside.values(), default=self.clock() + self.interval)
                self._next = min(soonest, self.clock() + self.interval)
        return max(0.0, self._next - self.clock())

    def notify(self) -> None:
        """A file was added (or the link is back): look now, never on the caller's thread."""
        if self._status.problem is None or self._status.problem.transient:
            self._next = min(self._next, self.clock())
        self._loop.wake()

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        """Stop after the chunk in flight (the centre keeps what it got)."""
        self._loop.stop()
