"""The lines the dossier screen adds for what TT 03/2025 records at receipt: who submitted
for the owner, the tracking-book line, the fee paid, the handling agency, the signer."""

from __future__ import annotations

from counter_tui.domain.dossier import Dossier
from counter_tui.domain.forms import FEE_METHOD_VI


def receipt_details(d: Dossier) -> list[str]:
    out = []
    s = d.submitter
    if s is not None:
        parts = [f"Người nộp thay: {s.full_name}"]
        if s.citizen_id:
            parts.append(f"số định danh {s.citizen_id}")
        if s.phone:
            parts.append(f"ĐT {s.phone}")
        if s.authorisation:
            parts.append(f"giấy ủy quyền: {s.authorisation}")
        out.append("  ·  ".join(parts))
    if d.tracking is not None:
        t = d.tracking
        out.append(f"Sổ theo dõi: quyển {t.book}/{t.year}, số thứ tự {t.number}")
    if d.fee_paid is not None:
        f = d.fee_paid
        amount = f"{f.amount:,}".replace(",", ".")
        how = FEE_METHOD_VI.get(f.method, f.method).lower()
        out.append(f"Phí khi tiếp nhận: {amount} đồng, {how}, biên lai {f.receipt_no}")
    if d.handling_agency:
        out.append(f"Cơ quan giải quyết: {d.handling_agency_name} ({d.handling_agency})")
    if d.received_by:
        out.append(f"Cán bộ tiếp nhận: {d.received_by}")
    return out
