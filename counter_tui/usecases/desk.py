"""Use cases the UI calls: receive, act on, look up. Each is one durable local transaction.

A use case applies the pure rules (``domain``), then writes the dossier, its
outbox operation and an audit entry together through the store. It never
talks to the network: the sync engine picks the outbox up in the background.
The store is private here (``_store``): screens get domain values and read
models (``domain.summary``), never stored dicts or the store itself.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from counter_tui.domain.boundary import BoundaryList
from counter_tui.domain.calendar import HolidayDecisions, WorkCalendar
from counter_tui.domain.catalog import Catalog, Procedure
from counter_tui.domain.code_schemes import CodeSchemes
from counter_tui.domain.codes import check_configured
from counter_tui.domain.digitisation import lacking_scan
from counter_tui.domain.dossier import (
    Applicant,
    Context,
    Dossier,
    Submitter,
    TrackingEntry,
    apply,
    documents_for,
)
from counter_tui.domain.forms import parse_new_due
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.ops import SYNC_KEY, action_op, receive_op
from counter_tui.domain.search_key import KeyKind, SearchKey, search_key
from counter_tui.domain.status import Action
from counter_tui.domain.summary import OutboxItem, Summary, SyncState
from counter_tui.store.engine.errors import StoreError
from counter_tui.store.local import LocalStore

log = logging.getLogger(__name__)
# Where the counter keeps the holiday decisions it received (replacing the seeded table).
HOLIDAYS_KEY = "holiday_decisions"
# With no query the lookup lists the most recent dossiers; past this size it waits for one.
RECENT_LIMIT = 50_000


@dataclass(frozen=True)
class Identity:
    """Who and where: the office (agency code), this counter and its slot, the clerk."""

    office: str
    office_name: str
    counter: str
    slot: int
    clerk: str
    clerk_name: str = ""  # the clerk's full name, signed on slips (``clerk`` is the login)
    book: str = "1"  # the volume of this counter's tracking book


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
        code_schemes: CodeSchemes | None = None,
        boundary: BoundaryList | None = None,
    ) -> None:
        self._store = store
        self.code_schemes = code_schemes or CodeSchemes()
        self.boundary = boundary or BoundaryList()
        received = store.meta.get(HOLIDAYS_KEY)
        if received:  # a table received earlier wins over the seeded file
            calendar = calendar.with_decisions(HolidayDecisions.from_dict(received, "(cache)"))
        self.catalog = catalog
        self.calendar = calendar
        self.identity = identity
        self.clock = clock
        self.on_write = on_write
        # Called after a change that added files is durable (the uploader's notify).
        self.on_files: Callable[[], None] | None = None
        self._files_added = False
        # Digitisation at receipt ([files] digitise): a required scan lacking needs a reason.
        self.digitise = False

    def sign_in(self, clerk: str, name: str = "") -> None:
        """Record every later action under ``clerk`` (several clerks may share a PC);
        ``name`` is the full name slips print as the signer."""
        self.identity = replace(self.identity, clerk=clerk, clerk_name=name)

    # --- the working-day calendar ---------------------------------------------------------

    def holiday_decisions(self) -> HolidayDecisions:
        return self.calendar.decisions

    def use_holiday_decisions(self, raw: dict[str, Any]) -> HolidayDecisions:
        """Keep a table of holiday decisions (as the centre sends it with the catalog) and
        use it from the next receipt on; due dates already given are stored, not recomputed.
        Raises :class:`DomainError` (nothing changes) if the table is malformed."""
        decisions = HolidayDecisions.from_dict(raw, "(trung tâm)")
        self._store.meta.set(HOLIDAYS_KEY, decisions.to_dict())
        self.calendar = self.calendar.with_decisions(decisions)
        return decisions

    def tet_warnings(self, years: list[int]) -> list[Msg]:
        """One warning per year in ``years`` whose Tết break is not decided yet."""
        return [
            Msg(
                f"Chưa có quyết định nghỉ Tết năm {y}: hạn trả rơi vào dịp Tết có thể phải "
                "điều chỉnh khi có quyết định (config/holidays.toml).",
                f"No decision yet on the {y} Tet break: due dates around Tet may need "
                "adjusting once it is decided.",
            )
            for y in self.calendar.undecided_tet_years(years)
        ]

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

    def handling_agencies(self, procedure_code: str) -> list[tuple[str, str]]:
        """(name, code) of the agencies this counter may receive the procedure for today
        (receipt regardless of boundary); empty for a procedure of this office only."""
        today = self.clock().date()
        return [(a.name, a.agency) for a in self.boundary.agencies_for(procedure_code, today)]

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

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One durable local transaction. The cache refusing it (disk full, a damaged file
        it will not write over) means nothing was saved: the screens show that as they
        show a broken rule, in the clerk's language, and the form stays as it was."""
        self._files_added = False
        try:
            with self._store.transaction():
                yield
        except StoreError as exc:
            raise DomainError("store.refused", exc.msg) from exc

    def receive(
        self,
        draft: Dossier,
        *,
        outcome: Action = Action.RECEIVE,
        note: str = "",
        missing: list[str] | None = None,
        clock: dict[str, Any] | None = None,
        scan_reason: str = "",
    ) -> Dossier:
        """Save the dossier with a final code: received, supplement requested, or refused.

        Files attached to its checklist (``Scans.add_to_draft``) are recorded in the same
        transaction. With digitisation on, a required item handed in without a scan needs
        ``scan_reason`` (the scanner is down...), kept on the item and in the event.

        ``clock``: the PC's and the centre's times when they disagree and the clerk chose
        to go on; kept in the receive event's data, beside the PC time it was saved at."""
        if outcome not in (Action.RECEIVE, Action.REQUEST_SUPPLEMENT, Action.REFUSE):
            raise ValueError(outcome)
        now = self.clock()
        check_configured(self.identity.office)
        allowed = {code: name for name, code in self.handling_agencies(draft.procedure_code)}
        if draft.handling_agency in allowed:
            draft.handling_agency_name = allowed[draft.handling_agency]
        elif draft.handling_agency:
            raise DomainError(
                "receive.handling_agency",
                Msg(
                    f"Cơ quan {draft.handling_agency} không có trong danh sách tiếp nhận "
                    f"không phụ thuộc địa giới cho thủ tục {draft.procedure_code}.",
                    f"Agency {draft.handling_agency} is not listed for {draft.procedure_code}.",
                ),
                "handling_agency",
            )
        p = self.catalog.version(draft.procedure_version) or self.procedure(draft.procedure_code)
        data: dict[str, Any] = {"missing": missing or draft.missing_required()}
        if clock:
            data["clock"] = clock
        self._note_lacking_scans(draft, outcome, scan_reason, data)
        ctx = self._context(now, p, note, data)
        # Check the rules before a number is spent on it.
        apply(draft, outcome, ctx)
        with self._write():
            number = self._store.dossiers.next_code_number(now.date(), self.identity.slot)
            draft.code = str(self._scheme_code(p, now.date(), number))
            dossier = apply(draft, outcome, ctx)
            if dossier.received_at and dossier.tracking is None:
                dossier.tracking = self._next_book_entry(now.year)
            doc = dossier.to_dict()
            doc[SYNC_KEY] = {"version": 0, "confirmed": False}
            self._store.dossiers.put(doc)
            self._register_files(doc_files(dossier))
            if dossier.applicant.citizen_id:
                self._remember_citizen(dossier.applicant)
            self._store.outbox.enqueue(
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
        with self._write():
            doc = self._store.dossiers.get(uid)
            if doc is None:
                raise DomainError(
                    "dossier.unknown", Msg("Không tìm thấy hồ sơ.", "No such dossier.")
                )
            current = _dossier(doc)
            if current.office != self.identity.office == current.handling_agency:
                # Received by another office for this one (receipt regardless of boundary):
                # this office's back office handles it, the receiving counter hands it back.
                raise DomainError(
                    "dossier.other_office",
                    Msg(
                        f"Hồ sơ {current.code} do cơ quan {current.office} tiếp nhận; quầy này "
                        "chỉ xem. Bộ phận xử lý cập nhật kết quả, quầy tiếp nhận trả kết quả.",
                        f"Dossier {current.code} was received by {current.office}; this "
                        "counter can only view it.",
                    ),
                )
            p = self.procedure_of(current.procedure_version, current.procedure_code, now.date())
            data = dict(data or {})
            if self.identity.clerk_name:
                data["signer"] = self.identity.clerk_name  # the centre records it too
            if action is Action.SUPPLEMENT_RECEIVED and not current.received_at:
                # Received only now (the papers came back): it enters the book now. A
                # failed action rolls the transaction back, number included.
                data["tracking"] = asdict(self._next_book_entry(now.year))
            ctx = self._context(now, p, note, data)
            dossier = apply(current, action, ctx)
            if action is Action.ATTACH:
                self._register_files(data.get("files") or [])
            sync = dict(doc.get(SYNC_KEY) or {"version": 0})
            new = dossier.to_dict()
            new[SYNC_KEY] = {**sync, "confirmed": False}
            self._store.dossiers.put(new)
            self._store.outbox.enqueue(
                action_op(
                    uid,
                    action,
                    at=now,
                    actor=self.identity.clerk,
                    counter=self.identity.counter,
                    note=note,
                    data=data,
                    base_version=int(sync.get("version", 0)),
                )
            )
            self._audit(action.value, dossier)
        self._written()
        return dossier

    def _note_lacking_scans(
        self, draft: Dossier, outcome: Action, reason: str, data: dict[str, Any]
    ) -> None:
        if not self.digitise or outcome is not Action.RECEIVE or draft.channel == "online":
            return
        lacking = lacking_scan(draft.documents)
        if not lacking:
            return
        reason = reason.strip()
        if not reason:
            raise DomainError(
                "scan.reason",
                Msg(
                    "Còn giấy tờ bắt buộc chưa số hóa: "
                    + "; ".join(lacking)
                    + ". Hãy đính kèm bản quét hoặc ghi lý do (vd máy quét hỏng).",
                    "Required documents without a scan: "
                    + "; ".join(lacking)
                    + ". Attach the scans or give a reason.",
                ),
                "scan_reason",
            )
        for item in draft.documents:
            if item.name in lacking:
                item.digitisation = {
                    **(item.digitisation or {"exempt": None}),
                    "missing_reason": reason,
                }
        data["digitisation"] = {"lacking": lacking, "reason": reason}

    def _register_files(self, entries: list[dict[str, Any]]) -> None:
        """Record the files a dossier change references, in its transaction (their bytes
        were written durably before it: ``Scans.prepare``)."""
        for e in entries:
            self._store.files.register(str(e["sha"]), int(e["size"]), str(e.get("at") or ""))
            self._files_added = True

    def _next_book_entry(self, year: int) -> TrackingEntry:
        """The next line of this counter's tracking book for ``year``, in the caller's
        transaction (so a number is spent only with the dossier that holds it). If the
        counter is missing (a cache restored from the data alone), it restarts above the
        highest number any stored dossier holds, so no number is ever reused."""
        book = self.identity.book
        key = f"book:{book}:{year}"
        last = self._store.meta.get(key)
        if last is None:
            # A dossier enters the book when it is received, in the year of its receipt:
            # only this year's need reading (none on the first receive of a new year).
            last = 0
            this_year = [
                s for s in self._store.dossiers.all_summaries() if s.received_at[:4] == str(year)
            ]
            for doc in self._store.dossiers.of_summaries(this_year):
                t = doc.get("tracking") or {}
                if t.get("book") == book and t.get("year") == year:
                    last = max(last, int(t.get("number") or 0))
        number = int(last) + 1
        self._store.meta.set(key, number)
        return TrackingEntry(book, year, number)

    def _scheme_code(self, p: Procedure, day: date, number: int) -> object:
        """The code in the scheme configured for the procedure's group (docs/dossier-codes.md)."""
        return self.code_schemes.code_for(p, self.identity.office, day, self.identity.slot, number)

    def _context(
        self, now: datetime, procedure: Procedure | None, note: str, data: dict[str, Any]
    ) -> Context:
        return Context(
            at=now,
            actor=self.identity.clerk,
            actor_name=self.identity.clerk_name,
            counter=self.identity.counter,
            note=note,
            calendar=self.calendar,
            procedure=procedure,
            data=data,
        )

    def _remember_citizen(self, a: Applicant) -> None:
        self._store.citizens.put(
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
        self._store.audit.append(
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
        # The transaction is durable by now: the clerk must be told "saved", so nothing
        # after it (waking the sync engine, the uploader) may turn the use case into a failure.
        hooks = [self.on_write]
        if self._files_added:
            self._files_added = False
            hooks.append(self.on_files)
        for hook in hooks:
            if hook is None:
                continue
            try:
                hook()
            except Exception:
                log.exception("after-save hook failed; the saved dossier stands")

    def last_unit(self, uid: str) -> str:
        """The unit this dossier was last transferred to (the result comes back from it)."""
        d = self.dossier(uid)
        for e in reversed(d.events if d else []):
            if e.action in ("transfer", "result_back") and e.data.get("unit"):
                return str(e.data["unit"])
        return ""

    def reschedule_date(self, uid: str, text: str) -> datetime:
        """The new return date typed as dd/mm/yyyy [hh:mm] (see :func:`forms.parse_new_due`)."""
        d = self.dossier(uid)
        return parse_new_due(text, d.due if d else None, self.calendar)

    # --- looking up -----------------------------------------------------------------------

    def dossier(self, uid: str) -> Dossier | None:
        doc = self._store.dossiers.get(uid)
        return _dossier(doc) if doc is not None else None

    def sync_state(self, uid: str) -> SyncState:
        """Whether the centre has confirmed this dossier, and at which version."""
        doc = self._store.dossiers.get(uid) or {}
        sync = doc.get(SYNC_KEY) or {}
        return SyncState(int(sync.get("version") or 0), bool(sync.get("confirmed")))

    def find(self, query: str, limit: int = 50) -> tuple[list[Summary], int]:
        """Dossiers matching a code, a citizen ID, a phone number, a name or address words;
        or, when nothing matches a whole number, part of one: the end of a code
        ("10004", "261130-10003"), the start or end of a citizen ID or the end of a
        phone (6 digits or more)."""
        key = search_key(query)
        if key.kind is KeyKind.CODE:
            s = self._store.dossiers.summary_by_code(key.value)
            return ([s], 1) if s else ([], 0)
        if key.kind is KeyKind.CITIZEN_ID:
            rows = self._store.dossiers.citizen_summaries(key.value)
            if rows:
                return rows[:limit], len(rows)
        if key.kind is KeyKind.PHONE:
            found = self._store.dossiers.by_phone(key.value)
            if found:
                return found[:limit], len(found)
        if key.kind is KeyKind.NAME:
            return self._store.dossiers.search_names(key.value, limit=limit)
        if key.kind in (KeyKind.CITIZEN_ID, KeyKind.PHONE, KeyKind.DIGITS) and len(key.value) >= 5:
            # The store's word search takes part of a number too (store/index/directory.py).
            return self._store.dossiers.search_names(key.value, limit=limit)
        return [], 0

    def by_code_or_citizen(self, key: SearchKey) -> list[Dossier]:
        """The dossier with this code, or every dossier of this citizen (the hand-over's key)."""
        if key.kind is KeyKind.CODE:
            doc = self._store.dossiers.by_code(key.value)
            return [_dossier(doc)] if doc else []
        if key.kind is KeyKind.CITIZEN_ID:
            return self.citizen_history(key.value)
        return []

    def citizen_history(self, citizen_id: str) -> list[Dossier]:
        """Every dossier of this citizen in the cache, newest first."""
        return [_dossier(d) for d in self._store.dossiers.of_citizen(citizen_id)]

    def citizen(self, citizen_id: str) -> Applicant | None:
        """What the cache remembers of a citizen (name, contact) from an earlier dossier."""
        rec = self._store.citizens.get(citizen_id)
        if rec is None:
            return None
        return Applicant(
            full_name=str(rec.get("full_name") or ""),
            citizen_id=rec.get("citizen_id"),
            birth_date=rec.get("birth_date"),
            gender=rec.get("gender"),
            address=str(rec.get("address") or ""),
            phone=str(rec.get("phone") or ""),
        )

    def dossier_count(self) -> int:
        """How many dossiers the cache holds (the true count of the lookup's "All")."""
        return self._store.dossiers.count()

    def recent(self, limit: int = 200) -> list[Summary]:
        """The most recent dossiers (none past :data:`RECENT_LIMIT`: a query is needed then)."""
        if self._store.dossiers.count() > RECENT_LIMIT:
            return []
        return self._store.dossiers.recent(limit)

    def open_lists(self) -> dict[str, list[Summary]]:
        """Open dossiers by what they wait for: due_today, overdue, ready, awaiting_supplement."""
        return self._store.dossiers.open_lists(self.clock().date())

    def received_by(self, end: date) -> list[Dossier]:
        """Every cached dossier that can count in a period ending on ``end``."""
        # Dossiers received after the period cannot count in it; refusals and supplement
        # requests at the counter have no receipt time and are judged by their events.
        last = end.isoformat() + "T23:59:59"
        wanted = [
            s
            for s in self._store.dossiers.all_summaries()
            if not (s.received_at and s.received_at > last)
        ]
        found = [_dossier(doc) for doc in self._store.dossiers.of_summaries(wanted)]
        return sorted(found, key=lambda d: (d.received_at or "", d.code or ""))

    # --- the cache and the outbox ----------------------------------------------------------

    def notices(self) -> list[Msg]:
        """What the clerk must be told about the cache (damage found, an index rebuilt)."""
        return [n.msg for n in self._store.notices]

    def start_indexing(self) -> None:
        """Build the phone and name indexes in the background (after the first paint)."""
        self._store.dossiers.build_indexes_in_background()

    def pending_count(self) -> int:
        return self._store.outbox.pending_count()

    def pending(self, limit: int = 50) -> list[OutboxItem]:
        """The oldest operations not yet acknowledged by the centre."""
        return [self._outbox_item(op) for op in self._store.outbox.pending(limit=limit)]

    def rejected(self) -> list[OutboxItem]:
        """Operations the centre refused or found in conflict, not yet handled here."""
        return [self._outbox_item(op) for op in self._store.outbox.rejected()]

    def resolve_rejected(self, seq: int) -> None:
        """Mark a refused operation handled, audited under the signed-in clerk."""
        clerk = self.identity.clerk
        with self._write():
            self._store.outbox.resolve_rejected(seq, f"đã xử lý bởi {clerk}")
            self._store.audit.append(
                {
                    "at": self.clock().isoformat(),
                    "actor": clerk,
                    "counter": self.identity.counter,
                    "action": "resolve_rejected",
                    "op_seq": seq,
                }
            )

    def _outbox_item(self, op: dict[str, Any]) -> OutboxItem:
        result = op.get("result") or {}
        return OutboxItem(
            seq=int(op["seq"]),
            code=self._code_of(op),
            action=str(op.get("action") or ""),
            at=datetime.fromisoformat(op["at"]) if op.get("at") else None,
            result_status=str(result.get("status", "")),
            reason=str(result.get("reason", "")),
        )

    def _code_of(self, op: dict[str, Any]) -> str:
        code = (op.get("doc") or {}).get("code")
        if code:
            return str(code)
        uid = str(op.get("uid", ""))
        summary = self._store.dossiers.summary(uid)
        return summary.code if summary else uid[:8]

    def close(self) -> None:
        self._store.close()


def doc_files(d: Dossier) -> list[dict[str, Any]]:
    """Every file entry a dossier references (its checklist's and its result's)."""
    return [f for item in d.documents for f in item.files] + list(d.result_files)


def _dossier(doc: dict[str, Any]) -> Dossier:
    """The domain dossier of a stored one (its ``_sync`` state is not a dossier field)."""
    return Dossier.from_dict(doc)
