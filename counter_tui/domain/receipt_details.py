"""The lines the dossier screen adds for what TT 03/2025 records at receipt: who submitted
for the owner, the tracking-book line, the fee paid, the handling agency, the signer."""

from __future__ import annotations

from counter_tui.domain.dossier import FEE_METHOD_NAMES, Dossier
from counter_tui.domain.messages import Msg


def receipt_details(d: Dossier) -> list[Msg]:
    out = []
    s = d.submitter
    if s is not None:
        vi, en = [f"Người nộp thay: {s.full_name}"], [f"Submitted by: {s.full_name}"]
        if s.citizen_id:
            vi.append(f"số định danh {s.citizen_id}")
            en.append(f"ID {s.citizen_id}")
        if s.phone:
            vi.append(f"ĐT {s.phone}")
            en.append(f"phone {s.phone}")
        if s.authorisation:
            vi.append(f"giấy ủy quyền: {s.authorisation}")
            en.append(f"authorisation: {s.authorisation}")
        out.append(Msg("  ·  ".join(vi), "  ·  ".join(en)))
    if d.tracking is not None:
        t = d.tracking
        out.append(
            Msg(
                f"Sổ theo dõi: quyển {t.book}/{t.year}, số thứ tự {t.number}",
                f"Tracking book: volume {t.book}/{t.year}, entry {t.number}",
            )
        )
    if d.fee_paid is not None:
        f = d.fee_paid
        amount = f"{f.amount:,}".replace(",", ".")
        how = FEE_METHOD_NAMES.get(f.method, Msg(f.method, f.method))
        out.append(
            Msg(
                f"Phí khi tiếp nhận: {amount} đồng, {how.vi.lower()}, biên lai {f.receipt_no}",
                f"Fee at receipt: {amount} VND, {how.en.lower()}, receipt {f.receipt_no}",
            )
        )
    if d.handling_agency:
        out.append(
            Msg(
                f"Cơ quan giải quyết: {d.handling_agency_name} ({d.handling_agency})",
                f"Handling agency: {d.handling_agency_name} ({d.handling_agency})",
            )
        )
    if d.received_by:
        out.append(Msg(f"Cán bộ tiếp nhận: {d.received_by}", f"Received by: {d.received_by}"))
    return out
