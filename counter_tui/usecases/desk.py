"""Use cases the UI calls: receive, act on, look up. Each is one durable local transaction.

A use case applies the pure rules (``domain``), then writes the dossier, its
outbox operation and an audit entry together through the store. It never
talks to the network: the sync engine picks the outbox up in the background.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from counter_tui.domain.calendar import WorkCalendar
from counter_tui.domain.catalog import Catalog, Procedure
from counter_tui.domain.citizen_id import normalize
from counter_tui.domain.codes import looks_like_code, make_code
from counter_tui.domain.dossier import (
    Applicant,
    Context,
    Dossier,
    Submitter,
    apply,
    documents_for,
)
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.ops import SYNC_KEY, action_op, receive_op, strip_sync
from counter_tui.domain.status import Action
from counter_tui.store.directory import Summary, row_of, summary_of
from counter_tui.store.local import LocalStore, shard_key_of


@dataclass(frozen=True)
class Identity:
    """Who and where: the office (agency code), this counter and its slot, the clerk."""

    office: str
    office_name: str
    counter: str
    slot: int
    clerk: str


def local_now() -> datetime:
    return datetime.now().replace(microsecond=0)


class Desk:
    def __init__(
        self,
        store: LocalStore,
        catalog: Catalog,
        calendar: WorkCalendar,
        identity: Identity,
        *,
        clock: Callable[[], datetime] = local_now,
        on_write: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.calendar = calendar
        self.identity = identity
        self.clock = clock
        self.on_write = on_write

    def sign_in(self, clerk: str) -> None:
        """Record every later action under ``clerk`` (several clerks may share a PC)."""
        self.identity = replace(self.identity, clerk=clerk)

    # --- receiving ------------------------------------------------------------------------

    def procedure(self, code: str) -> Procedure:
        p = self.catalog.get(code, self.clock().date())
        if p is None:
            raise DomainError(
                "procedure.unknown",
                Msg(f"Không có thủ tục {code} trong danh mục.", f"No procedure {code}."),
                "procedure",
            )
        return p

    def procedure_of(self, version: str, code: str, day: date) -> Procedure | None:
        """The procedure version a dossier was received under, else the one valid on ``day``."""
        return self.catalog.version(version) or self.catalog.get(code, day)

    def draft(
        self,
        procedure_code: str,
        applicant: Applicant,
        *,
        submitter: Submitter | None = None,
        channel: str = "direct",
        return_method: str = "counter",
    ) -> Dossier:
        """A dossier being filled in at the counter: no code, nothing saved yet."""
        p = self.procedure(procedure_code)
        return Dossier(
            uid=str(uuid.uuid4()),
            code="",
            office=self.identity.office,
            counter=self.identity.counter,
            procedure_code=p.code,
            procedure_version=p.version,
            procedure_name=p.name,
            applicant=applicant,
            submitter=submitter,
            documents=documents_for(p),
            channel=channel,
            return_method=return_method,
            fee_amount=p.fee_amount,
        )

    def receive(
        self,
        draft: Dossier,
        *,
        outcome: Action = Action.RECEIVE,
        note: str = "",
        missing: list[str] | None = None,
    ) -> Dossier:
        """Save the dossier with a final code: received, supplement requested, or refused."""
        if outcome not in (Action.RECEIVE, Action.REQUEST_SUPPLEMENT, Action.REFUSE):
            raise ValueError(outcome)
        now = self.clock()
        p = self.catalog.version(draft.procedure_version) or self.procedure(draft.procedure_code)
        ctx = self._context(now, p, note, {"missing": missing or draft.missing_required()})
        # Check the rules before a number is spent on it.
        apply(draft, outcome, ctx)
        with self.store.transaction():
            number = self.store.next_code_number(now.date(), self.identity.slot)
            draft.code = str(
                make_code(self.identity.office, now.date(), self.identity.slot, number)
            )
            dossier = apply(draft, outcome, ctx)
            doc = dossier.to_dict()
            doc[SYNC_KEY] = {"version": 0, "confirmed": False}
            self.store.put_dossier(doc)
            if dossier.applicant.citizen_id:
                self._remember_citizen(dossier.applicant)
            self.store.enqueue(
                receive_op(doc, at=now, actor=self.identity.clerk, counter=self.identity.counter)
            )
            self._audit(outcome.value, dossier)
        self._written()
        return dossier

    def act(
        self, uid: str, action: Action, *, note: str = "", data: dict[str, Any] | None = None
    ) -> Dossier:
        """Apply ``action`` to a dossier at this counter, durably, and queue it for the centre."""
        now = self.clock()
        with self.store.transaction():
            doc = self.store.get_dossier(uid)
            if doc is None:
                raise DomainError(
                    "dossier.unknown", Msg("Không tìm thấy hồ sơ.", "No such dossier.")
                )
            current = Dossier.from_dict(strip_sync(doc))
            p = self.procedure_of(current.procedure_version, current.procedure_code, now.date())
            ctx = self._context(now, p, note, dict(data or {}))
            dossier = apply(current, action, ctx)
            sync = dict(doc.get(SYNC_KEY) or {"version": 0})
            new = dossier.to_dict()
            new[SYNC_KEY] = {**sync, "confirmed": False}
            self.store.put_dossier(new)
            self.store.enqueue(
                action_op(
                    uid,
                    action,
                    at=now,
                    actor=self.identity.clerk,
                    counter=self.identity.counter,
                    note=note,
                    data=dict(data or {}),
                    base_version=int(sync.get("version", 0)),
                )
            )
            self._audit(action.value, dossier)
        self._written()
        return dossier

    def _context(
        self, now: datetime, procedure: Procedure | None, note: str, data: dict[str, Any]
    ) -> Context:
        return Context(
            at=now,
            actor=self.identity.clerk,
            counter=self.identity.counter,
            note=note,
            calendar=self.calendar,
            procedure=procedure,
            data=data,
        )

    def _remember_citizen(self, a: Applicant) -> None:
        self.store.put_citizen(
            {
                "citizen_id": a.citizen_id,
                "full_name": a.full_name,
                "birth_date": a.birth_date,
                "gender": a.gender,
                "address": a.address,
                "phone": a.phone,
            }
        )

    def _audit(self, action: str, d: Dossier) -> None:
        self.store.audit(
            {
                "at": self.clock().isoformat(),
                "actor": self.identity.clerk,
                "counter": self.identity.counter,
                "action": action,
                "uid": d.uid,
                "code": d.code,
                "status": d.status,
            }
        )

    def _written(self) -> None:
        if self.on_write is not None:
            self.on_write()

    def last_unit(self, uid: str) -> str:
        """The unit this dossier was last transferred to (the result comes back from it)."""
        doc = self.store.get_dossier(uid) or {}
        for e in reversed(doc.get("events") or []):
            if e.get("action") in ("transfer", "result_back") and (e.get("data") or {}).get("unit"):
                return str(e["data"]["unit"])
        return ""

    def reschedule_date(self, uid: str, text: str) -> datetime:
        """The new return date typed as dd/mm/yyyy [hh:mm]: a working day after the due date.
        Without a time, the hour of the current appointment is kept."""
        doc = self.store.get_dossier(uid) or {}
        due = datetime.fromisoformat(doc["due_at"]) if doc.get("due_at") else None
        parts = text.strip().replace("-", "/").replace(".", "/").split()

        def bad(vi: str, en: str) -> DomainError:
            return DomainError("reschedule.date", Msg(vi, en), "new_due")

        try:
            day = datetime.strptime(parts[0], "%d/%m/%Y").date()
            hour = (
                datetime.strptime(parts[1], "%H:%M").time()
                if len(parts) > 1
                else (due.time() if due else self.calendar.hours.closing)
            )
        except (ValueError, IndexError) as exc:
            raise bad(
                f"Ngày hẹn mới '{text}' không hợp lệ (gõ dạng 05/12/2026 hoặc 05/12/2026 16:00).",
                f"Invalid new date '{text}' (e.g. 05/12/2026 16:00).",
            ) from exc
        if len(parts) > 2:
            raise bad("Chỉ gõ ngày và giờ.", "Only a date and a time.")
        if not self.calendar.is_working_day(day):
            raise bad(
                f"Ngày {day:%d/%m/%Y} không phải ngày làm việc.",
                f"{day:%d/%m/%Y} is not a working day.",
            )
        new_due = datetime.combine(day, hour)
        if due is not None and new_due <= due:
            raise bad(
                f"Ngày hẹn mới phải sau hẹn hiện tại ({due:%H:%M %d/%m/%Y}).",
                "The new date must be after the current appointment.",
            )
        return new_due

    # --- looking up -----------------------------------------------------------------------

    def dossier(self, uid: str) -> dict[str, Any] | None:
        return self.store.get_dossier(uid)

    def find(self, query: str, limit: int = 50) -> tuple[list[Summary], int]:
        """Dossiers matching a code, a citizen ID, a phone number or a name."""
        q = query.strip()
        if not q:
            return [], 0
        if looks_like_code(q):
            s = self.store.summary_by_code(q.upper())
            return ([s], 1) if s else ([], 0)
        digits = normalize(q)
        if digits.isdigit():
            if len(digits) == 12:
                docs = self.store.dossiers_by_citizen(digits)
                return [summary_of(d["uid"], row_of(d, shard_key_of(d))) for d in docs][
                    :limit
                ], len(docs)
            if len(digits) >= 9:
                found = self.store.dossiers_by_phone(digits)
                return found[:limit], len(found)
            return [], 0
        return self.store.search_names(q, limit=limit)
