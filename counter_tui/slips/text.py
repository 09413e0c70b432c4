"""Plain-text slips for a quick look in the terminal (the PDF forms build on the same fields).

Form 01 receipt and appointment, 02 supplement request, 03 refusal, and the
return receipt; field lists from DOMAIN.md section 2 (Thông tư 01/2018/TT-VPCP).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from counter_tui.domain.catalog import CopyKind

RETURN_VI = {
    "counter": "Tại bộ phận một cửa",
    "post": "Qua dịch vụ bưu chính",
    "online": "Trực tuyến",
}


def _dt(value: str | None, with_time: bool = True) -> str:
    if not value:
        return "…"
    d = datetime.fromisoformat(value)
    return d.strftime("%H giờ %M phút, ngày %d/%m/%Y") if with_time else d.strftime("%d/%m/%Y")


def _head(office_name: str, title: str, code: str) -> list[str]:
    return [
        office_name.upper(),
        "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM — Độc lập - Tự do - Hạnh phúc",
        "",
        title.center(72),
        f"Mã hồ sơ: {code}".center(72),
        "",
    ]


def _applicant(doc: dict[str, Any]) -> list[str]:
    a = doc["applicant"]
    lines = [
        f"Tiếp nhận hồ sơ của: {a['full_name']}"
        + (f"   Số CCCD: {a['citizen_id']}" if a.get("citizen_id") else ""),
        f"Địa chỉ: {a.get('address') or '…'}",
        f"Số điện thoại: {a.get('phone') or '…'}   Email: {a.get('email') or '…'}",
    ]
    sub = doc.get("submitter")
    if sub:
        lines.append(
            f"Người nộp hồ sơ: {sub['full_name']} ({sub.get('relation') or 'được ủy quyền'})"
        )
    lines.append(f"Nội dung yêu cầu giải quyết: {doc['procedure_name']} ({doc['procedure_code']})")
    return lines


def receipt(doc: dict[str, Any], office_name: str, processing: str) -> str:
    """Form 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả."""
    lines = _head(office_name, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", doc["code"])
    lines += _applicant(doc)
    lines += ["", "1. Thành phần hồ sơ:", f"   {'STT':<4}{'Tên giấy tờ':<52}{'Loại':<20}{'SL'}"]
    n = 0
    for item in doc["documents"]:
        if not item.get("received"):
            continue
        n += 1
        kind = CopyKind(item["copy"]).vi
        lines.append(f"   {n:<4}{item['name'][:50]:<52}{kind:<20}{item.get('copies', 1)}")
    lines += [
        f"2. Số lượng hồ sơ: {doc.get('sets', 1):02d} bộ",
        f"3. Thời gian giải quyết theo quy định: {processing}",
        f"4. Thời gian nhận hồ sơ: {_dt(doc.get('received_at'))}",
        f"5. Thời gian trả kết quả: {_dt(doc.get('due_at'))}",
        f"6. Đăng ký nhận kết quả tại: {RETURN_VI.get(doc.get('return_method', ''), '…')}",
        "",
        f"{'NGƯỜI NỘP HỒ SƠ':^36}{'NGƯỜI TIẾP NHẬN HỒ SƠ':^36}",
        f"{'(Ký và ghi rõ họ tên)':^36}{'(Ký và ghi rõ họ tên)':^36}",
        "",
        f"{doc['applicant']['full_name']:^36}{_actor(doc):^36}",
    ]
    return "\n".join(lines)


def supplement_request(doc: dict[str, Any], office_name: str) -> str:
    """Form 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ."""
    lines = _head(office_name, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", doc["code"])
    lines += _applicant(doc)
    lines += ["", "Yêu cầu Ông/Bà hoàn thiện hồ sơ gồm những nội dung sau:"]
    for i, m in enumerate(doc.get("missing") or [], 1):
        lines.append(f"   {i}. {m}")
    note = _last_note(doc, "request_supplement")
    lines += [
        f"Lý do: {note or 'Hồ sơ chưa đủ thành phần theo quy định.'}",
        "",
        f"{'NGƯỜI HƯỚNG DẪN':>60}",
        f"{_actor(doc):>60}",
    ]
    return "\n".join(lines)


def refusal(doc: dict[str, Any], office_name: str) -> str:
    """Form 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ."""
    lines = _head(office_name, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", doc["code"])
    lines += _applicant(doc)
    lines += [
        "",
        "Qua xem xét, thông báo không tiếp nhận, giải quyết hồ sơ này với lý do:",
        f"   {doc.get('reason') or '…'}",
        "",
        "Xin thông báo để Ông/Bà biết.",
        "",
        f"{'NGƯỜI TIẾP NHẬN':>60}",
        f"{_actor(doc):>60}",
    ]
    return "\n".join(lines)


def return_receipt(doc: dict[str, Any], office_name: str, timeliness: str) -> str:
    """Giấy biên nhận trả kết quả."""
    h = doc.get("handover") or {}
    lines = _head(office_name, "GIẤY BIÊN NHẬN TRẢ KẾT QUẢ", doc["code"])
    lines += _applicant(doc)
    lines += [
        "",
        f"Người nhận kết quả: {h.get('receiver_name', '…')}"
        + (f"   Số giấy tờ: {h['receiver_id']}" if h.get("receiver_id") else ""),
        f"Quan hệ: {'Chủ hồ sơ' if h.get('relation', 'owner') == 'owner' else 'Người được ủy quyền'}",
        f"Thời gian trả: {_dt(h.get('at'))}   Hẹn trả: {_dt(doc.get('due_at'))}",
        f"Kết quả: {timeliness}   Phí, lệ phí đã thu: {h.get('fee', 0):,} đồng".replace(",", "."),
        "",
        f"{'NGƯỜI NHẬN KẾT QUẢ':^36}{'NGƯỜI TRẢ KẾT QUẢ':^36}",
        "",
        f"{h.get('receiver_name', ''):^36}{_actor(doc):^36}",
    ]
    return "\n".join(lines)


def _actor(doc: dict[str, Any]) -> str:
    return doc["events"][-1]["actor"] if doc.get("events") else ""


def _last_note(doc: dict[str, Any], action: str) -> str:
    for e in reversed(doc.get("events") or []):
        if e["action"] == action:
            return str(e.get("note") or "")
    return ""
