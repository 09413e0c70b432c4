"""The values a slip template may name, taken from a dossier (or a list of them for the book).

Every value is a display string in Vietnamese; a missing one is shown as "…",
the way a paper form leaves a dotted blank.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from counter_tui.domain.calendar import Timeliness, WorkCalendar
from counter_tui.domain.catalog import CopyKind
from counter_tui.domain.report import legal_due
from counter_tui.domain.status import Status

BLANK = "…"
RETURN_VI = {
    "counter": "Tại bộ phận một cửa",
    "post": "Qua dịch vụ bưu chính công ích",
    "online": "Trực tuyến",
}
TIMELY_VI = {t.value: t.vi for t in Timeliness}


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


def _last_event(doc: dict[str, Any], *actions: str) -> dict[str, Any]:
    for e in reversed(doc.get("events") or []):
        if e.get("action") in actions:
            return e
    return {}


def dossier_fields(
    doc: dict[str, Any], office: Office, now: datetime, processing: str = ""
) -> dict[str, str]:
    a = doc.get("applicant") or {}
    sub = doc.get("submitter") or {}
    h = doc.get("handover") or {}
    resched = _last_event(doc, "reschedule")
    due_before = (resched.get("data") or {}).get("due_before")
    new_due = datetime.fromisoformat(doc["due_at"]) if doc.get("due_at") else None
    status = doc.get("status")
    timely = ""
    legal = legal_due(doc)
    if h.get("at") and legal is not None:
        timely = WorkCalendar.classify_finished(legal, datetime.fromisoformat(h["at"])).value
    actor = _last_event(doc, "receive", "request_supplement", "refuse").get("actor")
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
        "code": str(doc.get("code") or BLANK),
        "procedure_name": str(doc.get("procedure_name", "")),
        "procedure_code": str(doc.get("procedure_code", "")),
        "applicant_name": str(a.get("full_name", "")),
        "applicant_id": str(a.get("citizen_id") or a.get("legacy_id") or BLANK),
        "applicant_address": str(a.get("address") or BLANK),
        "applicant_phone": str(a.get("phone") or BLANK),
        "applicant_email": str(a.get("email") or BLANK),
        "submitter": (
            f"{sub['full_name']} ({sub.get('relation') or 'được ủy quyền'})" if sub else "Chủ hồ sơ"
        ),
        "sets": f"{int(doc.get('sets') or 1):02d}",
        "processing_time": processing or BLANK,
        "received_at": when(doc.get("received_at")),
        "received_date": day(doc.get("received_at")),
        "due_at": when(doc.get("due_at")),
        "due_date": day(doc.get("due_at")),
        "original_due_at": when(doc.get("original_due_at")),
        "due_before": when(due_before),
        "new_due_at": when(doc.get("due_at")) if resched else BLANK,
        "new_due_day": f"{new_due.day:02d}" if resched and new_due else BLANK,
        "new_due_month": f"{new_due.month:02d}" if resched and new_due else BLANK,
        "new_due_year": str(new_due.year) if resched and new_due else BLANK,
        "return_method": RETURN_VI.get(str(doc.get("return_method")), BLANK),
        "clerk": str(actor or office.clerk),
        "reason": str(
            doc.get("reason") or _last_event(doc, "request_supplement").get("note") or BLANK
        ),
        "reschedule_reason": str(resched.get("note") or BLANK),
        "status": Status(status).vi if status is not None else BLANK,
        "timeliness": TIMELY_VI.get(timely, BLANK),
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
        "returned_by": str(_last_event(doc, "hand_over").get("actor") or office.clerk),
        "fee": money(h.get("fee") if h else doc.get("fee_amount")),
        "period_from": BLANK,
        "period_to": BLANK,
        "row_count": "0",
    }


def document_rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for item in doc.get("documents") or []:
        if not item.get("received"):
            continue
        rows.append(
            {
                "n": str(len(rows) + 1),
                "name": str(item["name"]),
                "copy": CopyKind(item["copy"]).vi,
                "copies": str(item.get("copies", 1)),
            }
        )
    return rows


def missing_rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    items = list(doc.get("missing") or [])
    if not items:
        note = _last_event(doc, "request_supplement").get("data", {}).get("missing") or []
        items = list(note)
    return [{"n": str(i), "item": str(m)} for i, m in enumerate(items, 1)]


def transfer_rows(doc: dict[str, Any], office: Office) -> list[dict[str, str]]:
    """Form 05's rows: each hand-over of the paper dossier, timed, with who gave and took it."""
    rows: list[dict[str, str]] = []
    legal = legal_due(doc)
    for e in doc.get("events") or []:
        data = e.get("data") or {}
        if e.get("action") == "transfer":
            giver_unit, receiver_unit = office.unit_name, str(data.get("unit") or BLANK)
            giver, receiver = str(e.get("actor", "")), str(data.get("person") or BLANK)
            result = ""
        elif e.get("action") == "result_back":
            giver_unit, receiver_unit = str(data.get("unit") or BLANK), office.unit_name
            giver, receiver = str(data.get("person") or BLANK), str(e.get("actor", ""))
            result = (
                TIMELY_VI[WorkCalendar.classify_finished(legal, datetime.fromisoformat(e["at"]))]
                if legal
                else BLANK
            )
        else:
            continue
        rows.append(
            {
                "n": str(len(rows) + 1),
                "giver": giver,
                "giver_unit": giver_unit,
                "receiver": receiver,
                "receiver_unit": receiver_unit,
                "at": when(e["at"]),
                "result": result,
                "note": str(e.get("note") or ""),
            }
        )
    return rows


def book_rows(docs: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """Form 06, the tracking book: one row a dossier, oldest first."""
    rows: list[dict[str, str]] = []
    for doc in sorted(docs, key=lambda d: (d.get("received_at") or "", d.get("code") or "")):
        a = doc.get("applicant") or {}
        h = doc.get("handover") or {}
        transfer = _last_event(doc, "transfer")
        back = _last_event(doc, "result_back", "result_ready")
        receive = _last_event(doc, "receive")
        unit = (transfer.get("data") or {}).get("unit") or ""
        rows.append(
            {
                "n": str(len(rows) + 1),
                "code": str(doc.get("code", "")),
                "procedure": str(doc.get("procedure_name", "")),
                "sets": str(doc.get("sets") or 1),
                "owner": str(a.get("full_name", "")),
                "address_phone": ", ".join(
                    x for x in (str(a.get("address") or ""), str(a.get("phone") or "")) if x
                ),
                "unit": str(unit),
                "received": day(doc.get("received_at")) if doc.get("received_at") else "",
                "due": day(doc.get("due_at")) if doc.get("due_at") else "",
                "transferred": day(transfer.get("at")) if transfer else "",
                "result_back": day(back.get("at")) if back else "",
                "returned": day(h.get("at")) if h else "",
                "receiver": str(h.get("receiver_name") or ""),
                "clerk": str(receive.get("actor") or ""),
                "note": Status(doc["status"]).vi if doc.get("status") is not None else "",
            }
        )
    return rows
