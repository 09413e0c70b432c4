"""``SyncEngine``: push the outbox, pull the change feed, in the background, through outages.

One cycle pushes every pending operation (in order, in batches), then pulls
changes until none are left. The same batch is retried until it is answered;
the central service replays its stored answers for operations it has already
applied, so a lost response costs nothing. Pulled changes and the cursor are
committed in one local transaction, so the cursor never runs ahead of the
data. Pulled server state is applied, then operations still pending locally
are re-applied on top. Nothing is ordered by the PC's clock: operations by
their sequence number, changes by the server's version.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from counter_tui.domain.calendar import WorkCalendar
from counter_tui.domain.catalog import Catalog
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.ops import SYNC_KEY, apply_op
from counter_tui.store.local import LocalStore
from counter_tui.sync.client import (
    AuthRefused,
    CentralClient,
    CertificateRefused,
    Refused,
    ResyncRequired,
    SyncError,
    Timed,
    Unreachable,
)
from counter_tui.sync.state import Connection

log = logging.getLogger(__name__)
SKEW_LIMIT_S = 120.0
AUTH_MESSAGES = {
    "expired": Msg(
        "Khóa truy cập của quầy đã hết hạn; báo quản trị viên cấp khóa mới (central rotate).",
        "This counter's token has expired; ask the operator for a new one (central rotate).",
    ),
    "revoked": Msg(
        "Khóa truy cập của quầy đã bị thu hồi; báo quản trị viên.",
        "This counter's token was revoked; call the operator.",
    ),
    "forbidden": Msg(
        "Khóa của quầy không được làm việc này ở trung tâm.",
        "This counter's token is not allowed to do this.",
    ),
    "unknown": Msg(
        "Máy chủ không nhận khóa truy cập của quầy; hãy báo quản trị viên.",
        "The central service does not know this counter's token; call the operator.",
    ),
}
LOCAL_KEYS = ("state", "result", "seq_local")


@dataclass
class SyncStatus:
    """What the UI shows about sync: state, counts, last success, warnings."""

    state: Connection = Connection.OFFLINE
    pending: int = 0
    conflicts: int = 0
    last_success: float | None = None  # wall clock, for display only
    error: Msg | None = None
    skew_s: float | None = None
    warnings: list[Msg] = field(default_factory=list)
    resyncs: int = 0


def _clean(op: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in op.items() if k not in LOCAL_KEYS}


class SyncEngine:
    def __init__(
        self,
        store: LocalStore,
        client: CentralClient,
        *,
        catalog: Catalog,
        calendar: WorkCalendar,
        batch: int = 100,
        pull_limit: int = 500,
        interval: float = 15.0,
        debounce: float = 1.0,
        max_backoff: float = 300.0,
        on_status: Callable[[SyncStatus], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.catalog = catalog
        self.calendar = calendar
        self.batch = batch
        self.pull_limit = pull_limit
        self.interval = interval
        self.debounce = debounce
        self.max_backoff = max_backoff
        self.on_status = on_status
        self.rng = rng or random.Random()
        self._status = SyncStatus()
        self._cycle = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0
        self._refresh_counts()

    # --- state for the UI -----------------------------------------------------------------

    def status(self) -> SyncStatus:
        # Called on every draw of the status bar: only the cheap count is read here;
        # the conflict count changes only in a sync cycle or when the clerk marks one handled.
        self._status.pending = self.store.pending_count()
        return self._status

    def refresh_conflicts(self) -> None:
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        self._status.pending = self.store.pending_count()
        self._status.conflicts = len(self.store.rejected_ops())

    def _publish(self) -> None:
        self._refresh_counts()
        if self.on_status is not None:
            self.on_status(self._status)

    def _note_skew(self, timed: Timed) -> None:
        skew = timed.skew
        if skew is None:
            return
        self._status.skew_s = skew
        self._status.warnings = [
            w for w in self._status.warnings if not w.en.startswith("PC clock")
        ]
        if abs(skew) > SKEW_LIMIT_S:
            minutes = round(skew / 60)
            self._status.warnings.append(
                Msg(
                    f"Đồng hồ máy tính lệch {abs(minutes)} phút so với máy chủ "
                    f"({'chậm' if skew > 0 else 'nhanh'}); hãy chỉnh lại giờ.",
                    f"PC clock is {abs(minutes)} min {'behind' if skew > 0 else 'ahead of'} "
                    "the server; please correct it.",
                )
            )

    # --- one cycle ------------------------------------------------------------------------

    def sync_once(self) -> bool:
        """Push everything, then pull everything. Never raises; the status says what happened."""
        with self._cycle:
            self._status.state = Connection.SYNCING
            self._publish()
            try:
                self._push_all()
                self._pull_all()
                self._refresh_catalog()
                clerks = self.client.clerks()
                if clerks is not None:
                    self.store.save_clerks(clerks)
            except Unreachable as exc:
                self.failures += 1
                log.warning("central unreachable (attempt %d): %s", self.failures, exc)
                self._status.state = Connection.OFFLINE
                self._status.error = Msg(
                    "Không kết nối được hệ thống trung tâm; vẫn làm việc bình thường, dữ liệu "
                    "sẽ tự gửi khi có mạng.",
                    f"Central service unreachable ({exc}); keep working, data is sent later.",
                )
                self._publish()
                return False
            except AuthRefused as exc:
                self.failures += 1
                log.error("central refused this counter's token: %s", exc.reason)
                self._status.state = Connection.ERROR
                self._status.error = AUTH_MESSAGES.get(exc.reason, AUTH_MESSAGES["unknown"])
                self._publish()
                return False
            except CertificateRefused as exc:
                self.failures += 1
                log.error("central's TLS certificate is not trusted: %s", exc)
                self._status.state = Connection.ERROR
                self._status.error = Msg(
                    "Chứng chỉ bảo mật (TLS) của máy chủ trung tâm không được tin cậy; không gửi "
                    "dữ liệu. Báo quản trị viên kiểm tra [central] ca_file.",
                    "The central service's TLS certificate is not trusted; nothing was sent. "
                    "Ask the operator to check [central] ca_file.",
                )
                self._publish()
                return False
            except (Refused, SyncError, DomainError) as exc:
                self.failures += 1
                self._status.state = Connection.ERROR
                self._status.error = (
                    exc.msg
                    if isinstance(exc, DomainError)
                    else Msg(f"Lỗi đồng bộ: {exc}", f"Sync error: {exc}")
                )
                self._publish()
                return False
            self.failures = 0
            self._status.state = Connection.ONLINE
            self._status.error = None
            self._status.last_success = time.time()
            self._publish()
            return True

    def _push_all(self) -> None:
        while True:
            ops = self.store.pending_ops(limit=self.batch)
            if not ops:
                return
            before = self.store.acked_seq()
            # The audit chain's head goes along: the centre keeps it outside this PC.
            head = {
                "seq": int(self.store.get_meta("audit_seq", 0)),
                "head": self.store.get_meta("audit_hash", ""),
            }
            timed = self.client.push([_clean(op) for op in ops], audit=head)
            self._note_skew(timed)
            body = timed.body
            self.store.ack_ops(body.get("results", []))
            err = body.get("error")
            if err:
                server_last = int(body.get("last_seq", 0))
                if err.get("code") == "seq_reused":
                    raise SyncError(
                        "Máy chủ báo số thứ tự thao tác đã dùng (máy quầy có thể bị sao chép); "
                        "hãy đăng ký lại quầy."
                    )
                if err.get("code") == "gap":
                    acked = self.store.acked_seq()
                    if server_last > acked:
                        self.store.ack_through(server_last)
                    elif server_last < acked:
                        # The service lost operations (restored from a backup): send them again.
                        self.store.set_meta("acked_seq", server_last)
                    continue
                raise SyncError(str(err))
            if self.store.acked_seq() == before:
                raise SyncError("push made no progress")

    def _pull_all(self) -> None:
        cursor = self.store.get_meta("cursor")
        for _ in range(100_000):
            try:
                timed = self.client.pull(cursor, self.pull_limit)
            except ResyncRequired:
                # Full resynchronisation: the outbox is kept, the cursor starts over.
                self._status.resyncs += 1
                cursor = None
                self.store.set_meta("cursor", None)
                continue
            self._note_skew(timed)
            body = timed.body
            changes = body.get("changes", [])
            pending: dict[str, list[dict[str, Any]]] = {}
            if changes and self.store.pending_count():
                for op in self.store.pending_ops(limit=10**9):
                    pending.setdefault(op["uid"], []).append(op)
            with self.store.transaction():
                for ch in changes:
                    self._apply_change(ch, pending.get(ch["uid"], []))
                self.store.set_meta("cursor", body["cursor"])
            cursor = body["cursor"]
            if not body.get("has_more"):
                return

    def _apply_change(self, ch: dict[str, Any], pending: list[dict[str, Any]]) -> None:
        uid, version, doc = ch["uid"], int(ch["version"]), dict(ch["doc"])
        local = self.store.get_dossier(uid)
        if local is not None and int((local.get(SYNC_KEY) or {}).get("version", 0)) >= version:
            return
        for op in pending:
            if op.get("type") == "dossier.receive":
                continue
            try:
                doc = apply_op(doc, op, catalog=self.catalog, calendar=self.calendar)
            except DomainError:
                continue  # the service will answer this operation; the answer is shown then
        doc[SYNC_KEY] = {"version": version, "confirmed": not pending}
        self.store.put_dossier(doc)

    def _refresh_catalog(self) -> None:
        _procs, etag = self.store.cached_catalog()
        status, body, new_etag = self.client.catalog(etag)
        if status == 200 and body is not None:
            import orjson

            doc = orjson.loads(body)
            self.store.save_catalog(list(doc.get("procedures", [])), new_etag or "")

    # --- online lookups -------------------------------------------------------------------

    def fetch_dossier(self, code: str) -> dict[str, Any] | None:
        """Ask the centre for a dossier the cache lacks, and keep it in the cache."""
        found = self.client.dossier(code)
        if found is None:
            return None
        doc = dict(found["doc"])
        doc[SYNC_KEY] = {"version": int(found["version"]), "confirmed": True}
        local = self.store.get_dossier(doc["uid"])
        if local is None or int((local.get(SYNC_KEY) or {}).get("version", 0)) < found["version"]:
            with self.store.transaction():
                self.store.put_dossier(doc)
        return doc

    # --- background -----------------------------------------------------------------------

    def notify_write(self) -> None:
        """A local write happened: sync soon (debounced), never on the caller's thread."""
        self._wake.set()

    def next_delay(self) -> float:
        if self.failures == 0:
            return self.interval
        base = min(self.max_backoff, 1.0 * 2 ** min(self.failures, 16))
        return base * self.rng.uniform(0.5, 1.0)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def run() -> None:
            delay = 0.0
            while not self._stop.is_set():
                woke = self._wake.wait(delay)
                if self._stop.is_set():
                    break
                if woke:
                    self._wake.clear()
                    if self._stop.wait(self.debounce):
                        break
                self.sync_once()
                delay = self.next_delay()

        self._thread = threading.Thread(target=run, name="sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
