"""The values a slip template may name, taken from a dossier (or a list of them for the book).

Every value is a display string in Vietnamese; a missing one is shown as "…",
the way a paper form leaves a dotted blank.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from counter_tui.domain.calendar import Timeliness
from counter_tui.domain.catalog import CopyKind
from counter_tui.domain.citizen_id import IdError, parse_citizen_id
from counter_tui.domain.dossier import (
    AUTHORISED,
    FEE_METHOD_NAMES,
    Applicant,
    DocItem,
    Dossier,
    Event,
    Submitter,
)
from counter_tui.domain.files import EXEMPT_REASONS

BLANK = "…"
# Asked at the counter and left empty: the slip says so instead of a dotted blank.
NONE = "Không có"
FEE_METHOD_VI = {k: m.vi.lower() for k, m in FEE_METHOD_NAMES.items()}
FORM_TIMELINESS = {
    Timeliness.EARLY: "Trước hạn",
    Timeliness.ON_TIME: "Đúng hạn",
    Timeliness.LATE: "Quá hạn",
}
RETURN_VI = {
    "counter": "Tại bộ phận một cửa",
    "post": "Qua dịch vụ bưu chính công ích",
    "online": "Trực tuyến",
}


@dataclass(frozen=True)
class Office:
    """Who issues the slip: the office's name and code, its town, this counter, the clerk."""

    name: str
    code: str
    place: str = ""
    counter: str = ""
    clerk: str = ""
    unit_name: str = "Bộ phận tiếp nhận và trả kết quả"


def when(value: str | None) -> str:
    if not value:
        return BLANK
    return datetime.fromisoformat(value).strftime("%H giờ %M phút, ngày %d/%m/%Y")


def day(value: str | None) -> str:
    return datetime.fromisoformat(value).strftime("%d/%m/%Y") if value else BLANK


def money(amount: int | None) -> str:
    return f"{amount or 0:,} đồng".replace(",", ".")


def _last_event(d: Dossier | None, *actions: str) -> Event | None:
    for e in reversed(d.events if d else []):
        if e.action in actions:
            return e
    return None


def dossier_fields(
    d: Dossier | None, office: Office, now: datetime, processing: str = ""
) -> dict[str, str]:
    """The values of a slip for ``d`` (``None``: a slip of no one dossier, the book)."""
    a = d.applicant if d else None
    sub = d.submitter if d else None
    h = (d.handover if d else None) or {}
    resched = _last_event(d, "reschedule")
    due_before = resched.data.get("due_before") if resched else None
    new_due = d.due if d else None
    timely = None
    if d and h.get("at"):
        # Judged when the result became ready, as the report and the hand-over screen do.
        timely = d.timeliness(now)
    first = _last_event(d, "receive", "request_supplement", "refuse")
    supplement = _last_event(d, "request_supplement")
    handed = _last_event(d, "hand_over")
    return {
        "office_name": office.name,
        "office_name_upper": office.name.upper(),
        "office_code": office.code,
        "place": office.place or BLANK,
        "counter": office.counter,
        "unit_name": office.unit_name,
        "today_day": f"{now.day:02d}",
        "today_month": f"{now.month:02d}",
        "today_year": str(now.year),
        "code": (d.code if d else "") or BLANK,
        "procedure_name": d.procedure_name if d else "",
        "procedure_code": d.procedure_code if d else "",
        "applicant_name": a.full_name if a else "",
        "applicant_id": ((a.citizen_id or a.legacy_id) if a else None) or BLANK,
        "applicant_address": (a.address if a else "") or BLANK,
        "applicant_phone": (a.phone if a else "") or BLANK,
        "applicant_email": (a.email if a else "") or BLANK,
        "submitter": (f"{sub.full_name} ({sub.relation or AUTHORISED})" if sub else "Chủ hồ sơ"),
        "sets": f"{int((d.sets if d else 1) or 1):02d}",
        "processing_time": processing or BLANK,
        "received_at": when(d.received_at if d else None),
        "received_date": day(d.received_at if d else None),
        "due_at": when(d.due_at if d else None),
        "due_date": day(d.due_at if d else None),
        "original_due_at": when(d.original_due_at if d else None),
        "due_before": when(due_before),
        "new_due_at": when(d.due_at) if resched and d else BLANK,
        "new_due_day": f"{new_due.day:02d}" if resched and new_due else BLANK,
        "new_due_month": f"{new_due.month:02d}" if resched and new_due else BLANK,
        "new_due_year": str(new_due.year) if resched and new_due else BLANK,
        "return_method": RETURN_VI.get(d.return_method if d else "", BLANK),
        # The signer's full name when known (the event keeps the login for the audit).
        "clerk": (d.received_by if d else "")
        or (first.actor_name or first.actor if first else "")
        or office.clerk,
        "reason": (d.reason if d else "") or (supplement.note if supplement else "") or BLANK,
        "reschedule_reason": (resched.note if resched else "") or BLANK,
        "status": d.state.vi if d and d.state is not None else BLANK,
        "timeliness": timely.vi if timely else BLANK,
        "receiver_name": str(h.get("receiver_name") or BLANK),
        "receiver_id": str(h.get("receiver_id") or BLANK),
        "receiver_relation": (
            BLANK
            if not h
            else "Chủ hồ sơ"
            if h.get("relation") == "owner"
            else "Người được ủy quyền"
        ),
        "handed_at": when(h.get("at")),
        "returned_by": (handed.actor_name or handed.actor if handed else "") or office.clerk,
        "fee": money(h.get("fee") if h else (d.fee_amount if d else None)),
        "period_from": BLANK,
        "period_to": BLANK,
        "row_count": "0",
        **_fields_2025(d, office, now),
    }


def _or_none(value: str | None) -> str:
    return value.strip() if value and value.strip() else NONE


def id_origin(citizen_id: str | None, today: datetime) -> str:
    """The label and province of an ID's first three digits (birth registration, old list)."""
    if not citizen_id or len(citizen_id) != 12:
        return NONE
    try:
        parsed = parse_citizen_id(citizen_id, today=today.date())
    except IdError:
        return NONE
    return parsed.birth_registration.vi


def _principal(a: Applicant, sub: Submitter) -> str:
    """Form 01's "submitted for another person" part, in one sentence."""
    parts = [f"Ông/Bà {a.full_name}"]
    parts.append(f"địa chỉ: {_or_none(a.address)}")
    parts.append(f"số định danh cá nhân: {_or_none(a.citizen_id or a.legacy_id)}")
    parts.append(f"điện thoại: {_or_none(a.phone)}")
    parts.append(f"email: {_or_none(a.email)}")
    parts.append(f"giấy tờ ủy quyền: {_or_none(sub.authorisation)}")
    return "; ".join(parts)


def fee_at_receipt(d: Dossier) -> str:
    paid = d.fee_paid
    if paid is None:
        return "Không thu khi tiếp nhận"
    how = FEE_METHOD_VI.get(paid.method, paid.method)
    return f"{money(paid.amount)}, nộp {how}, biên lai số {paid.receipt_no or NONE}"


def _fields_2025(d: Dossier | None, office: Office, now: datetime) -> dict[str, str]:
    """The values the TT 03/2025 forms add (issue 13)."""
    if d is None:
        return {
            k: BLANK
            for k in (
                "filer_name", "filer_id", "filer_address", "filer_phone", "filer_email",
                "on_behalf", "authorisation", "book_volume", "book_number", "signer",
                "returned_by_name", "fee_at_receipt", "stop_reason", "stopped_at",
                "handling_agency", "id_origin", "receiver_address", "receiver_phone",
                "receiver_authorisation",
            )
        } | {"signer": office.clerk or BLANK}  # fmt: skip
    a, sub = d.applicant, d.submitter
    h = d.handover or {}
    first = _last_event(d, "receive", "request_supplement", "refuse")
    handed = _last_event(d, "hand_over")
    stop = _last_event(d, "stop")
    if sub:
        filer = {
            "filer_name": sub.full_name,
            "filer_id": _or_none(sub.citizen_id),
            "filer_address": _or_none(sub.address),
            "filer_phone": _or_none(sub.phone),
            "filer_email": _or_none(sub.email),
            "on_behalf": _principal(a, sub),
            "authorisation": _or_none(sub.authorisation),
        }
    else:
        filer = {
            "filer_name": a.full_name,
            "filer_id": _or_none(a.citizen_id or a.legacy_id),
            "filer_address": _or_none(a.address),
            "filer_phone": _or_none(a.phone),
            "filer_email": _or_none(a.email),
            "on_behalf": "Không (người nộp là chủ hồ sơ)",
            "authorisation": NONE,
        }
    t = d.tracking
    signer = d.received_by or (first.actor_name if first else "") or (first.actor if first else "")
    return {
        **filer,
        "book_volume": f"{t.book}/{t.year}" if t else "(chưa vào sổ)",
        "book_number": str(t.number) if t else "(chưa vào sổ)",
        "signer": signer or office.clerk or BLANK,
        "returned_by_name": (
            (handed.actor_name or handed.actor) if handed else (office.clerk or BLANK)
        ),
        "fee_at_receipt": fee_at_receipt(d),
        "stop_reason": (stop.note if stop else "") or BLANK,
        "stopped_at": when(stop.at) if stop else BLANK,
        "handling_agency": (
            f"{d.handling_agency_name} ({d.handling_agency})" if d.handling_agency else office.name
        ),
        "id_origin": id_origin(a.citizen_id, now),
        "receiver_address": str(h.get("receiver_address") or NONE),
        "receiver_phone": str(h.get("receiver_phone") or NONE),
        "receiver_authorisation": str(h.get("authorisation") or NONE),
    }


def document_rows(d: Dossier) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for item in d.documents:
        if not item.received:
            continue
        mark = digitised_mark(item)
        rows.append(
            {
                "n": str(len(rows) + 1),
                # Form 01 marks what was digitised at receipt (NĐ 118/2025 Điều 17) in the
                # name, so every template shows it; {digitised} is there for a column.
                "name": f"{item.name} ({mark.lower()})" if item.files else item.name,
                "copy": CopyKind(item.copy).vi,
                "copies": str(item.copies),
                "digitised": mark,
            }
        )
    return rows


def digitised_mark(item: DocItem) -> str:
    """'Đã số hóa', the exemption's words, or '' (nothing scanned, nothing exempt)."""
    if item.files:
        return "Đã số hóa"
    exempt = (item.digitisation or {}).get("exempt")
    return EXEMPT_REASONS[exempt].vi if exempt in EXEMPT_REASONS else ""


def missing_rows(d: Dossier) -> list[dict[str, str]]:
    items = list(d.missing)
    if not items:
        asked = _last_event(d, "request_supplement")
        items = list(asked.data.get("missing") or []) if asked else []
    return [{"n": str(i), "item": str(m)} for i, m in enumerate(items, 1)]


@dataclass(frozen=True)
class Step:
    """One hand-over of the paper dossier or its result: who gave it, who took it, when."""

    giver: str
    giver_unit: str
    receiver: str
    receiver_unit: str
    event: Event


# The hand-overs each slip set lists: TT 01/2018 form 05 the trips to the deciding unit and
# back; TT 03/2025 form 06 also the result made here and the result given to the citizen.
STEPS_2018 = ("transfer", "result_back")
STEPS_2025 = ("transfer", "result_back", "result_ready", "hand_over")


def hand_over_steps(d: Dossier, office: Office, actions: tuple[str, ...]) -> list[Step]:
    """The dossier's hand-overs among ``actions``, in order, for both slip sets: one rule of
    who signs, this counter's clerk by full name (the event keeps the login for the audit)."""
    steps: list[Step] = []
    for e in d.events:
        if e.action not in actions:
            continue
        data = e.data
        clerk = e.actor_name or e.actor
        if e.action == "transfer":
            unit = _or_blank(data.get("unit"))
            step = Step(clerk, office.unit_name, _or_blank(data.get("person")), unit, e)
        elif e.action == "hand_over":
            step = Step(
                clerk, office.unit_name, _or_blank(data.get("receiver_name")), "Tổ chức, cá nhân", e
            )
        else:  # the result comes back from the unit that decided (the office itself: ready)
            unit = str(data.get("unit") or (office.name if e.action == "result_ready" else BLANK))
            step = Step(_or_blank(data.get("person")), unit, clerk, office.unit_name, e)
        steps.append(step)
    return steps


def _or_blank(value: object) -> str:
    return str(value or BLANK)


def _step_rows(steps: list[Step], result: Callable[[Step], str]) -> list[dict[str, str]]:
    return [
        {
            "n": str(n),
            "giver": s.giver,
            "giver_unit": s.giver_unit,
            "receiver": s.receiver,
            "receiver_unit": s.receiver_unit,
            "at": when(s.event.at),
            "result": result(s),
            "note": s.event.note,
        }
        for n, s in enumerate(steps, 1)
    ]


def transfer_rows(d: Dossier, office: Office) -> list[dict[str, str]]:
    """Form 05's rows: each hand-over of the paper dossier, timed, with who gave and took it;
    the result's return judged early, on time or late."""

    def result(s: Step) -> str:
        if s.event.action != "result_back":
            return ""
        timely = d.timeliness_if_finished(datetime.fromisoformat(s.event.at))
        return timely.vi if timely else BLANK

    return _step_rows(hand_over_steps(d, office, STEPS_2018), result)


def control_rows(d: Dossier, office: Office) -> list[dict[str, str]]:
    """TT 03/2025 form 06: every hand-over of the dossier (to the deciding unit, the result
    back, the result to the citizen), each judged early / on time / late against the due date."""

    def result(s: Step) -> str:
        timely = d.timeliness_if_finished(datetime.fromisoformat(s.event.at))
        return FORM_TIMELINESS.get(timely, BLANK) if timely else BLANK

    return _step_rows(hand_over_steps(d, office, STEPS_2025), result)


def book_rows(dossiers: Iterable[Dossier]) -> list[dict[str, str]]:
    """Form 06, the tracking book: one row a dossier, oldest first."""
    rows: list[dict[str, str]] = []
    for d in sorted(dossiers, key=lambda d: (d.received_at or "", d.code or "")):
        a = d.applicant
        h = d.handover or {}
        transfer = _last_event(d, "transfer")
        back = _last_event(d, "result_back", "result_ready")
        receive = _last_event(d, "receive")
        unit = (transfer.data.get("unit") if transfer else "") or ""
        rows.append(
            {
                "n": str(len(rows) + 1),
                "code": d.code,
                "procedure": d.procedure_name,
                "sets": str(d.sets or 1),
                "owner": a.full_name,
                "address_phone": ", ".join(x for x in (a.address, a.phone) if x),
                "unit": str(unit),
                "received": day(d.received_at) if d.received_at else "",
                "due": day(d.due_at) if d.due_at else "",
                "transferred": day(transfer.at) if transfer else "",
                "result_back": day(back.at) if back else "",
                "returned": day(h.get("at")) if h else "",
                "receiver": str(h.get("receiver_name") or ""),
                "clerk": d.received_by or (receive.actor if receive else ""),
                "note": d.state.vi if d.state is not None else "",
                "book_no": (
                    f"{d.tracking.book}/{d.tracking.year}-{d.tracking.number}" if d.tracking else ""
                ),
                "return_how": _return_how(d),
            }
        )
    return rows


def _return_how(d: Dossier) -> str:
    """How the result was (or will be) received, for the book's column."""
    h = d.handover or {}
    way = RETURN_VI.get(d.return_method, "")
    if not h:
        return way
    who = "chủ hồ sơ" if h.get("relation") == "owner" else "người được ủy quyền"
    return f"{way}; {who} {h.get('receiver_name', '')} nhận {day(h.get('at'))}"
