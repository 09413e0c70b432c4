"""Transactions: all writes of a use case commit together, durably, or not at all.

The commit is one fsync'd line of the commit log. Before it, a failure rolls
memory back; after it, nothing may turn the commit into a failure: listeners,
eviction and waking the checkpointer are logged if they fail, never raised.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from counter_tui.domain.messages import Msg
from counter_tui.store.engine.errors import Notice, StoreError
from counter_tui.store.engine.state import ChangeListener, StoreState, log
from counter_tui.store.engine.tinydb_adapter import Shard, Txn


class Transactions(StoreState):
    """Opening, committing and rolling back transactions."""

    # --- transactions ---------------------------------------------------------------------

    def on_change(self, listener: ChangeListener) -> None:
        """Call ``listener(shard, table, doc_id, before, after)`` for every committed change.

        ``after`` is the live document (read it, never change it); ``before`` is
        given only when the document was removed.
        """
        self._listeners.append(listener)

    def _current_txn(self) -> Txn:
        txn: Txn | None = getattr(self._local, "txn", None)
        if txn is None:
            raise StoreError(
                Msg(
                    "Ghi dữ liệu ngoài giao dịch.",
                    "Write outside a transaction: use `with store.transaction():`.",
                )
            )
        return txn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Txn]:
        """All writes inside commit together, durably, or not at all.

        Nested use joins the outer transaction.
        """
        if getattr(self._local, "txn", None) is not None:
            yield self._local.txn
            return
        with self.lock:
            if self._closed:
                raise StoreError(Msg("Bộ đệm đã đóng.", "The store is closed."))
            txn = Txn()
            self._local.txn = txn
            try:
                yield txn
                self._commit(txn)
            except BaseException:
                self._rollback(txn)
                raise
            finally:
                self._local.txn = None
                for shard_name, _ in txn.pre:
                    sh = self._shards.get(shard_name)
                    if sh is not None:
                        sh.in_txn = False
            # The commit is durable from here on: nothing below may turn it into a failure.
            self._after_commit(self._evict_after_commit)
        self._after_commit(self.maybe_checkpoint)

    def _after_commit(self, step: Callable[[], None]) -> None:
        """Run housekeeping that follows a durable commit; log, never raise, what fails."""
        try:
            step()
        except Exception:
            log.exception("after a durable commit, %s failed (the commit stands)", step.__name__)

    def _rollback(self, txn: Txn) -> None:
        for (shard_name, table), pre in txn.pre.items():
            sh = self._shards.get(shard_name)
            if sh is not None:
                sh.rollback(table, pre)

    def _commit(self, txn: Txn) -> None:
        changes: list[tuple[Shard, str, list[tuple[str, bytes | None, bytes | None]]]] = []
        parts: list[bytes] = []
        for (shard_name, table), pre in sorted(txn.pre.items()):
            sh = self._shards[shard_name]
            diff = sh.diff(table, pre)
            if not diff:
                continue
            changes.append((sh, table, diff))
            head = b"[" + orjson.dumps(shard_name) + b"," + orjson.dumps(table) + b","
            for doc_id, _before, after in diff:
                parts.append(
                    head
                    + orjson.dumps(doc_id)
                    + b","
                    + (after if after is not None else b"null")
                    + b"]"
                )
        if not parts:
            return
        t = self._txn_counter + 1
        payload = b'{"t":%d,"w":[' % t + b",".join(parts) + b"]}"
        try:
            self._log.append(payload)
        except OSError as exc:
            raise StoreError(
                Msg(
                    f"Không ghi được xuống đĩa ({exc.strerror}); thao tác chưa được lưu.",
                    f"Could not write to disk ({exc.strerror}); nothing was saved.",
                )
            ) from exc
        self._txn_counter = t
        for sh, _table, _diff in changes:
            sh.dirty = True
        if self.pin_prefix is not None and self._log.path is not None:
            pin = max(
                (
                    int(doc_id)
                    for sh, _table, diff in changes
                    if sh.name.startswith(self.pin_prefix)
                    for doc_id, _b, _a in diff
                    if doc_id.isdigit()
                ),
                default=0,
            )
            if pin:
                seg = self._log.path.name
                self._pins[seg] = max(self._pins.get(seg, 0), pin)
        # Durable now: a failure below must neither roll memory back nor reach the caller.
        try:
            self._notify(changes)
        except Exception:
            log.exception("change listeners failed after a durable commit (the commit stands)")

    def _notify(
        self, changes: list[tuple[Shard, str, list[tuple[str, bytes | None, bytes | None]]]]
    ) -> None:
        for sh, table, diff in changes:
            if not self._listeners:
                continue
            live = sh.data.get(table, {})
            for doc_id, before, after in diff:
                # Listeners read the live document (no copy: they must not change it);
                # the prior state is parsed only for a removal, the one case needing it.
                after_doc = live.get(doc_id) if after is not None else None
                before_doc = orjson.loads(before) if after is None and before is not None else None
                for listener in self._listeners:
                    # The commit is durable already: a failing index update must not undo it.
                    try:
                        listener(sh.name, table, doc_id, before_doc, after_doc)
                    except Exception as exc:
                        self.notices.append(
                            Notice("index.failed", Msg(f"Lỗi chỉ mục: {exc}", f"Index: {exc}"))
                        )

    def replay_records(self) -> list[dict[str, Any]]:
        """Records of the log since the last full checkpoint (for rebuilding indexes)."""
        return self._replay_records

    @property
    def last_txn(self) -> int:
        return self._txn_counter

    @property
    def full_txn(self) -> int:
        return self._full_txn
