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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from counter_tui.domain.calendar import HolidayDecisions, WorkCalendar
from counter_tui.domain.catalog import Catalog
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.ops import SYNC_KEY, apply_op
from counter_tui.store.local import LocalStore
from counter_tui.sync.client import (
    CentralClient,
    ResyncRequired,
    SyncError,
    Timed,
    TooLarge,
    Unreachable,
)
from counter_tui.sync.loop import BackgroundLoop
from counter_tui.sync.problems import OutboxGap, SeqReused, classify
from counter_tui.sync.state import Connection, Problem

log = logging.getLogger(__name__)
SKEW_LIMIT_S = 120.0
LOCAL_KEYS = ("state", "result", "seq_local", "seq_before_repair")


@dataclass
class SyncStatus:
    """What the UI shows about sync: state, counts, last success, warnings.

    ``error`` is the problem's message (what is wrong and what to do); ``problem`` carries
    its stable code; ``retry_at`` is when the counter tries again on its own (wall clock,
    for display only), ``None`` when online.
    """

    state: Connection = Connection.OFFLINE
    pending: int = 0
    conflicts: int = 0
    last_success: float | None = None  # wall clock, for display only
    error: Msg | None = None
    skew_s: float | None = None
    warnings: list[Msg] = field(default_factory=list)
    resyncs: int = 0
    problem: Problem | None = None
    retry_at: float | None = None  # wall clock, for display only
    last_contact: float | None = None  # wall clock of the centre's last answer (any request)


def _clean(op: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in op.items() if k not in LOCAL_KEYS}


class SyncEngine:
    # Operations per push request. 200 receipts are ~0.4 MB: one request's overhead spread
    # over enough operations, small enough to get through a poor link (and a 413 halves it).
    BATCH = 200

    def __init__(
        self,
        store: LocalStore,
        client: CentralClient,
        *,
        catalog: Catalog,
        calendar: WorkCalendar,
        batch: int | None = None,
        pull_limit: int = 500,
        interval: float = 15.0,
        debounce: float = 1.0,
        max_backoff: float = 300.0,
        refusal_backoff: float = 60.0,
        probe_interval: float = 5.0,
        on_status: Callable[[SyncStatus], None] | None = None,
        on_holidays: Callable[[dict[str, Any]], object] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.client = client
        self.catalog = catalog
        self.calendar = calendar
        self.batch = batch or self.BATCH
        self.pull_limit = pull_limit
        self.interval = interval
        self.debounce = debounce
        self.max_backoff = max_backoff
        # A refusal (token, certificate, gap...) needs a person: retrying it fast changes
        # nothing, so it is retried slowly (this, doubling up to max_backoff).
        self.refusal_backoff = refusal_backoff
        # While the centre is unreachable a cheap health probe runs this often, so the
        # counter notices it is back within one normal cycle however long the outage was.
        self.probe_interval = probe_interval
        self.on_status = on_status
        # Keeps a table of holiday decisions the centre sent (the desk's
        # ``use_holiday_decisions``: cached offline, used from the next receipt).
        self.on_holidays = on_holidays
        self.rng = rng or random.Random()
        self.clock = clock  # monotonic: a PC clock set forward or back changes no delay
        self._next_cycle = 0.0
        self._next_probe = 0.0
        self._centre_down = False
        self._batch_cap: int | None = None  # after a 413, until a cycle succeeds
        self._status = SyncStatus()
        self._cycle = threading.Lock()
        self._loop = BackgroundLoop(
            "sync",
            self.step,
            retry_after=lambda: self.interval,
            debounce=lambda: self.debounce,
        )
        self.failures = 0
        self._refresh_counts()

    # --- state for the UI -----------------------------------------------------------------

    def status(self) -> SyncStatus:
        # Called on every draw of the status bar: only the cheap count is read here;
        # the conflict count changes only in a sync cycle or when the clerk marks one handled.
        self._status.pending = self.store.outbox.pending_count()
        return self._status

    def refresh_conflicts(self) -> None:
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        self._status.pending = self.store.outbox.pending_count()
        self._status.conflicts = len(self.store.outbox.rejected())

    def _publish(self) -> None:
        self._refresh_counts()
        if self.on_status is not None:
            self.on_status(self._status)

    def _note_skew(self, timed: Timed) -> None:
        self._status.last_contact = time.time()
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
                    self.store.clerks.save(clerks)
            except (SyncError, DomainError) as exc:
                self._failed(exc)
                return False
            except Exception as exc:
                # A bug here must not end sync for the day: the thread lives on, the cycle
                # is retried with backoff, F5 says so, and the log has the traceback.
                log.exception("sync cycle failed unexpectedly")
                self._failed(exc)
                return False
            self.failures = 0
            self._batch_cap = None
            self._centre_down = False
            self._next_cycle = self.clock() + self.interval
            self._status.state = Connection.ONLINE
            self._status.error = None
            self._status.problem = None
            self._status.retry_at = None
            self._status.last_success = time.time()
            self._publish()
            return True

    def _failed(self, exc: Exception) -> None:
        problem = classify(exc)
        self.failures += 1
        delay = self._backoff(problem, exc)
        self._next_cycle = self.clock() + delay
        if problem.transient:
            self._next_probe = self.clock() + min(delay, self._probe_delay())
        if problem.fault_here:
            pass  # logged with its traceback by the caller
        elif problem.transient:
            log.warning("sync failed (%s, attempt %d): %s", problem.code, self.failures, exc)
        elif problem.code.startswith("auth."):
            # Never the token itself; the reason tells the operator rotate or re-register.
            log.error("central refused this counter's token: %s", problem.code[5:])
        else:
            log.error("central refused this counter (%s): %s", problem.code, exc)
        self._status.state = problem.state
        self._status.problem = problem
        self._status.error = problem.msg
        self._status.retry_at = time.time() + delay
        self._publish()

    def _backoff(self, problem: Problem, exc: BaseException) -> float:
        """Seconds until the next full cycle after ``failures`` failed ones in a row."""
        n = min(self.failures, 16)
        if not problem.transient:
            return float(min(self.max_backoff, self.refusal_backoff * 2 ** (n - 1)))
        base = min(self.max_backoff, 1.0 * 2**n) * self.rng.uniform(0.5, 1.0)
        after = exc.retry_after if isinstance(exc, Unreachable) else None
        if after is not None:
            base = max(base, min(after, self.max_backoff))
        return float(base)

    def _probe_delay(self) -> float:
        return self.probe_interval * self.rng.uniform(0.8, 1.0)

    def _push_extra(self) -> dict[str, Any]:
        """Top-level fields sent with every push beside the operations.

        The audit chain's head goes along: the centre keeps it outside this PC, so a
        chain truncated here (head rewritten too) is still caught by ``audit verify``."""
        return {
            "audit": {
                "seq": int(self.store.meta.get("audit_seq", 0)),
                "head": self.store.meta.get("audit_hash", ""),
            }
        }

    def _push_all(self) -> None:
        """Push the outbox in batches, sending the next batch while this one's answers are
        stored: the centre works on one while the counter records the other.

        The next batch goes only after this one was answered without an error and in
        full, so the centre sees the operations in order as before; its answers are
        stored as they come. If this process stops with a batch sent and its answers
        not stored, the next push is told the centre has more than the counter knew
        (the path of answers lost on the way), as before.
        """
        realigned = False
        ahead: tuple[list[dict[str, Any]], Future[Timed]] | None = None
        pool: ThreadPoolExecutor | None = None
        try:
            while True:
                limit = min(self.batch, self._batch_cap or self.batch)
                sent: Future[Timed] | None = None
                if ahead is not None:
                    ops, sent = ahead
                    ahead = None
                else:
                    ops = self.store.outbox.pending(limit=limit, copy=False)
                    if not ops and self.store.outbox.pending_count() > 0:
                        # The next numbers are missing from the outbox: send what follows,
                        # so the centre says what it has (its answers may have been lost)
                        # or that a gap it cannot close is there.
                        ops = self.store.outbox.pending(limit=self.store.outbox.pending_count())[
                            :limit
                        ]
                    if not ops:
                        return
                before = self.store.outbox.acked_seq()
                try:
                    if sent is not None:
                        timed = sent.result()
                    else:
                        timed = self.client.push([_clean(op) for op in ops], self._push_extra())
                except TooLarge:
                    if len(ops) == 1:
                        raise
                    # Halve the batch until it fits: log2(batch) requests at most.
                    self._batch_cap = max(1, len(ops) // 2)
                    continue
                self._note_skew(timed)
                body = timed.body
                results = body.get("results", [])
                err = body.get("error")
                if not err and len(results) == len(ops):
                    following = self.store.outbox.pending(
                        limit=limit, after=int(ops[-1]["seq"]), copy=False
                    )
                    if following and int(following[0]["seq"]) == int(ops[-1]["seq"]) + 1:
                        if pool is None:
                            pool = ThreadPoolExecutor(1, thread_name_prefix="sync-push")
                        batch = [_clean(op) for op in following]
                        ahead = (
                            following,
                            pool.submit(self.client.push, batch, self._push_extra()),
                        )
                self.store.outbox.ack(results)
                if err:
                    server_last = int(body.get("last_seq", 0))
                    if err.get("code") == "seq_reused":
                        # The batch was answered up to the operation the centre refused.
                        answered = len(results)
                        raise SeqReused(int(ops[min(answered, len(ops) - 1)]["seq"]))
                    if err.get("code") == "gap":
                        acked = self.store.outbox.acked_seq()
                        if server_last > acked:
                            # The centre has more than we knew (its answers were lost).
                            self.store.outbox.ack_through(server_last)
                        elif server_last < acked and not realigned:
                            # The centre lost operations (restored from a backup): send
                            # them again.
                            self.store.meta.set("acked_seq", server_last)
                        else:
                            # Nothing we hold can fill the gap: retrying cannot help.
                            raise OutboxGap(server_last + 1, int(ops[0]["seq"]))
                        realigned = True
                        continue
                    raise SyncError(str(err))
                if self.store.outbox.acked_seq() == before:
                    raise SyncError("push made no progress")
        finally:
            if pool is not None:
                # A batch sent ahead whose answers were not stored: the next push learns
                # from the centre that it has them (see above).
                pool.shutdown(wait=False, cancel_futures=True)

    def _pull_all(self) -> None:
        """Pull pages until none are left, fetching the next page while this one is applied.

        The fetch runs one page ahead in a helper thread; each page's changes and its
        cursor still commit together, so a crash or an error loses at most the page
        fetched ahead, which the next cycle asks for again from the stored cursor.
        """
        ahead: Future[Timed] | None = None
        pool: ThreadPoolExecutor | None = None
        try:
            cursor = self.store.meta.get("cursor")
            for _ in range(100_000):
                try:
                    timed = (
                        ahead.result()
                        if ahead is not None
                        else self.client.pull(cursor, self.pull_limit)
                    )
                except ResyncRequired:
                    # Full resynchronisation: the outbox is kept, the cursor starts over.
                    self._status.resyncs += 1
                    cursor = None
                    ahead = None
                    self.store.meta.set("cursor", None)
                    continue
                body = timed.body
                more = bool(body.get("has_more"))
                ahead = None
                if more:
                    if pool is None:
                        pool = ThreadPoolExecutor(1, thread_name_prefix="sync-pull")
                    ahead = pool.submit(self.client.pull, body["cursor"], self.pull_limit)
                self._note_skew(timed)
                self._apply_page(body)
                cursor = body["cursor"]
                if not more:
                    return
        finally:
            if pool is not None:
                # A page fetched ahead and not applied is dropped: the stored cursor
                # still points before it.
                pool.shutdown(wait=False, cancel_futures=True)

    def _apply_page(self, body: dict[str, Any]) -> None:
        """Store one page of changes and its cursor in one transaction, as one batch."""
        latest: dict[str, dict[str, Any]] = {}
        for ch in body.get("changes", []):
            seen = latest.get(ch["uid"])
            if seen is None or int(ch["version"]) > int(seen["version"]):
                latest[ch["uid"]] = ch
        with self.store.transaction():
            # The counter's unanswered operations are read inside the transaction: a clerk's
            # action committed between reading them and writing this page would otherwise
            # be overwritten by the centre's older copy and shown as confirmed.
            pending: dict[str, list[dict[str, Any]]] = {}
            if latest and self.store.outbox.pending_count():
                for op in self.store.outbox.pending(limit=10**9):
                    pending.setdefault(op["uid"], []).append(op)
            stored = self.store.dossiers.stored_versions(list(latest))
            docs = [
                self._merged(ch, pending.get(uid, []))
                for uid, ch in latest.items()
                if uid not in stored or stored[uid] < int(ch["version"])
            ]
            # The page's documents were parsed for this call only: the store takes them.
            self.store.dossiers.adopt(docs)
            self.store.meta.set("cursor", body["cursor"])

    def _merged(self, ch: dict[str, Any], pending: list[dict[str, Any]]) -> dict[str, Any]:
        """The server's dossier with this counter's unanswered operations applied on top."""
        doc = dict(ch["doc"])
        for op in pending:
            if op.get("type") == "dossier.receive":
                continue
            try:
                doc = apply_op(doc, op, catalog=self.catalog, calendar=self.calendar)
            except DomainError:
                continue  # the service will answer this operation; the answer is shown then
        doc[SYNC_KEY] = {"version": int(ch["version"]), "confirmed": not pending}
        return doc

    def _refresh_catalog(self) -> None:
        _procs, etag = self.store.catalog.cached()
        status, body, new_etag = self.client.catalog(etag)
        if status == 200 and body is not None:
            import orjson

            doc = orjson.loads(body)
            raw = doc.get("holidays")
            if isinstance(raw, dict):
                self._use_holidays(raw)
            # Saved after the table: a crash in between fetches both again.
            self.store.catalog.save(list(doc.get("procedures", [])), new_etag or "")

    def _use_holidays(self, raw: dict[str, Any]) -> None:
        """The centre's holiday decisions, from now on: kept by the desk (cache) and used by
        this engine when it replays pending operations. A malformed table is logged and the
        one in use kept (the centre checks every entry, so this is a bug to report)."""
        try:
            decisions = HolidayDecisions.from_dict(raw, "(trung tâm)")
            if self.on_holidays is not None:
                self.on_holidays(raw)
        except DomainError as exc:
            log.error("holiday table from the centre refused: %s", exc.msg.en)
            return
        self.calendar = self.calendar.with_decisions(decisions)

    # --- online lookups -------------------------------------------------------------------

    def fetch_dossier(self, code: str) -> dict[str, Any] | None:
        """Ask the centre for a dossier the cache lacks, and keep it in the cache."""
        found = self.client.dossier(code)
        if found is None:
            return None
        ch = {"uid": found["doc"]["uid"], "version": int(found["version"]), "doc": found["doc"]}
        with self.store.transaction():
            # Checked and written under one lock, with this counter's unanswered operations
            # on top, as a pulled page is: a clerk's action just saved is never undone.
            local = self.store.dossiers.get(ch["uid"])
            if local is not None and int((local.get(SYNC_KEY) or {}).get("version", 0)) >= int(
                ch["version"]
            ):
                return local
            pending = [
                op for op in self.store.outbox.pending(limit=10**9) if op["uid"] == ch["uid"]
            ]
            doc = self._merged(ch, pending)
            self.store.dossiers.put(doc)
        return doc

    def fetch_citizen_dossiers(self, citizen_id: str) -> int:
        """Ask the centre for every dossier of a citizen and keep each in the cache (as
        :meth:`fetch_dossier`); how many are now in the cache."""
        kept = 0
        for item in self.client.citizen_dossiers(citizen_id):
            kept += self.fetch_dossier(item["doc"]["code"]) is not None
        return kept

    # --- background -----------------------------------------------------------------------

    def notify_write(self) -> None:
        """A local write happened: sync soon (debounced), never on the caller's thread."""
        self._loop.wake()

    def probe(self) -> bool:
        """Is the centre answering? One cheap unauthenticated GET, short timeout."""
        try:
            self.client.health(timeout=min(5.0, self.probe_interval))
        except SyncError:
            return False
        self._status.last_contact = time.time()
        return True

    def step(self, woke: bool = False) -> float:
        """Do whatever is due now (a cycle, or a probe while the centre is unreachable) and
        return the seconds until something is due again. ``woke``: a local write happened.

        Backoff applies to failing cycles only: while the centre does not answer at all, no
        push is tried, only the probe; the first probe it answers starts a cycle at once and
        forgets the backoff (the failures were the outage, not the push).
        """
        now = self.clock()
        problem = self._status.problem
        if problem is None:
            if woke or now >= self._next_cycle:
                self.sync_once()
            return self._until_next()
        if not problem.transient:
            # Someone must act (token, certificate, gap...): writes do not hurry a retry.
            if now >= self._next_cycle:
                self.sync_once()
            return self._until_next()
        if now >= self._next_transient():
            up = self.probe()
            self._next_probe = self.clock() + self._probe_delay()
            if not up:
                self._centre_down = True
                return self._until_next()
            if self._centre_down:
                log.info("central service answers again: syncing now")
                self._centre_down = False
                self.failures = 0
                self._next_cycle = now
            if self.clock() >= self._next_cycle:
                self.sync_once()
        return self._until_next()

    def _until_next(self) -> float:
        problem = self._status.problem
        due = self._next_transient() if problem and problem.transient else self._next_cycle
        return max(0.0, due - self.clock())

    def _next_transient(self) -> float:
        # While the centre does not answer, only the probe is due; once it answers, the
        # cycle is due when its backoff ends (after a probe, checked just before it).
        if self._centre_down:
            return self._next_probe
        return min(self._next_probe, self._next_cycle)

    def start(self) -> None:
        """Sync in the background: a cycle whenever one is due or a write woke it."""
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()
