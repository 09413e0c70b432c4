"""The dossier (hồ sơ) and what happens to it: each change is an event in its history.

:func:`apply` is the only way a dossier changes. It checks the transition
against :data:`status.TRANSITIONS`, applies the action's effects (due date,
supplement pause, reschedule, hand-over) and appends the event. It returns a
new dossier and never mutates its argument.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from counter_tui.domain.calendar import Timeliness, WorkCalendar
from counter_tui.domain.catalog import Procedure
from counter_tui.domain.files import check_entry
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.status import TRANSITIONS, Action, Status

CHANNELS = ("direct", "online", "post")
# How a submitter or a receiver who is not the owner stands to them, unless stated.
AUTHORISED = "được ủy quyền"
RETURN_METHODS = ("counter", "post", "online")
FEE_METHODS = ("cash", "transfer", "online")
# How a fee was paid, in words: one table for the screen, the slips and the report.
FEE_METHOD_NAMES = {
    "cash": Msg("Tiền mặt", "Cash"),
    "transfer": Msg("Chuyển khoản", "Transfer"),
    "online": Msg("Trực tuyến", "Online"),
}


class TransitionError(DomainError):
    """The action is not allowed now; the message says why."""


@dataclass
class Applicant:
    full_name: str
    citizen_id: str | None = None
    legacy_id: str | None = None
    birth_date: str | None = None
    gender: str | None = None
    address: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class Submitter:
    """Who brought the dossier, when it is not the owner (TT 03/2025 form 01 asks for
    their ID number, address, phone, email and the authorisation paper)."""

    full_name: str
    citizen_id: str | None = None
    relation: str = ""
    phone: str = ""
    address: str = ""
    email: str = ""
    authorisation: str = ""  # the authorisation paper, e.g. "Giấy ủy quyền số 12 ngày 01/11/2026"


@dataclass
class FeePaid:
    """A fee collected at receipt (many procedures, e.g. chứng thực, are paid up front)."""

    amount: int
    method: str  # one of FEE_METHODS
    receipt_no: str = ""


@dataclass
class TrackingEntry:
    """The dossier's line in the counter's tracking book: "Quyển số … Số thứ tự …"."""

    book: str
    year: int
    number: int


@dataclass
class DocItem:
    name: str
    copy: str
    required: bool
    copies: int = 1
    received: bool = False
    # Scans of this item (issue 14): entries as :func:`files.file_entry` makes them.
    files: list[dict[str, Any]] = field(default_factory=list)
    # {"exempt": reason code or None, "missing_reason": why a required scan is lacking}.
    digitisation: dict[str, Any] | None = None


@dataclass
class Event:
    action: str
    at: str
    actor: str
    counter: str = ""
    from_status: int | None = None
    to_status: int | None = None
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    actor_name: str = ""  # the clerk's full name, for signatures on slips


@dataclass
class Dossier:
    uid: str
    code: str
    office: str
    counter: str
    procedure_code: str
    procedure_version: str
    procedure_name: str
    applicant: Applicant
    status: int | None = None
    channel: str = "direct"
    return_method: str = "counter"
    submitter: Submitter | None = None
    documents: list[DocItem] = field(default_factory=list)
    sets: int = 1
    fee_amount: int | None = None
    received_at: str | None = None
    due_at: str | None = None
    original_due_at: str | None = None
    paused_at: str | None = None
    paused_from: int | None = None
    reschedules: int = 0
    ready_at: str | None = None
    finished_at: str | None = None
    handover: dict[str, Any] | None = None
    reason: str = ""
    missing: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    # Added with TT 03/2025 (issue 13); a dossier stored before has the defaults.
    received_by: str = ""  # the receiving clerk's full name (the event keeps the login)
    fee_paid: FeePaid | None = None
    tracking: TrackingEntry | None = None
    handling_agency: str = ""  # when another agency decides it (receipt regardless of boundary)
    handling_agency_name: str = ""
    # Scans of the result, attached at hand-over (issue 14).
    result_files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def state(self) -> Status | None:
        return Status(self.status) if self.status is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The dossier as plain values: what ``dataclasses.asdict`` gives, made faster."""
        plain: dict[str, Any] = _plain(self)
        return plain

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Dossier:
        """The dossier of its dict form; unknown keys (a store's ``_sync``) are left out.

        Reports convert every dossier of a period, so this avoids copies it can skip."""
        known = _DOSSIER_FIELDS
        data = {k: v for k, v in raw.items() if k in known}
        data["applicant"] = Applicant(**data["applicant"])
        if data.get("submitter"):
            data["submitter"] = Submitter(**_known(Submitter, data["submitter"]))
        if data.get("fee_paid"):
            data["fee_paid"] = FeePaid(**_known(FeePaid, data["fee_paid"]))
        if data.get("tracking"):
            data["tracking"] = TrackingEntry(**_known(TrackingEntry, data["tracking"]))
        data["documents"] = [DocItem(**_known(DocItem, d)) for d in data.get("documents", ())]
        data["events"] = [Event(**e) for e in data.get("events", ())]
        return cls(**data)

    @property
    def due(self) -> datetime | None:
        """The appointment to return the result (after any apology's new date)."""
        return datetime.fromisoformat(self.due_at) if self.due_at else None

    def missing_required(self) -> list[str]:
        return missing_required(self.documents)

    def legal_due_at(self) -> str | None:
        """The deadline the dossier is judged by: an apology's new date does not move it."""
        for e in self.events:
            if e.action == Action.RESCHEDULE and e.data.get("due_before"):
                return str(e.data["due_before"])
        return self.due_at

    def legal_due(self) -> datetime | None:
        legal = self.legal_due_at()
        return datetime.fromisoformat(legal) if legal else None

    def timeliness_if_finished(self, at: datetime) -> Timeliness | None:
        """Early, on time or late, were the dossier resolved (or handed over) at ``at``."""
        due = self.legal_due()
        return WorkCalendar.classify_finished(due, at) if due is not None else None

    def timeliness(self, now: datetime) -> Timeliness | None:
        """Early / on time / late once resolved; within time / overdue while open."""
        due = self.legal_due()
        if due is None:
            return None
        if self.finished_at and self.status in (Status.RETURNED, Status.READY):
            return self.timeliness_if_finished(datetime.fromisoformat(self.finished_at))
        if self.status == Status.RETURNED and self.handover:
            return self.timeliness_if_finished(datetime.fromisoformat(self.handover["at"]))
        return WorkCalendar.classify_open(due, now)


def _known(cls: Any, raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):  # a malformed pushed dossier: refused, never a crash
        raise TypeError(f"{cls.__name__}: {type(raw).__name__}")
    known = cls.__dataclass_fields__
    return {k: v for k, v in raw.items() if k in known}


_DOSSIER_FIELDS = frozenset(Dossier.__dataclass_fields__)
# The dossier's own dataclasses, with their fields in order: ``_plain`` walks these itself.
_PARTS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls))
    for cls in (Dossier, Applicant, Submitter, FeePaid, TrackingEntry, DocItem, Event)
}
_ATOMIC = frozenset({str, int, float, bool, type(None)})


@dataclass
class _Box:
    value: Any


def _plain(value: Any) -> Any:
    """``dataclasses.asdict``'s result for ``value``, several times faster on a dossier (the
    centre converts each pushed one; asdict took over a quarter of the centre's time in a push,
    see docs/benchmarks.md).

    The same rules: this module's dataclasses become dicts of their fields in order; dicts
    and lists are new ones (changing the result never changes the dossier); strings, numbers
    and ``None`` are shared, as asdict's deep copy shares them. Anything else goes through
    asdict itself."""
    kind = type(value)
    if kind in _ATOMIC:
        return value
    if kind is dict:
        return {
            k if type(k) in _ATOMIC else _plain(k): v if type(v) in _ATOMIC else _plain(v)
            for k, v in value.items()
        }
    if kind is list:
        return [v if type(v) in _ATOMIC else _plain(v) for v in value]
    names = _PARTS.get(kind)
    if names is not None:
        out = {}
        for name in names:
            v = getattr(value, name)
            out[name] = v if type(v) in _ATOMIC else _plain(v)
        return out
    return asdict(_Box(value))["value"]


def missing_required(documents: Iterable[DocItem]) -> list[str]:
    """The required documents of a checklist not yet ticked as received."""
    return [d.name for d in documents if d.required and not d.received]


def documents_for(procedure: Procedure) -> list[DocItem]:
    """A fresh checklist for ``procedure``, nothing ticked yet."""
    return [DocItem(d.name, d.copy.value, d.required) for d in procedure.documents]


@dataclass
class Context:
    """Who does the action, when, and what the rules need to apply it."""

    at: datetime
    actor: str
    counter: str = ""
    note: str = ""
    actor_name: str = ""
    calendar: WorkCalendar | None = None
    procedure: Procedure | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _err(code: str, vi: str, en: str, field_name: str | None = None) -> TransitionError:
    return TransitionError(code, Msg(vi, en), field_name)


def item_id(index: int) -> str:
    """The id of the checklist item at ``index`` (its place in the dossier's own list:
    the catalog gives documents no code, and a dossier keeps the checklist it began with)."""
    return str(index + 1)


def _attach(d: Dossier, raw: Any) -> list[dict[str, Any]]:
    """Append the files of an attach action where they belong; the entries kept."""
    if not isinstance(raw, list) or not raw:
        raise _err("attach.files", "Chưa chọn tệp nào để đính kèm.", "No file to attach.", "files")
    entries = [check_entry(e) for e in raw]
    by_item = {item_id(i): doc for i, doc in enumerate(d.documents)}
    for e in entries:
        if e["role"] == "result":
            target = d.result_files
        elif e["item"] in by_item:
            target = by_item[e["item"]].files
        else:
            raise _err(
                "attach.item",
                f"Hồ sơ không có giấy tờ số {e['item']}.",
                f"No checklist item {e['item']}.",
                "files",
            )
        if not any(f.get("sha") == e["sha"] for f in target):  # the same scan twice: once
            target.append(e)
    return entries


def check_allowed(dossier: Dossier, action: Action) -> Status | None:
    """The status after ``action``, or raise saying why it is not allowed."""
    table = TRANSITIONS[action]
    current = dossier.state
    if current not in table:
        now_vi = current.vi if current else "chưa tạo"
        now_en = current.en if current else "not created"
        raise _err(
            "transition.illegal",
            f"Không thể '{action.vi}' khi hồ sơ đang ở trạng thái '{now_vi}'.",
            f"Cannot '{action.value}' while the dossier is '{now_en}'.",
        )
    target = table[current]
    if action is Action.SUPPLEMENT_RECEIVED:
        return Status(dossier.paused_from) if dossier.paused_from else Status.RECEIVED
    return target if target is not None else current


def _need_calendar(ctx: Context) -> WorkCalendar:
    if ctx.calendar is None:
        raise _err("context.calendar", "Thiếu lịch làm việc.", "A calendar is needed.")
    return ctx.calendar


def _start_clock(d: Dossier, ctx: Context) -> None:
    missing = d.missing_required()
    if missing:
        raise _err(
            "receive.incomplete",
            "Hồ sơ chưa đủ giấy tờ bắt buộc: " + "; ".join(missing),
            "Required documents missing: " + "; ".join(missing),
            "documents",
        )
    if ctx.procedure is None:
        raise _err("context.procedure", "Thiếu thủ tục.", "The procedure is needed.")
    cal = _need_calendar(ctx)
    d.received_at = ctx.at.isoformat()
    due = cal.due_date(ctx.at, ctx.procedure.processing)
    d.due_at = due.isoformat()
    d.original_due_at = d.due_at


def apply(dossier: Dossier, action: Action, ctx: Context) -> Dossier:
    """The dossier after ``action``; raises :class:`TransitionError` if not allowed."""
    target = check_allowed(dossier, action)
    d = copy.deepcopy(dossier)
    before = d.status
    note = ctx.note.strip()
    data = dict(ctx.data)
    if action is Action.RECEIVE:
        _start_clock(d, ctx)
    elif action is Action.REQUEST_SUPPLEMENT:
        missing = [str(m).strip() for m in data.get("missing", []) if str(m).strip()]
        if not missing and not note:
            raise _err(
                "supplement.what",
                "Cần ghi rõ giấy tờ phải bổ sung.",
                "Say what must be supplemented.",
                "missing",
            )
        d.missing = missing
        if before is not None and Status(before) in (Status.RECEIVED, Status.PROCESSING):
            d.paused_at = ctx.at.isoformat()
            d.paused_from = before
        elif before is not None and Status(before) is Status.READY:
            d.paused_at = ctx.at.isoformat()
            d.paused_from = int(Status.PROCESSING)
            d.ready_at = None
            d.finished_at = None
        else:
            d.paused_from = None
            d.paused_at = None
    elif action is Action.SUPPLEMENT_RECEIVED:
        if d.paused_from is None:
            for item in d.documents:
                item.received = item.received or item.name in d.missing
            _start_clock(d, ctx)
        else:
            cal = _need_calendar(ctx)
            if d.due_at and d.paused_at:
                due = cal.extend_for_pause(
                    datetime.fromisoformat(d.due_at), datetime.fromisoformat(d.paused_at), ctx.at
                )
                data["due_before"] = d.due_at
                d.due_at = due.isoformat()
        d.missing = []
        d.paused_at = None
        d.paused_from = None
    elif action in (Action.REFUSE, Action.STOP):
        if not note:
            raise _err("refuse.reason", "Cần ghi lý do.", "A reason is required.", "reason")
        d.reason = note
        d.finished_at = ctx.at.isoformat()
    elif action is Action.WITHDRAW:
        d.reason = note
        d.finished_at = ctx.at.isoformat()
    elif action is Action.RESCHEDULE:
        if d.reschedules >= 1:
            raise _err(
                "reschedule.once",
                "Hồ sơ đã được xin lỗi và hẹn lại một lần; không hẹn lại lần nữa.",
                "The dossier was already rescheduled once.",
            )
        if not note:
            raise _err(
                "reschedule.reason", "Cần ghi lý do trễ hạn.", "A reason is required.", "reason"
            )
        try:
            new_due = datetime.fromisoformat(str(data.get("new_due", "")))
        except ValueError as exc:
            raise _err(
                "reschedule.date", "Ngày hẹn mới không hợp lệ.", "Invalid new date.", "new_due"
            ) from exc
        if d.due_at and new_due <= datetime.fromisoformat(d.due_at):
            raise _err(
                "reschedule.earlier",
                "Ngày hẹn mới phải sau ngày hẹn hiện tại.",
                "The new date must be after the current due date.",
                "new_due",
            )
        data["due_before"] = d.due_at
        d.due_at = new_due.isoformat()
        d.reschedules += 1
    elif action in (Action.RESULT_READY, Action.RESULT_BACK):
        d.ready_at = ctx.at.isoformat()
        d.finished_at = ctx.at.isoformat()
    elif action is Action.HAND_OVER:
        receiver = str(data.get("receiver_name", "")).strip()
        if not receiver:
            raise _err(
                "handover.receiver",
                "Cần ghi tên người nhận kết quả.",
                "The receiver's name is required.",
                "receiver_name",
            )
        relation = str(data.get("relation", "owner"))
        if relation != "owner" and not str(data.get("receiver_id", "")).strip():
            raise _err(
                "handover.authorised_id",
                "Người được ủy quyền nhận phải có số giấy tờ tùy thân.",
                "An authorised receiver must give an ID number.",
                "receiver_id",
            )
        fee = data.get("fee", 0)
        if not isinstance(fee, int) or isinstance(fee, bool) or fee < 0:
            raise _err(
                "handover.fee",
                "Phí, lệ phí phải là số tiền không âm.",
                "The fee must be a non-negative amount.",
                "fee",
            )
        d.handover = {
            "receiver_name": receiver,
            "receiver_id": str(data.get("receiver_id", "")).strip(),
            "relation": relation,
            "fee": fee,
            "at": ctx.at.isoformat(),
        }
        for key in ("receiver_address", "receiver_phone", "authorisation"):
            if str(data.get(key, "")).strip():
                d.handover[key] = str(data[key]).strip()
    elif action is Action.EDIT_CONTACT:
        for key in ("phone", "address", "email"):
            if key in data:
                setattr(d.applicant, key, str(data[key]).strip())
    elif action is Action.ATTACH:
        data["files"] = _attach(d, data.get("files"))
    elif action is Action.TRANSFER and not str(data.get("unit", "")).strip():
        raise _err(
            "transfer.unit", "Cần ghi đơn vị nhận hồ sơ.", "Name the receiving unit.", "unit"
        )
    d.status = int(target) if target is not None else d.status
    d.events.append(
        Event(
            action=action.value,
            at=ctx.at.isoformat(),
            actor=ctx.actor,
            counter=ctx.counter,
            from_status=before,
            to_status=d.status,
            note=note,
            data=data,
            actor_name=ctx.actor_name or str(data.get("signer") or ""),
        )
    )
    if d.received_at and not dossier.received_at:  # received by this action
        d.received_by = ctx.actor_name or str(data.get("signer") or "") or d.received_by
        if isinstance(data.get("tracking"), dict) and d.tracking is None:
            # The counter allocated the book line; carried in the data so the centre,
            # applying the same action, records the same line.
            d.tracking = TrackingEntry(**_known(TrackingEntry, data["tracking"]))
    return d
