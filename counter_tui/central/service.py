"""What the central service decides: counter operations and back-office actions.

The service is the authority. An operation it cannot accept is answered as
``rejected`` (or ``conflict`` when the dossier changed centrally since the
counter last saw it) with the reason, in a successful response, so it never
blocks the counter's queue. Each counter numbers its operations: an
operation pushed twice is applied once; a gap or a reused number is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from counter_tui.central.db import CentralDB, Client, Tx
from counter_tui.domain.calendar import WorkCalendar
from counter_tui.domain.catalog import Catalog
from counter_tui.domain.codes import CodeError, parse_code
from counter_tui.domain.dossier import Event
from counter_tui.domain.messages import DomainError
from counter_tui.domain.ops import ACTION, OP_TYPES, RECEIVE, apply_op, parse_dossier
from counter_tui.domain.status import BACK_OFFICE_ACTIONS, COUNTER_ACTIONS, Action


@dataclass
class PushOutcome:
    results: list[dict[str, Any]] = field(default_factory=list)
    last_seq: int = 0
    error: dict[str, Any] | None = None


class ActionRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _result(
    seq: int, status: str, reason: str = "", version: int | None = None, code: str = ""
) -> dict[str, Any]:
    r: dict[str, Any] = {"seq": seq, "status": status}
    if reason:
        r["reason"] = reason
    if code:
        r["code"] = code
    if version is not None:
        r["server_version"] = version
    return r


class CentralService:
    def __init__(self, db: CentralDB, catalog: Catalog, calendar: WorkCalendar) -> None:
        self.db = db
        self.catalog = catalog
        self._base_calendar = calendar  # office hours; the decisions come from the table
        self._calendar_rev = -1
        self._calendar = calendar

    @property
    def calendar(self) -> WorkCalendar:
        """The working-day calendar under the centre's holiday table as it stands (an
        operator edits it from another process: the revision is checked on each use)."""
        rev = self.db.holidays.revision()
        if rev != self._calendar_rev:
            self._calendar = self._base_calendar.with_decisions(self.db.holidays.decisions())
            self._calendar_rev = rev
        return self._calendar

    @calendar.setter
    def calendar(self, value: WorkCalendar) -> None:
        self._base_calendar = self._calendar = value
        self._calendar_rev = -1

    @staticmethod
    def _routes(client: Client, ops: list[dict[str, Any]], tx: Tx) -> set[str]:
        """The other offices this batch writes to: where its new dossiers are routed, and the
        handling offices of the dossiers it acts on."""
        routed = {
            str((op.get("doc") or {}).get("handling_agency") or "")
            for op in ops
            if op.get("type") == RECEIVE
        }
        uids = [str(op["uid"]) for op in ops if op.get("type") == ACTION and op.get("uid")]
        routed |= tx.dossiers.routes_of(uids)
        routed.discard("")
        routed.discard(client.office)
        return routed

    # --- push -----------------------------------------------------------------------------

    def push(
        self,
        client: Client,
        ops: list[dict[str, Any]],
        audit_head: tuple[int, str] | None = None,
    ) -> PushOutcome:
        """Apply a counter's batch; ``audit_head`` is its own audit chain's (entries, head),
        kept as an anchor outside the counter."""
        try:
            return self._push(client, ops, audit_head)
        except IntegrityError:
            # Another transaction took a uid or code of this batch between its read and its
            # write (it read before the other committed): nothing was written, and run again
            # the batch reads that row and answers the operation as refused.
            return self._push(client, ops, audit_head)

    def _push(
        self, client: Client, ops: list[dict[str, Any]], audit_head: tuple[int, str] | None
    ) -> PushOutcome:
        out = PushOutcome()
        with self.db.write() as tx:
            last = tx.clients.lock(client.id)
            routed = self._routes(client, ops, tx)
            if audit_head is not None:
                tx.audit.anchor_counter(client, *audit_head)
            # One read for every dossier the batch names, one lock for every feed it may
            # write to (its own office's first among them, in code order), and the writes
            # at the end: a few statements per batch instead of five per operation.
            tx.dossiers.begin_batch(
                routed | {client.office},
                {str(op["uid"]) for op in ops if isinstance(op.get("uid"), str)},
                {
                    str(op["doc"]["code"])
                    for op in ops
                    if isinstance(op.get("doc"), dict) and isinstance(op["doc"].get("code"), str)
                },
            )
            for op in ops:
                seq = int(op["seq"])
                if seq <= last:
                    seen = tx.clients.op_result(client.id, seq)
                    if seen is not None and seen[0] == op["op_id"]:
                        out.results.append(seen[1])
                        continue
                    out.error = {
                        "code": "seq_reused",
                        "expected": last + 1,
                        "message": f"Số thứ tự {seq} đã được dùng cho thao tác khác (máy sao chép?)",
                    }
                    break
                if seq > last + 1:
                    out.error = {
                        "code": "gap",
                        "expected": last + 1,
                        "message": f"Thiếu thao tác số {last + 1}",
                    }
                    break
                result = self._apply(tx, client, op)
                self._audit_op(tx, client, op, result)
                tx.clients.record_op(client.id, seq, op["op_id"], op.get("uid"), result)
                out.results.append(result)
                last = seq
            tx.clients.set_last_seq(client.id, last)
            out.last_seq = last
        return out

    def _audit_op(self, tx: Tx, client: Client, op: dict[str, Any], result: dict[str, Any]) -> None:
        """Who did what from which counter, recorded with the change (rejections too: an
        attempt on another office's dossier is worth knowing about)."""
        code = (op.get("doc") or {}).get("code")
        if not code:
            uid = op.get("uid")
            code = (
                tx.dossiers.code_for(uid, client.office) if isinstance(uid, str) else None
            ) or uid
        tx.audit.record(
            client.office,
            str(op.get("actor") or ""),
            str(op.get("action") or "receive"),
            str(code or ""),
            client=client.name,
            detail={
                "seq": op.get("seq"),
                "result": result.get("status"),
                "at_counter": str(op.get("at", "")),
                "version": result.get("version"),
            },
        )

    def _apply(self, tx: Tx, client: Client, op: dict[str, Any]) -> dict[str, Any]:
        seq = int(op["seq"])
        if op.get("type") not in OP_TYPES:
            return _result(seq, "rejected", f"Loại thao tác lạ: {op.get('type')!r}", code="op.type")
        uid = op.get("uid")
        current = tx.dossiers.get_routed(uid) if isinstance(uid, str) else None
        try:
            if op["type"] == RECEIVE:
                return self._receive(tx, client, op, current)
            return self._action(tx, client, op, current)
        except DomainError as exc:
            return _result(seq, "rejected", exc.msg.vi, code=exc.code)

    def _receive(
        self,
        tx: Tx,
        client: Client,
        op: dict[str, Any],
        current: tuple[dict[str, Any], int, str, str | None] | None,
    ) -> dict[str, Any]:
        seq = int(op["seq"])
        d = parse_dossier(op.get("doc"))
        if d.uid != op.get("uid"):
            return _result(seq, "rejected", "Mã hồ sơ nội bộ không khớp", code="op.uid")
        if current is not None:
            return _result(seq, "rejected", "Hồ sơ đã có ở trung tâm", code="op.exists")
        if d.office != client.office:
            return _result(seq, "rejected", "Hồ sơ thuộc cơ quan khác", code="op.office")
        try:
            code = parse_code(d.code)
        except CodeError as exc:
            return _result(seq, "rejected", exc.msg.vi, code=exc.code)
        if code.agency != client.office or code.slot != client.slot:
            return _result(
                seq,
                "rejected",
                f"Mã hồ sơ {d.code} không thuộc quầy này (quầy số {client.slot})",
                code="op.code_owner",
            )
        # Received for another office (receipt regardless of boundary): that office's feed
        # gets it too, and its back office handles it.
        handling = d.handling_agency if d.handling_agency not in ("", client.office) else None
        version = tx.dossiers.insert(d.to_dict(), client.office, handling)
        if version is None:
            return _result(seq, "rejected", f"Mã hồ sơ {d.code} đã được dùng", code="op.code_taken")
        return _result(seq, "applied", version=version)

    def _action(
        self,
        tx: Tx,
        client: Client,
        op: dict[str, Any],
        current: tuple[dict[str, Any], int, str, str | None] | None,
    ) -> dict[str, Any]:
        seq = int(op["seq"])
        if current is None:
            return _result(seq, "rejected", "Không tìm thấy hồ sơ ở trung tâm", code="op.unknown")
        doc, version, office, handling = current
        if office != client.office:
            # The same answer as for a uid the centre never saw: a counter learns nothing
            # of another office's dossiers, not even that one exists.
            return _result(seq, "rejected", "Không tìm thấy hồ sơ ở trung tâm", code="op.unknown")
        try:
            action = Action(str(op.get("action")))
        except ValueError:
            return _result(seq, "rejected", "Thao tác không hợp lệ", code="op.action")
        if action not in COUNTER_ACTIONS:
            return _result(seq, "rejected", "Quầy không được làm thao tác này", code="op.role")
        try:
            new = apply_op(doc, op, catalog=self.catalog, calendar=self.calendar)
        except DomainError as exc:
            base = int(op.get("base_version") or 0)
            # An attach is allowed in every status: nothing the centre changed since the
            # counter's base can refuse it, so a refused one is malformed, not a conflict.
            if version > base and action is not Action.ATTACH:
                # Both facts are kept: the centre's state stands, the counter's act is recorded.
                reason = (
                    f"{exc.msg.vi} Trung tâm đã thay đổi hồ sơ sau khi quầy xem "
                    f"(phiên bản {base} → {version})."
                )
                doc.setdefault("events", []).append(
                    Event(
                        action="conflict",
                        at=str(op.get("at", "")),
                        actor=str(op.get("actor", "")),
                        counter=str(op.get("counter", "")),
                        note=reason,
                        data={"op": {k: v for k, v in op.items() if k != "doc"}},
                    ).__dict__
                )
                new_version = tx.dossiers.update(doc, office, handling)
                tx.dossiers.add_conflict(office, doc["uid"], client.id, seq, reason, op)
                return _result(seq, "conflict", reason, new_version, code=exc.code)
            return _result(seq, "rejected", exc.msg.vi, code=exc.code)
        return _result(seq, "applied", version=tx.dossiers.update(new, office, handling))

    # --- back office ----------------------------------------------------------------------

    def back_office(
        self,
        client: Client,
        key: str,
        action_name: str,
        note: str,
        data: dict[str, Any],
        actor: str,
    ) -> tuple[dict[str, Any], int]:
        try:
            action = Action(action_name)
        except ValueError as exc:
            raise ActionRefused(422, "action.unknown", f"Thao tác lạ: {action_name}") from exc
        if action not in BACK_OFFICE_ACTIONS:
            raise ActionRefused(403, "action.role", "Bộ phận xử lý không làm thao tác này")
        with self.db.write() as tx:
            uid = tx.dossiers.find(client.office, key)
            found = tx.dossiers.get_routed(uid) if uid is not None else None
            if uid is None or found is None:
                raise ActionRefused(404, "dossier.unknown", "Không tìm thấy hồ sơ của cơ quan này")
            doc, _version, office, handling = found
            if handling:
                tx.dossiers.lock_offices({office, handling})
            op = {
                "type": ACTION,
                "uid": uid,
                "action": action.value,
                "note": note,
                "data": data,
                "actor": actor or client.name,
                "counter": client.name,
                "at": datetime.now().replace(microsecond=0).isoformat(),
            }
            try:
                new = apply_op(doc, op, catalog=self.catalog, calendar=self.calendar)
            except DomainError as exc:
                raise ActionRefused(409, exc.code, exc.msg.vi) from exc
            version = tx.dossiers.update(new, office, handling)
            tx.audit.record(
                client.office,
                str(op["actor"]),
                action.value,
                str(new.get("code", "")),
                client=client.name,
                detail={
                    "result": "applied",
                    "version": version,
                    "to_status": new.get("status"),
                    **({"received_by": office} if office != client.office else {}),
                },
            )
        return new, version
